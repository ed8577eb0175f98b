import ast
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _django_check(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="network_portal.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _settings_read(names: list[str], **env_overrides) -> dict:
    """The named settings as a fresh process reads them from this environment."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "EMAIL_BACKEND"}}
    env.update(DEBUG="1", **env_overrides)
    code = (
        "import json, network_portal.settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {names!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout)


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _django_check(DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_refuses_to_start_without_allowed_hosts_when_debug_is_off():
    result = _django_check(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_starts_in_debug_without_secret_key():
    result = _django_check(DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "postgres://root@127.0.0.1:notaport/db"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/db"),
        ("REDIS_URL", "redis://127.0.0.1:notaport/0"),
        ("REDIS_URL", "http://127.0.0.1:6379/0"),
    ],
)
def test_malformed_service_url_exits_with_a_message_naming_the_variable(variable, value):
    result = _django_check(DEBUG="1", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("HTTPS", "sometimes"),
        ("PUBLIC_PAGE_MAX_AGE", "sixty"),
        ("FIGURES_CACHE_SECONDS", "-5"),
        ("TRUSTED_PROXY_COUNT", "1.5"),
        ("SESSION_IDLE_TIMEOUT", "2h"),
        ("EMAIL_URL", "gopher://mail.example.org"),
        ("EMAIL_URL", "smtp://mail.example.org:notaport"),
        ("EMAIL_URL", "smtp://mail.example.org:587?timeout=soon"),
        ("DATABASE_URL", "sqlite://"),
        ("DATABASE_URL", "postgres://root@127.0.0.1:5432/"),
    ],
)
def test_bad_value_exits_with_one_line_naming_the_variable(variable, value):
    result = _django_check(**{"DEBUG": "1", variable: value})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"Configuration error: {variable}")


def test_url_passwords_are_never_echoed_in_the_error():
    result = _django_check(DEBUG="1", EMAIL_URL="smtp://user:s3cret-pass@mail.example.org:bad")
    assert result.returncode != 0
    assert "s3cret-pass" not in result.stderr


def test_email_url_with_tls_flag_and_timeout_configures_starttls_smtp():
    read = _settings_read(
        ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"]
        + ["EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"],
        EMAIL_URL="smtp://postmaster:p%40ss@smtp.example.org:587?tls=1&timeout=7",
    )
    assert read == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "postmaster",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 7,
    }


def test_smtps_url_means_implicit_tls_on_port_465_with_the_default_timeout():
    read = _settings_read(
        ["EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"], EMAIL_URL="smtps://smtp.example.org"
    )
    assert read == {"EMAIL_PORT": 465, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True, "EMAIL_TIMEOUT": 20}


def test_console_email_unless_an_email_url_or_backend_is_given():
    read = _settings_read(["EMAIL_BACKEND"], EMAIL_URL="")
    assert read == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    read = _settings_read(["EMAIL_BACKEND", "EMAIL_FILE_PATH"], EMAIL_URL="file:///srv/portal/mail")
    assert read == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/srv/portal/mail",
    }


def test_postgres_url_keeps_connection_options_and_url_query_options():
    read = _settings_read(
        ["DATABASES"], DATABASE_URL="postgres://portal:pw@db.example.org:5433/portal?sslmode=require", CONN_MAX_AGE="30"
    )
    database = read["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["HOST"], database["PORT"]) == (
        "portal",
        "portal",
        "db.example.org",
        5433,
    )
    assert database["CONN_MAX_AGE"] == 30
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"] == {"connect_timeout": 5, "sslmode": "require"}


def test_embedded_sqlite_and_filesystem_broker_without_service_urls(tmp_path):
    read = _settings_read(
        ["DATABASES", "CACHES", "CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS"],
        DATABASE_URL="",
        REDIS_URL="",
        VAR_DIR=str(tmp_path),
    )
    database = read["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert read["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert read["CELERY_BROKER_URL"] == "filesystem://"
    assert read["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(tmp_path / "celery" / "broker")
    assert read["CELERY_BROKER_TRANSPORT_OPTIONS"]["max_retries"] == 0


def test_redis_url_is_the_cache_with_the_portal_prefix_and_the_broker():
    read = _settings_read(["CACHES", "CELERY_BROKER_URL"], REDIS_URL="redis://:pw@cache.example.org:6380/2")
    assert read["CACHES"]["default"] == {
        "BACKEND": "network_portal.redis_cache.SharedClientRedisCache",
        "LOCATION": "redis://:pw@cache.example.org:6380/2",
        "KEY_PREFIX": "np",
    }
    assert read["CELERY_BROKER_URL"] == "redis://:pw@cache.example.org:6380/2"


def test_every_scheduled_task_is_in_the_one_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "network_portal.tasks.outbox_sweep",
        "network_portal.tasks.retention_run",
        "members.tasks.reconfirmation_lapse_overdue",
        "network_portal.tasks.scheduled_email_scan",  # also sends the monthly digest (resources/schedules.py)
    } <= tasks


def test_settings_use_london_time_and_british_english(settings):
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.LANGUAGE_CODE == "en-gb"
    assert settings.CELERY_TIMEZONE == "UTC"


def _module_level(tree: ast.Module):
    """Every node of the module outside function and class bodies."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if not isinstance(node, ast.FunctionDef | ast.ClassDef):
            yield node
            stack.extend(ast.iter_child_nodes(node))


PATCHING_CALLS = {"globals", "insert", "append", "update", "extend", "setdefault"}


def test_each_setting_is_assigned_once_and_never_patched_later():
    assigned, patched = Counter(), []
    for node in _module_level(ast.parse((ROOT / "network_portal" / "settings.py").read_text())):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and target.id.isupper():
                    assigned[target.id] += 1
                if isinstance(node, ast.AugAssign) or not isinstance(target, ast.Name):
                    patched.append(ast.unparse(node))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in PATCHING_CALLS:
            patched.append(ast.unparse(node))
    assert [name for name, count in assigned.items() if count > 1] == []
    assert patched == []
