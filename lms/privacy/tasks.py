"""The worker's privacy task: evidence files past their retention period are deleted every night."""

from __future__ import annotations

from huey import crontab

from ..models import utcnow
from ..tasks import app_context, huey
from . import services


@huey.periodic_task(crontab(minute="20", hour="2"))
def delete_expired_evidence_files() -> None:
    """Every night: delete evidence files kept longer than RETENTION_MONTHS (see README)."""
    with app_context() as app:
        services.apply_retention(utcnow(), int(app.config["RETENTION_MONTHS"]))
