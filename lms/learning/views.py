"""Routes for the learner: the dashboard and the units."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..content_store import catalogue
from ..domain.exemplars import descriptor_conditions, required_level
from ..evidence import services as evidence_services
from . import services

bp = Blueprint("learning", __name__)


@bp.get("/")
def index():
    """The landing page, or the dashboard for someone signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    return render_template("index.html", catalogue=catalogue())


@bp.get("/dashboard")
@login_required
def dashboard():
    """Progress per domain, the next unit, where to resume, every unit; returned evidence and new badges first."""
    from ..badges import services as badge_services
    from ..models import utcnow

    returned = [catalogue().unit(slug) for slug, status in evidence_services.statuses(current_user).items()
                if status == "not_yet" and catalogue().unit(slug) is not None]
    since = utcnow() - NEW_BADGE_DAYS
    new_badges = [(a, badge_services.badge_def(a)) for a in badge_services.recent_badges_of(current_user, since)]
    from ..cohorts.services import plan_for
    return render_template("learning/dashboard.html", catalogue=catalogue(),
                           progress=services.progress(current_user), returned=returned, new_badges=new_badges,
                           cohort_plan=plan_for(current_user))


@bp.app_template_global()
def unit_url(slug: str) -> str:
    """The address of a unit's page, built once per app and script root rather than on every link."""
    cache = current_app.extensions.setdefault("lms.unit_urls", {})
    key = (request.script_root, slug)
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for("learning.unit", slug=slug)
    return url


NEW_BADGE_DAYS = timedelta(days=30)  # how long the dashboard announces a badge as new


@bp.get("/units/<slug>")
@login_required
def unit(slug: str):
    """One unit: outcomes, time, indicators, the rendered text, reflection and evidence task."""
    found = catalogue().unit(slug) or abort(404)
    progress = services.progress(current_user)
    before, after = catalogue().neighbours(slug)
    status = evidence_services.status_of(evidence_services.submission_for(current_user, slug))
    action = {"not_started": "Start your evidence", "draft": "Continue your draft", "revising": "Continue revising",
              "not_yet": "See feedback and revise"}.get(status, "See your evidence")
    return render_template("learning/unit.html", unit=found, framework=catalogue().framework,
                           completed=slug in progress.completed_slugs, before=before, after=after,
                           progress=progress, form=FlaskForm(), evidence_action=action,
                           evidence_label=evidence_services.STATUS_LABELS[status],
                           has_exemplars=catalogue().exemplars(slug) is not None)


@bp.get("/units/<slug>/exemplars")
@login_required
def exemplars(slug: str):
    """The task's teaching exemplars: an accepted and a not-yet example, annotated against the descriptors.

    Meant to be read after the unit: a learner who has not marked the unit complete is pointed back to it
    first, but never kept out.
    """
    found = catalogue().unit(slug) or abort(404)
    exemplar_set = catalogue().exemplars(slug) or abort(404)
    rubric = catalogue().rubric
    return render_template("learning/exemplars.html", unit=found, exemplar_set=exemplar_set,
                           framework=catalogue().framework, rubric=rubric,
                           read_unit=slug in services.completions(current_user),
                           conditions=lambda ind, value: descriptor_conditions(rubric.descriptor(ind, value)),
                           required=lambda ind: required_level(ind, catalogue().framework, rubric))


@bp.post("/units/<slug>/complete")
@login_required
def complete(slug: str):
    """Mark a unit complete and go on to the next one."""
    found = catalogue().unit(slug) or abort(404)
    services.mark_complete(current_user, slug)
    flash(f"“{found.title}” is marked complete.", "success")
    next_unit = services.progress(current_user).resume_unit
    if next_unit is not None:
        return redirect(url_for("learning.unit", slug=next_unit.slug))
    flash("You have completed every unit of the course.", "success")
    return redirect(url_for("learning.dashboard"))


@bp.post("/units/<slug>/incomplete")
@login_required
def incomplete(slug: str):
    """Take back a completion, for a learner who wants to revisit a unit."""
    found = catalogue().unit(slug) or abort(404)
    services.mark_incomplete(current_user, slug)
    flash(f"“{found.title}” is no longer marked complete.", "info")
    return redirect(url_for("learning.unit", slug=slug))
