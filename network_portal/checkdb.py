"""Exit 0 when PostgreSQL answers at DATABASE_URL; used by `make test`."""

import os
import sys
from urllib.parse import urlsplit

import psycopg2


def main() -> int:
    url = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/network_portal")
    parts = urlsplit(url)
    try:
        # Connect to the maintenance database: the test database may not exist yet.
        psycopg2.connect(
            dbname="postgres",
            user=parts.username or "",
            password=parts.password or "",
            host=parts.hostname or "",
            port=parts.port or 5432,
            connect_timeout=5,
        ).close()
    except psycopg2.OperationalError as exc:
        print(f"Could not connect: {exc}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
