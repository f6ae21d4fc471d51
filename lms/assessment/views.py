"""Routes for assessors (queue, claims, marking, notes, files), lead assessors (moderation, reviews)
and the learner's review request."""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from ..access import role_required
from ..content_store import catalogue
from ..domain.markdown_render import render_markdown
from ..evidence import services as evidence
from ..evidence.models import NOT_YET, EvidenceFile, EvidenceVersion
from ..models import utcnow
from ..request_caches import keep_until, kept_page
from . import services
from .forms import ReviewRequestForm, assessment_form, field_key, review_decision_form

bp = Blueprint("assessment", __name__, url_prefix="/assess")


@bp.get("")
@role_required("assessor")
@kept_page("marking")
def queue():
    """Submissions waiting for a mark, oldest first, by code; filterable; one page at a time."""
    framework = catalogue().framework
    domain_id = request.args.get("domain") or None
    competency_id = request.args.get("competency") or None
    if domain_id and framework.domain(domain_id) is None:
        domain_id = None
    if competency_id and framework.competency(competency_id) is None:
        competency_id = None
    # A cohort filter is kept only if it is one of the choices: then they are needed first. Without one,
    # the choices come with the page, in the same statement.
    cohort_id = request.args.get("cohort", type=int)
    cohorts = services.queue_cohorts(current_user) if cohort_id is not None else None
    if cohorts is not None and cohort_id not in {c.id for c in cohorts}:
        cohort_id = None
    after = services.parse_cursor(request.args.get("after"))
    page = services.queue(current_user, domain_id, competency_id, after,
                          int(current_app.config.get("QUEUE_PAGE_SIZE", 25)), cohort_id=cohort_id,
                          with_cohorts=cohorts is None)
    if cohorts is None:
        cohorts = page.cohorts
    if page.changes_at is not None:
        keep_until(page.changes_at.timestamp())
    return render_template("assessment/queue.html", page=page, framework=framework, cohorts=cohorts,
                           cohort_id=cohort_id, domain_id=domain_id, competency_id=competency_id,
                           claim_minutes=services.claim_minutes(), target=services.turnaround_days(),
                           paged=after is not None, is_lead=services.is_lead(current_user))


@bp.post("/<int:version_id>/claim")
@role_required("assessor")
def claim(version_id: int):
    """Open a submission (or keep it longer): it is reserved for this assessor for a while."""
    try:
        services.claim(current_user, version_id)
    except services.AssessmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("assessment.queue"))
    if request.form.get("extend"):
        flash(f"It stays reserved for you for another {services.claim_minutes()} minutes.", "info")
    return redirect(url_for("assessment.assess", version_id=version_id))


@bp.post("/<int:version_id>/release")
@role_required("assessor")
def release(version_id: int):
    """Give the submission back to the queue without deciding (their notes are kept)."""
    services.release(current_user, version_id)
    flash("Returned to the queue. Anything you entered is kept for you.", "info")
    return redirect(url_for("assessment.queue"))


def _file_label(case):
    def label(evidence_file: EvidenceFile, index: int) -> str:
        return blind_file_name(case, evidence_file, index)
    return label


def blind_file_name(case, evidence_file: EvidenceFile, index: int) -> str:
    """A file's name as assessors see it: the submission code, a number and the real extension."""
    from ..evidence.storage import ALLOWED_TYPES
    extension = ALLOWED_TYPES.get(evidence_file.content_type, ("", "bin"))[1]
    return f"{case.code}-{index}.{extension}"


def _form_from_note(unit, note: dict):
    return assessment_form(unit.task.indicator_ids, catalogue().rubric, formdata=MultiDict(note) if note else None)


def _page(version, form, status=200, read_only_reason=None, own_mark=None):
    cat = catalogue()
    case = services.case_for(version.id)
    unit = cat.unit(version.submission.unit_slug)
    return render_template(
        "assessment/assess.html", version=version, submission=version.submission, unit=unit, form=form,
        case=case, who=services.learner_label(case), file_label=_file_label(case),
        framework=cat.framework, rubric=cat.rubric, render_markdown=render_markdown, field_key=field_key,
        action_form=FlaskForm(), mine=version.claim_active() and version.claimed_by_id == current_user.id,
        now=utcnow(), read_only_reason=read_only_reason, own_mark=own_mark,
        claim_minutes=services.claim_minutes(),
    ), status


