"""Routes for the learner's evidence: the form, versions, files and the competency profile."""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from ..content_store import catalogue
from ..domain.markdown_render import render_markdown
from ..domain.units import count_words
from ..extensions import db
from ..record.services import learner_profile
from . import services
from .forms import EvidenceForm
from .models import DRAFT, SUBMITTED
from .storage import ACCEPTED_DESCRIPTION

bp = Blueprint("evidence", __name__)


@bp.get("/evidence")
@login_required
def portfolio():
    """Every unit's evidence task with where the learner's evidence stands."""
    found = services.statuses(current_user)
    rows = [(unit, found.get(unit.slug, "not_started")) for unit in catalogue().task_units]
    return render_template("evidence/portfolio.html", rows=rows, labels=services.STATUS_LABELS)


def _page(slug: str, form: EvidenceForm | None = None, status: int = 200, conflict: str | None = None):
    unit = catalogue().unit(slug) or abort(404)
    if unit.task is None:  # an orientation unit asks for no evidence
        abort(404)
    submission = services.submission_with_history(current_user, slug)
    latest = submission.latest if submission else None
    editable = latest is None or latest.status == DRAFT
    if form is None:
        form = EvidenceForm(formdata=None)
        if latest is not None and editable:
            form.reflection.data = latest.reflection
            form.links.data = "\n".join(latest.links)
        form.revision.data = str(latest.revision) if latest is not None and editable else "0"
    # Ticks come back exactly as posted when the form is re-shown, else as saved with the draft.
    if request.method == "POST" and request.form.get("checklist_shown"):
        ticked = set(request.form.getlist("checklist"))
    else:
        ticked = {item for item, done in latest.checklist if done} if latest is not None and editable else set()
    return render_template(
        "evidence/submission.html", unit=unit, submission=submission, latest=latest, editable=editable,
        form=form, action_form=FlaskForm(), status=services.status_of(submission),
        labels=services.STATUS_LABELS, framework=catalogue().framework, rubric=catalogue().rubric,
        render_markdown=render_markdown, conflict=conflict, accepted_types=ACCEPTED_DESCRIPTION,
        max_mb=current_app.config["UPLOAD_MAX_MB"], checklist_ticked=ticked, expected=services.expected_length(slug),
        words=count_words(form.reflection.data or ""), max_chars=services.MAX_REFLECTION_CHARS,
        has_exemplars=catalogue().exemplars(slug) is not None,
    ), status


@bp.get("/units/<slug>/evidence")
@login_required
def submission(slug: str):
    """The learner's evidence for one unit: the draft form or its status, the history, the rubric."""
    return _page(slug)


def _draft_input(form: EvidenceForm, uploads=()) -> services.DraftInput:
    return services.DraftInput(
        reflection=form.reflection.data or "",
        links_text=form.links.data or "",
        expected_revision=int(form.revision.data) if (form.revision.data or "").isdigit() else None,
        uploads=list(uploads),
        # The form shows the task's completeness checklist; "checklist_shown" tells "none ticked" from "not shown".
        checklist_ticked=tuple(request.form.getlist("checklist")) if request.form.get("checklist_shown") else None,
    )


def _latest_if_same(slug: str, data: services.DraftInput):
    """The latest version if it holds exactly this text and these links (a second click of Submit), else None."""
    fresh = services.submission_for(current_user, slug)
    latest = fresh.latest if fresh else None
    if latest is None or latest.reflection != data.reflection:
        return None
    try:
        return latest if latest.links == services.parse_links(data.links_text) else None
    except services.EvidenceError:
        return None


def _save_or_submit(slug: str, data: services.DraftInput, submit: bool):
    """Save (and submit); a double-clicked Submit gives one version and the confirmation, not a conflict."""
    try:
        return services.save_draft(current_user, slug, data, submit=submit)
    except services.EvidenceError:
        same = _latest_if_same(slug, data) if submit else None
        if same is None:
            raise
        if same.status == SUBMITTED:
            return services.SaveResult(same, submitted=True)
        if same.status != DRAFT:
            raise
    # The first click saved this very text (and its files) but has not submitted yet: submit it as saved.
    data.expected_revision, data.uploads = same.revision, []
    try:
        return services.save_draft(current_user, slug, data, submit=True)
    except services.EvidenceError:
        again = _latest_if_same(slug, data)
        if again is not None and again.status == SUBMITTED:
            return services.SaveResult(again, submitted=True)
        raise


