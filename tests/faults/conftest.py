import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories hash a password per user; the real hasher would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
