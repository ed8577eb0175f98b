"""Run a script against a fresh SQLite database in a subprocess, as `make run` sets
up embedded mode, for the tests that show a PostgreSQL-tuned path also works there."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_on_sqlite(tmp_path, script: str, *args: str):
    """Migrate a new SQLite database under tmp_path, run script with args there, and
    return the JSON it printed last."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "network_portal.settings",
        "VAR_DIR": str(tmp_path),
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
    }
    for name in ("REDIS_URL", "EMAIL_URL"):
        env.pop(name, None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    command = [sys.executable, "-c", script, *args]
    done = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])
