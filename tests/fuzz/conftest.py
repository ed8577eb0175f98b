import pytest


@pytest.fixture(autouse=True)
def _fuzz_settings(settings, tmp_path):
    # Factories hash a password per user; the real hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Uploads from fuzzed case studies land in this test's own folder.
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PRIVATE_FILES_ACCEL_PREFIX = ""
