"""The task that sends one notification delivery (services/notification_sending.deliver)."""

from __future__ import annotations

from etlfabric.errors import NotFound
from etlfabric.services import notification_sending
from etlfabric.services.notifications import DELIVER_TASK
from etlfabric.tasks import celery_app


@celery_app.task(name=DELIVER_TASK)
def deliver_notification(org_id: int, delivery_id: int) -> str | None:
    """One attempt; a failed one is retried by the leader's sweep when its wait is over."""
    try:
        status = notification_sending.deliver(org_id, delivery_id)
    except NotFound:  # the organisation was deleted meanwhile
        return None
    return None if status is None else status.value
