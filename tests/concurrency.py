"""Real threads released at the same moment, for the tests that race writers
against PostgreSQL's locks."""

import threading

from django.db import connection


def run_at_once(calls, *, timeout: float = 120):
    """Run each call in its own thread, released together; return (results, errors).

    Each thread connects before the release, so the calls really meet at the
    database, and closes its connection after."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def worker(call):
        try:
            connection.ensure_connection()
            barrier.wait()
            outcome = call()
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - every failure is collected and asserted on
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
