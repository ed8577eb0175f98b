"""The database session store, with its one read per request as a plain SQL statement.

Every signed-in request loads its session before anything else. Django's store
builds that read through the ORM, and compiling the query cost more than running
it. The statement and its answer are the same: the row's data if the key is
known and the session has not expired. An unknown or expired key clears the key,
as Django's store does, so that saving the session starts a new one."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        data = self._session_data()
        if data is None:
            self._session_key = None
            return {}
        return self.decode(data)

    def _session_data(self) -> str | None:
        if not self.session_key:
            return None
        connection = connections[router.db_for_read(self.model)]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 - table name from the model  # nosec B608
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        return row[0] if row else None
