"""Loaded by pytest (-p tests.environment) before Django's settings, so the
suite runs with production-like settings against PostgreSQL and Redis."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/network_portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# The test server speaks plain HTTP on loopback.
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