@bp.get("/<int:version_id>")
@role_required("assessor")
def assess(version_id: int):
    """The evidence by its code, the task and rubric; the mark form (with saved notes) when claimed.

    An assessor who lost the submission (claim expired, taken, marked) sees it read-only with their work."""
    loaded = services.case_with_evidence(version_id)  # everything the page shows, held for this request  # noqa: F841
    version = services.visible_version(current_user, version_id)
    if version is not None:
        unit = catalogue().unit(version.submission.unit_slug)
        return _page(version, _form_from_note(unit, services.note_for(current_user, version_id)))
    own_mark, note = services.own_work(current_user, version_id)
    if own_mark is None and not note:
        abort(404)
    version = services.case_for(version_id).version
    unit = catalogue().unit(version.submission.unit_slug)
    reason = ("You have marked this version; your mark is below." if own_mark is not None
              else services.stale_reason(current_user, version_id))
    return _page(version, _form_from_note(unit, note), read_only_reason=reason, own_mark=own_mark)


def _decision_from(form, unit, version_id: int) -> services.Decision:
    judgements = []
    for indicator_id in unit.task.indicator_ids:
        key = field_key(indicator_id)
        raw = form[f"level_{key}"].data
        judgements.append(services.IndicatorJudgement(indicator_id, int(raw) if raw and raw.isdigit() else None,
                                                      form[f"comment_{key}"].data or ""))
    return services.Decision(version_id, form.outcome.data or "", form.feedback.data or "", tuple(judgements))


@bp.post("/<int:version_id>")
@role_required("assessor")
def decide(version_id: int):
    """Record this assessor's mark once; a refused mark is kept as their notes and said so."""
    case = services.case_for(version_id)
    if case is None or case.learner_id == current_user.id:
        abort(404)
    unit = catalogue().unit(case.unit_slug)
    form = assessment_form(unit.task.indicator_ids, catalogue().rubric)
    if not form.validate_on_submit():
        return _page(case.version, form, 400)
    decision = _decision_from(form, unit, version_id)
    try:
        result = services.decide(current_user, decision)
    except services.StaleDecision as exc:
        flash(str(exc), "error")
        return redirect(url_for("assessment.assess", version_id=version_id))
    except services.AssessmentError as exc:
        flash(str(exc), "error")
        version = services.visible_version(current_user, version_id)
        if version is None:
            return redirect(url_for("assessment.assess", version_id=version_id))
        return _page(version, form, 400)
    word = "accepted" if decision.outcome == "accepted" else "“not yet”"
    next_step = {
        "final": "The decision is final and the learner has been told.",
        "second": "It now goes to a second, independent assessor.",
        "moderation": "The two marks disagree: a lead assessor will moderate.",
    }[result.stage]
    flash(f"Mark recorded: {case.code} {word}. {next_step}", "success")
    return redirect(url_for("assessment.queue"))


@bp.post("/<int:version_id>/notes")
@role_required("assessor", "lead_assessor")
def save_notes(version_id: int):
    """Autosave: keep what the assessor has entered so far (CSRF-checked like every form)."""
    try:
        saved = services.save_note(current_user, version_id, request.form.to_dict())
    except services.AssessmentError as exc:
        return jsonify(error=str(exc)), 400
    still_mine = services.visible_version(current_user, version_id) is not None
    return jsonify(saved_at=saved.strftime("%H:%M:%S"), claim_active=still_mine)


