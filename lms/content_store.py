"""Course content loaded once per process at start-up, rendered and cached, read by every request."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask, current_app

from .domain.content import Catalogue, ContentReport, load_content

log = logging.getLogger(__name__)


class ContentLoadFailed(click.ClickException):
    """Content with errors: the app refuses to start, printing the same report as `content check`."""

    exit_code = 1

    def __init__(self, report: ContentReport):
        super().__init__("\n".join(report.lines()))
        self.report = report

    def show(self, file=None) -> None:
        # The report stands on its own: no "Error:" prefix in front of the first path:line.
        click.echo(self.format_message(), file=file, err=file is None)


def init_content(app: Flask) -> None:
    """Load and check the content; stop with the report on errors, log warnings."""
    report = load_content(Path(app.config["RUBRICS_DIR"]), Path(app.config["MODULES_DIR"]),
                          Path(app.config["BADGES_DIR"]))
    if report.catalogue is None:
        raise ContentLoadFailed(report)
    for problem in report.warnings:
        log.warning("content: %s", problem)
    app.extensions["lms.content"] = report


def catalogue() -> Catalogue:
    """The current app's content."""
    return current_app.extensions["lms.content"].catalogue


def content_report() -> ContentReport:
    """The report from loading the current app's content."""
    return current_app.extensions["lms.content"]
