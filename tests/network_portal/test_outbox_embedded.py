"""The outbox sends on SQLite, as `make run` runs it.

Marking a row sent (and counting the next row's attempt in the same statement)
is written as SQL, so it is run here on SQLite itself, in a subprocess with its
own DATABASE_URL, exactly as embedded mode does."""

from tests.embedded import run_on_sqlite

SEND_ON_SQLITE = """
import json
import django
django.setup()
from django.conf import settings
from django.core import mail
from network_portal.models import OutboxEmail
from network_portal.outbox import queue_email, services

settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
mail.outbox = []
rows = [
    queue_email(to_email=f"member{n}@example.org", subject=f"Email {n}", body_text=f"Body {n}", body_html="",
                kind="embedded", dedupe_key=f"embedded:{n}", sensitive=n == 1)
    for n in range(3)
]
results = services.outbox_send_many(email_ids=[row.pk for row in rows])
print(json.dumps({
    "results": [result.status for result in results],
    "delivered": sorted(message.subject for message in mail.outbox),
    "rows": [
        [row.status, row.attempts, row.body_text, row.lease_expires_at is None, row.sent_at is not None]
        for row in OutboxEmail.objects.order_by("pk")
    ],
}))
"""


def test_embedded_outbox_sends_each_row_once_counts_one_attempt_each_and_redacts_the_sensitive_one(tmp_path):
    outcome = run_on_sqlite(tmp_path, SEND_ON_SQLITE)

    assert outcome["results"] == ["sent", "sent", "sent"]
    assert outcome["delivered"] == ["Email 0", "Email 1", "Email 2"]
    redacted = "[Removed once sent: this email carried a link that acts for its recipient.]"
    assert outcome["rows"] == [
        ["sent", 1, "Body 0", True, True],
        ["sent", 1, redacted, True, True],
        ["sent", 1, "Body 2", True, True],
    ]
