"""The monthly partner-updates digest, declared for the site-wide scan of
scheduled email (network_portal.schedules). It falls due at 08:30 London time
on the first of the month and is caught up for three days; the dedupe key
"digest:2026-10:member:40" keeps it to one email per member per month."""

from datetime import time, timedelta

from network_portal.schedules import MonthlySchedule, register

from . import services

register(
    MonthlySchedule(
        name="resources-monthly-digest",
        send=services.digest_send,
        at=time(8, 30),
        lookback=timedelta(days=3),
    )
)
