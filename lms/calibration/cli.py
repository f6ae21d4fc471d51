"""Command line: `flask --app lms assessment agreement [--json]`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

assessment_cli = AppGroup("assessment", help="Assessment quality: agreement between markers.")


@assessment_cli.command("agreement")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list with one object per indicator.")
def agreement(as_json: bool) -> None:
    """Agreement per indicator over all double-marked submissions: pairs, exact, adjacent, kappa, alpha."""
    from .statistics import statistics

    rows = [row.as_dict() for row in statistics().indicators]
    if as_json:
        click.echo(json.dumps(rows, indent=2, allow_nan=False))  # undefined figures are null, never NaN
        return

    def show(value, percent=False):
        if value is None:
            return "n/a"
        return f"{value:.0%}" if percent else f"{value:.2f}"

    click.echo(f"{'indicator':<10} {'pairs':>5} {'exact':>6} {'adjacent':>8} {'kappa':>6} {'alpha':>6}")
    for row in rows:
        click.echo(f"{row['indicator']:<10} {row['pairs']:>5} {show(row['exact'], True):>6} "
                   f"{show(row['adjacent'], True):>8} {show(row['kappa']):>6} {show(row['alpha']):>6}")