@bp.get("/files/<int:file_id>")
@role_required("assessor", "lead_assessor")
def download(file_id: int):
    """An evidence file for an assessor who may see its submission, named by the submission code."""
    from ..extensions import db

    evidence_file = db.session.get(EvidenceFile, file_id) or abort(404)
    version: EvidenceVersion = evidence_file.version
    case = services.files_case(current_user, version)
    if case is None:
        abort(404)
    try:
        stream = evidence.store().open(evidence_file.storage_key)
    except FileNotFoundError:
        abort(404)
    index = [f.id for f in version.files].index(evidence_file.id) + 1
    name = blind_file_name(case, evidence_file, index) if services.blind() else evidence.download_name(evidence_file)
    response = send_file(stream, mimetype=evidence_file.content_type, as_attachment=True, download_name=name,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- lead assessors: moderation and reviews ---------------------------------------------------------------

@bp.get("/moderation")
@role_required("lead_assessor")
def moderation():
    """Double-marked submissions whose marks disagree, oldest first."""
    cases, total = services.moderation_queue(current_user)
    reviews, review_total = services.review_queue(current_user)
    return render_template("assessment/moderation.html", cases=cases, total=total, reviews=reviews,
                           review_total=review_total, units=catalogue())


@bp.route("/moderation/<int:version_id>", methods=["GET", "POST"])
@role_required("lead_assessor")
def moderate(version_id: int):
    """Both marks side by side; the lead records final levels, outcome and a reason."""
    case = services.case_with_evidence(version_id) if request.method == "GET" else services.case_for(version_id)
    if case is None or case.learner_id == current_user.id:
        abort(404)
    # A page may be shown when it is open to this lead, or to show them their own kept work; a post
    # always goes to the service, which refuses a stale one and keeps what was typed.
    if request.method == "GET" and services.moderation_case(current_user, version_id) is None \
            and not services.note_for(current_user, version_id):
        abort(404)
    unit = catalogue().unit(case.unit_slug)
    rubric = catalogue().rubric
    status = 200
    if request.method == "POST":
        form = assessment_form(unit.task.indicator_ids, rubric, with_reason=True)
        if form.validate_on_submit():
            try:
                services.moderate(current_user, _decision_from(form, unit, version_id), form.reason.data or "")
            except services.StaleDecision as exc:
                flash(str(exc), "error")
                return redirect(url_for("assessment.moderate", version_id=version_id))
            except services.AssessmentError as exc:
                flash(str(exc), "error")
                status = 400
            else:
                flash(f"Final decision recorded for {case.code}; the learner has been told.", "success")
                return redirect(url_for("assessment.moderation"))
        else:
            status = 400
    else:
        note = services.note_for(current_user, version_id)
        form = assessment_form(unit.task.indicator_ids, rubric, with_reason=True,
                               formdata=MultiDict(note) if note else None)
    is_open = services.moderation_case(current_user, version_id) is not None
    if not is_open and request.method == "GET":
        flash("This submission is no longer waiting for your moderation. What you entered is kept below.", "info")
    cat = catalogue()
    return render_template("assessment/moderate.html", case=case, version=case.version, unit=unit, form=form,
                           marks=case.marks, framework=cat.framework, rubric=rubric, field_key=field_key,
                           render_markdown=render_markdown, file_label=_file_label(case), is_open=is_open,
                           who=services.learner_label(case), action_form=FlaskForm()), status


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@role_required("lead_assessor")
def review(review_id: int):
    """A learner's review request: uphold the decision or change it, with a response to the learner.

    For a "not yet" decision, changing it means recording the levels and outcome it should have had."""
    item = services.review_for(current_user, review_id) or abort(404)
    cat = catalogue()
    unit = cat.unit(item.version.submission.unit_slug)
    version = item.version
    with_levels = version.status == NOT_YET and version.assessment is not None
    current = {f"level_{field_key(s.indicator_id)}": str(s.level) for s in version.assessment.scores} \
        if with_levels else {}
    form = review_decision_form(unit.task.indicator_ids, cat.rubric, with_levels, data=current)
    status = 200
    if form.validate_on_submit():
        changed = form.result.data == "changed"
        try:
            services.decide_review(current_user, review_id, changed, form.response.data or "",
                                   _decision_from(form, unit, version.id) if with_levels and changed else None)
        except services.StaleDecision as exc:
            flash(str(exc), "error")
            return redirect(url_for("assessment.moderation"))
        except services.AssessmentError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash("Review decided; the learner has been told.", "success")
            return redirect(url_for("assessment.moderation"))
    elif request.method == "POST":
        status = 400
    case = services.case_for(item.version_id)
    return render_template("assessment/review.html", item=item, version=version, form=form, case=case,
                           unit=unit, framework=cat.framework, with_levels=with_levels, field_key=field_key,
                           rubric=cat.rubric, render_markdown=render_markdown, file_label=_file_label(case),
                           who=services.learner_label(case)), status


# --- the learner asks for a review --------------------------------------------------------------------------

@bp.post("/review-request/<int:version_id>")
@login_required
def request_review(version_id: int):
    """A learner asks for a review of a final decision on their evidence (once, with a reason)."""
    form = ReviewRequestForm()
    version = evidence_version_of_learner(version_id) or abort(404)
    slug = version.submission.unit_slug
    if not form.validate_on_submit():
        flash("Say why you are asking for a review (up to 4,000 characters).", "error")
        return redirect(url_for("evidence.submission", slug=slug))
    try:
        services.request_review(current_user, version_id, form.reason.data or "")
    except services.AssessmentError as exc:
        flash(str(exc), "error")
    else:
        flash("Your request for a review was sent. A lead assessor will look at it and you will be told.",
              "success")
    return redirect(url_for("evidence.submission", slug=slug))


def evidence_version_of_learner(version_id: int) -> EvidenceVersion | None:
    """The version if it is the signed-in learner's own."""
    from ..extensions import db
    version = db.session.get(EvidenceVersion, version_id)
    return version if version is not None and version.submission.learner_id == current_user.id else None
