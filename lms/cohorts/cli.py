"""Command line: `flask --app lms cohort create|list|import` and `flask --app lms report cohort`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from . import enrolment, reports, services

cohort_cli = AppGroup("cohort", help="Cohorts: create, list, enrol people from a CSV file.")
report_cli = AppGroup("report", help="Reports on cohorts.")


def _date(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}” is not a date; use the form 2027-01-31.") from None


@cohort_cli.command("create")
@click.argument("name")
@click.option("--start", required=True, callback=_date, help="First day, YYYY-MM-DD.")
@click.option("--end", required=True, callback=_date, help="Last day, YYYY-MM-DD.")
def cohort_create(name: str, start: date, end: date) -> None:
    """Create a cohort."""
    try:
        cohort = services.create_cohort(None, name, start, end)
    except services.CohortError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created cohort “{cohort.name}” ({cohort.starts_on} to {cohort.ends_on}).")


@cohort_cli.command("list")
def cohort_list() -> None:
    """List cohorts: name, dates, learners, assessors."""
    summaries = services.cohorts()
    if not summaries:
        click.echo("No cohorts yet. Create one with: flask --app lms cohort create NAME --start DATE --end DATE")
    for s in summaries:
        click.echo(f"{s.cohort.name}\t{s.cohort.starts_on} to {s.cohort.ends_on}\t{s.learners} learners\t"
                   f"{s.assessors} assessors")


@cohort_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cohort", "cohort_name", default=None, help="The cohort for rows without one (needed when the "
                                                            "file has no cohort column).")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would happen; change nothing.")
def cohort_import(file: Path, cohort_name: str | None, dry_run: bool) -> None:
    """Enrol the people in a CSV file (name, email, school[, region][, cohort]).

    Prints `row N: message` for every problem and notice. When any row has a problem nothing is
    imported and the exit status is 1; notices alone (already enrolled) exit 0.
    """
    if cohort_name and services.cohort_by_name(cohort_name) is None:
        raise click.ClickException(f"There is no cohort called “{cohort_name}”. See: flask --app lms cohort list")
    text, problem = enrolment.text_of(file.read_bytes())
    if problem is not None:
        click.echo(str(problem))
        sys.exit(1)
    plan = enrolment.preview(text, cohort_name)
    for finding in plan.findings:
        click.echo(str(finding))
    if plan.problems:
        click.echo(f"{len(plan.problems)} row{'s' * (len(plan.problems) != 1)} with problems: nothing was imported. "
                   f"Correct the file and run the command again.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"Dry run: {len(plan.to_create)} account(s) would be created, "
                   f"{len(plan.actions)} enrolment(s) made. Nothing was changed.")
        return
    from ..cli import public_request_context
    with public_request_context():  # invitations carry links: URLs need a request
        try:
            result = enrolment.confirm(None, text, cohort_name, plan.fingerprint())
        except enrolment.PlanChanged as exc:
            raise click.ClickException(str(exc).replace(" below", "")) from None
    click.echo(f"{result.created} account(s) created, {result.enrolled} enrolment(s) made, "
               f"{result.invited} invitation(s) sent.")


@report_cli.command("cohort")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--table", type=click.Choice(reports.TABLES), default=None,
              help="Only this table (CSV prints every table, each under a [name] line, when not given).")
def report_cohort(name: str, fmt: str, table: str | None) -> None:
    """A cohort's figures: funnel, progress per domain, who is behind, indicator difficulty, turnaround."""
    cohort = services.cohort_by_name(name)
    if cohort is None:
        raise click.ClickException(f"There is no cohort called “{name}”. See: flask --app lms cohort list")
    report = reports.build(cohort)
    if fmt == "json":
        data = reports.to_json(report)
        if table:
            data = {"cohort": data["cohort"], "date": data["date"], table: data[table]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    tables = reports.tables(report)
    if table:
        click.echo(reports.to_csv(tables[table]), nl=False)
        return
    for index, (key, data) in enumerate(tables.items()):
        if index:
            click.echo()
        click.echo(f"[{key}]")
        click.echo(reports.to_csv(data), nl=False)
