"""`flask --app lms worker` (the background worker) and `flask --app lms mail ...` (the outbox)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..extensions import db
from . import services
from .models import FAILED, PENDING, OutboxMessage

mail_cli = AppGroup("mail", help="The outbox: what was sent, what waits, what failed.")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running tasks at once.")
@click.option("--no-periodic", is_flag=True, help="Skip scheduled jobs (run them on one worker only).")
@with_appcontext
def worker(workers: int, no_periodic: bool) -> None:
    """Run the background worker: sends email, runs the scheduled jobs."""
    from ..tasks import huey

    app = current_app._get_current_object()
    if huey.immediate:
        raise click.ClickException("TASK_QUEUE_IMMEDIATE is on: tasks already run inside the app, not in a worker.")
    click.echo(f"Worker: queue {huey.storage.__class__.__name__}, mail to "
               f"{app.config.get('MAIL_HOST') or services.mail_folder()}")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic).run()


@mail_cli.command("status")
def mail_status() -> None:
    """Counts of pending, sent and failed messages, and the last problems."""
    counts = services.outbox_counts()
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items()))
    problems = db.session.execute(
        db.select(OutboxMessage).where(OutboxMessage.status.in_((PENDING, FAILED)), OutboxMessage.last_error != "")
        .order_by(OutboxMessage.id.desc()).limit(10)).scalars()
    for m in problems:
        click.echo(f"  {m.id} {m.status} {m.to_address} attempts={m.attempts}: {m.last_error}")


@mail_cli.command("send")
def mail_send() -> None:
    """Send every message that is due now (what the worker does each minute)."""
    counts = services.deliver_due()
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items()))
