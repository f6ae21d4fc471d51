"""Command line: `flask --app lms content check`, `users create`, `demo seed`."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .auth import services
from .content_store import content_report
from .extensions import db
from .models import ROLES, User

content_cli = AppGroup("content", help="Check the course content.")
users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")


@content_cli.command("check")
def content_check() -> None:
    """Validate framework and units; print each problem as path:line: message, then a summary."""
    # The app factory has loaded and checked the content already; content with errors never gets
    # this far, because the factory stops with the same report.
    report = content_report()
    for line in report.lines():
        click.echo(line)
    if report.problems:
        sys.exit(1)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
def users_create(email: str, name: str, role: str) -> None:
    """Create an account. The password is asked for, or read from standard input when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(email, name, password, role)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@users_cli.command("list")
def users_list() -> None:
    """List accounts: id, role, email, name."""
    for user in db.session.execute(db.select(User).order_by(User.id)).scalars():
        click.echo(f"{user.id}\t{user.role}\t{user.email}\t{user.name}")


DEMO_ACCOUNTS = (
    ("learner", "learner@demo.example.org", "Priya Ramdin"),
    ("assessor", "assessor@demo.example.org", "Jean-Marc Lebon"),
    ("admin", "admin@demo.example.org", "Aisha Goolam"),
)
DEMO_LOGINS_FILE = "demo-logins.json"
DEMO_COMPLETED_UNITS = 3


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create demo accounts (idempotent) and print their logins. Passwords live in instance/ only."""
    from .learning import services as learning

    logins_path = Path(current_app.instance_path) / DEMO_LOGINS_FILE
    logins = json.loads(logins_path.read_text()) if logins_path.exists() else {}
    changed = False
    for role, email, name in DEMO_ACCOUNTS:
        password = logins.get(email) or secrets.token_urlsafe(9)
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = services.create_user(email, name, password, role)
            if role == "learner":
                for unit in _demo_units()[:DEMO_COMPLETED_UNITS]:
                    learning.mark_complete(user, unit.slug)
        elif email not in logins:  # the logins file was lost: give the account a password we can print
            from .auth.passwords import hash_password
            user.password_hash = hash_password(password)
            db.session.commit()
        if logins.get(email) != password:
            logins[email], changed = password, True
    if changed:
        logins_path.write_text(json.dumps(logins, indent=2) + "\n")
        logins_path.chmod(0o600)
    click.echo("Demo accounts (passwords are kept in instance/demo-logins.json):")
    for role, email, _ in DEMO_ACCOUNTS:
        click.echo(f"  {role:<9} {email:<28} {logins[email]}")


def _demo_units():
    from .content_store import catalogue
    return catalogue().units


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    for group in (content_cli, users_cli, demo_cli):
        app.cli.add_command(group)
