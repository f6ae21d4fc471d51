"""The worker's housekeeping for published responses: what earlier generations stored is deleted hourly."""

from __future__ import annotations

from huey import crontab

from .published import prune_store
from .tasks import app_context, huey


@huey.periodic_task(crontab(minute="5"))
def prune_published_responses() -> None:
    """Every hour: delete stored responses no request can be answered with any more."""
    with app_context() as app:
        prune_store(app)
