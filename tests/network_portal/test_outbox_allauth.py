"""allauth's emails go through the outbox, so a broker outage delays them
instead of losing them."""

import pytest
from django.urls import reverse

from network_portal.celery import app as celery_app
from network_portal.models import OutboxEmail
from network_portal.outbox import services
from tests.factories import UserFactory

from .outbox_support import broker_down, fast_passwords  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def real_broker():
    # Publish for real (to whatever broker the app points at) instead of running eagerly.
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.mark.usefixtures("real_broker")
def test_password_reset_email_survives_a_broker_outage_and_the_sweep_sends_it(
    client, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    user = UserFactory()

    with broker_down(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert len(callbacks) == 1
    assert "left for the sweep" in caplog.text
    row = OutboxEmail.objects.get()
    assert (row.kind, row.status, row.to_email, row.user) == ("account:password_reset_key", "pending", user.email, user)
    assert mailoutbox == []

    assert services.outbox_sweep()["sent"] == 1

    [message] = mailoutbox
    assert message.to == [user.email]
    assert "/accounts/password/reset/key/" in message.body


def test_each_allauth_email_gets_its_own_row(client, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
        client.post(reverse("account_reset_password"), {"email": user.email})

    assert OutboxEmail.objects.filter(kind="account:password_reset_key", status="sent").count() == 2
    assert len(mailoutbox) == 2
