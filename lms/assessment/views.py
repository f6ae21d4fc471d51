"""Routes for assessors: the queue, claiming, the assessment page and the decision."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..access import role_required
from ..content_store import catalogue
from ..domain.markdown_render import render_markdown
from ..models import utcnow
from . import services
from .forms import assessment_form, field_key

bp = Blueprint("assessment", __name__, url_prefix="/assess")


@bp.get("")
@role_required("assessor")
def queue():
    """Submissions waiting for assessment, oldest first, filterable by domain and competency."""
    framework = catalogue().framework
    domain_id = request.args.get("domain") or None
    competency_id = request.args.get("competency") or None
    if domain_id and framework.domain(domain_id) is None:
        domain_id = None
    if competency_id and framework.competency(competency_id) is None:
        competency_id = None
    entries = services.queue(current_user, domain_id, competency_id)
    return render_template("assessment/queue.html", entries=entries, framework=framework,
                           domain_id=domain_id, competency_id=competency_id, form=FlaskForm(),
                           claim_minutes=services.claim_minutes())


@bp.post("/<int:version_id>/claim")
@role_required("assessor")
def claim(version_id: int):
    """Open a submission: it is reserved for this assessor for a while."""
    try:
        services.claim(current_user, version_id)
    except services.AssessmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("assessment.queue"))
    return redirect(url_for("assessment.assess", version_id=version_id))


@bp.post("/<int:version_id>/release")
@role_required("assessor")
def release(version_id: int):
    """Give the submission back to the queue without deciding."""
    services.release(current_user, version_id)
    flash("Returned to the queue.", "info")
    return redirect(url_for("assessment.queue"))


def _page(version, form, status=200):
    cat = catalogue()
    unit = cat.unit(version.submission.unit_slug)
    return render_template(
        "assessment/assess.html", version=version, submission=version.submission, unit=unit, form=form,
        framework=cat.framework, rubric=cat.rubric, render_markdown=render_markdown, field_key=field_key,
        action_form=FlaskForm(), mine=version.claim_active() and version.claimed_by_id == current_user.id,
        now=utcnow(),
    ), status


@bp.get("/<int:version_id>")
@role_required("assessor")
def assess(version_id: int):
    """The evidence, its history and the rubric, with the decision form when claimed by this assessor."""
    version = services.visible_version(current_user, version_id) or abort(404)
    unit = catalogue().unit(version.submission.unit_slug)
    return _page(version, assessment_form(unit.task.indicator_ids, catalogue().rubric, formdata=None))


@bp.post("/<int:version_id>")
@role_required("assessor")
def decide(version_id: int):
    """Record the decision once; a stale or second decision is refused and said so."""
    version = services.visible_version(current_user, version_id)
    if version is None:
        # Decided or taken meanwhile: say so, rather than a bare 404, to the assessor who had it open.
        reason = services.stale_reason(current_user, version_id) or abort(404)
        flash(reason, "error")
        return redirect(url_for("assessment.queue"))
    unit = catalogue().unit(version.submission.unit_slug)
    form = assessment_form(unit.task.indicator_ids, catalogue().rubric)
    if not form.validate_on_submit():
        return _page(version, form, 400)
    judgements = []
    for indicator_id in unit.task.indicator_ids:
        key = field_key(indicator_id)
        raw = form[f"level_{key}"].data
        judgements.append(services.IndicatorJudgement(indicator_id, int(raw) if raw and raw.isdigit() else None,
                                                      form[f"comment_{key}"].data or ""))
    decision = services.Decision(version_id, form.outcome.data or "", form.feedback.data or "", tuple(judgements))
    try:
        services.decide(current_user, decision)
    except services.StaleDecision as exc:
        flash(str(exc), "error")
        return redirect(url_for("assessment.queue"))
    except services.AssessmentError as exc:
        flash(str(exc), "error")
        return _page(services.visible_version(current_user, version_id) or abort(404), form, 400)
    word = "accepted" if decision.outcome == "accepted" else "returned “not yet”"
    flash(f"Decision recorded: {unit.task.title} (version {version.number}) {word}.", "success")
    return redirect(url_for("assessment.queue"))
