"""Command line for evidence: `flask --app lms evidence reopen-stuck [--dry-run]`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

evidence_cli = AppGroup("evidence", help="Learners' evidence: reopen evidence stuck below its rule.")


@evidence_cli.command("reopen-stuck")
@click.option("--dry-run", is_flag=True, help="List what would be reopened; change nothing.")
def reopen_stuck(dry_run: bool) -> None:
    """Reopen accepted evidence that holds an indicator below its competency rule, and tell its learners."""
    from ..cli import public_request_context
    from ..content_store import catalogue
    from . import services

    rubric = catalogue().rubric
    with public_request_context():  # notifications link to the evidence page
        stuck = services.reopen_stuck(dry_run=dry_run)
    for item in stuck:
        version = item.version
        short = ", ".join(f"{s.indicator_id} at {rubric.level(s.level).label} (needs {rubric.level(s.required).label})"
                          for s in item.shortfalls)
        click.echo(f"{'would reopen' if dry_run else 'reopened'}: {version.submission.learner.email} "
                   f"{version.submission.unit_slug} version {version.number}: {short}")
    verb = "would be reopened" if dry_run else "reopened"
    click.echo(f"{len(stuck)} accepted version{'s' * (len(stuck) != 1)} {verb}.")
