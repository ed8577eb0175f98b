import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The concurrency tests create hundreds of members; PBKDF2 would dominate their run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
