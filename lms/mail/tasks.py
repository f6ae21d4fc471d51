"""The worker's mail tasks: send one message after its commit, and a sweep for retries every minute."""

from __future__ import annotations

from huey import crontab

from ..tasks import app_context, huey
from . import services


@huey.task()
def deliver_message(message_id: int) -> None:
    """Send one outbox message (queued after the transaction that wrote it commits)."""
    with app_context():
        services.deliver(message_id)


@huey.periodic_task(crontab(minute="*"))
def deliver_due_mail() -> None:
    """Every minute: send what is due (retries, and anything whose queue entry was lost)."""
    with app_context():
        services.deliver_due()


@huey.periodic_task(crontab(hour="3", minute="13"))
def forget_old_mail() -> None:
    """Nightly: delete sent and failed messages older than MAIL_KEEP_DAYS."""
    with app_context():
        services.forget_old_mail()