@bp.post("/units/<slug>/evidence")
@login_required
def save(slug: str):
    """Save the draft, or submit it; on any problem the form comes back with everything typed."""
    catalogue().unit(slug) or abort(404)
    form = EvidenceForm()
    if not form.validate():
        return _page(slug, form, 400)
    submit = bool(form.submit_for_assessment.data)
    data = _draft_input(form, request.files.getlist(form.files.name))
    try:
        result = _save_or_submit(slug, data, submit)
    except IntegrityError:  # the first save of this evidence, made at the same moment elsewhere
        db.session.rollback()
        return _page(slug, form, 409, conflict=SAVED_ELSEWHERE)
    except services.EditConflict as exc:
        return _page(slug, form, 409, conflict=str(exc))
    except services.EvidenceError as exc:
        flash(str(exc), "error")
        # The draft may have been saved (e.g. files kept) before a submit was refused: show the latest.
        fresh = services.submission_for(current_user, slug)
        if fresh is not None and fresh.latest is not None and fresh.latest.status == DRAFT:
            form.revision.data = str(fresh.latest.revision)
        return _page(slug, form, 400)
    for message in result.rejected:
        flash(message, "error")
    if result.rejected:
        form.revision.data = str(result.version.revision)
        flash("Your text was saved; the files listed above were not." +
              (" Nothing was submitted." if submit else ""), "info")
        return _page(slug, form, 400)
    flash(SUBMITTED_MESSAGE if result.submitted else "Draft saved.", "success")
    return redirect(url_for("evidence.submission", slug=slug))


SAVED_ELSEWHERE = ("This evidence was saved from another window a moment ago. Nothing was overwritten: your text is "
                   "shown below so you can copy what you need, then reload the page to see the saved draft.")
SUBMITTED_MESSAGE = "Submitted for assessment. You will be told here when it is decided."


@bp.post("/units/<slug>/evidence/autosave")
@login_required
def autosave(slug: str):
    """Save the draft's text while the learner types (evidence.js calls this); answers JSON."""
    catalogue().unit(slug) or abort(404)
    form = EvidenceForm()
    if not form.validate():
        return jsonify(error=" ".join(form.reflection.errors + form.links.errors) or "Not saved."), 400
    try:
        result = services.save_draft(current_user, slug, _draft_input(form))
    except IntegrityError:
        db.session.rollback()
        return jsonify(error=SAVED_ELSEWHERE, conflict=True), 409
    except services.EditConflict as exc:
        return jsonify(error=str(exc), conflict=True), 409
    except services.EvidenceError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(revision=result.version.revision, saved_at=result.version.updated_at.isoformat(),
                   words=count_words(result.version.reflection))


@bp.post("/units/<slug>/evidence/revise")
@login_required
def revise(slug: str):
    """Start a new version from evidence returned "not yet"."""
    catalogue().unit(slug) or abort(404)
    try:
        services.start_revision(current_user, slug)
    except services.EvidenceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("evidence.submission", slug=slug) + "#evidence-form")


@bp.post("/evidence/files/<int:file_id>/remove")
@login_required
def remove_file(file_id: int):
    """Remove a file from the learner's draft."""
    try:
        removed = services.remove_file(current_user, file_id)
    except LookupError:
        abort(404)
    except services.EvidenceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("evidence.portfolio"))
    flash(f"Removed “{removed.original_name}”.", "info")
    return redirect(url_for("evidence.submission", slug=removed.version.submission.unit_slug) + "#evidence-form")


@bp.get("/evidence/files/<int:file_id>")
@login_required
def download(file_id: int):
    """A file as a download that cannot run in the browser, for those allowed to see it."""
    evidence_file = services.file_for_download(current_user, file_id) or abort(404)
    try:
        stream = services.store().open(evidence_file.storage_key)
    except FileNotFoundError:
        abort(404)
    response = send_file(stream, mimetype=evidence_file.content_type, as_attachment=True,
                         download_name=services.download_name(evidence_file), max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/profile")
@login_required
def profile():
    """The learner's competency profile: a picture and a table."""
    cat = catalogue()
    return render_template("evidence/profile.html", profile=learner_profile(current_user.id),
                           framework=cat.framework, rubric=cat.rubric)
