"""Routes: the journal, its printable form, attaching entries to evidence, and the mentee's feedback pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..content_store import catalogue
from ..models import utcnow
from ..urls import public_url
from . import services
from .models import KIND_LABELS

bp = Blueprint("journal", __name__)

EDITABLE_KINDS = ("meeting", "goal", "goal_review", "observation")


def _entry_input() -> services.EntryInput:
    form = request.form
    return services.EntryInput(kind=form.get("kind", ""), occurred_on=form.get("occurred_on", ""),
                               title=form.get("title", ""), body=form.get("body", ""), agreed=form.get("agreed", ""),
                               mentee_id=form.get("mentee_id", type=int), goal_id=form.get("goal_id", type=int))


def _page(entry=None, typed=None, status=200, mentee_typed=""):
    return render_template(
        "journal/index.html", page=services.entries_page(current_user, request.args.get("page", 1, type=int)),
        mentees=services.mentees_of(current_user), goals=services.goals_of(current_user), form=FlaskForm(),
        kinds=[(k, KIND_LABELS[k]) for k in EDITABLE_KINDS], editing=entry, typed=typed, today=utcnow().date(),
        statements=services.FEEDBACK_STATEMENTS, mentee_typed=mentee_typed), status


@bp.get("/journal")
@login_required
def index():
    """The journal: mentees, a form for a new entry, and entries newest first."""
    return _page()


@bp.post("/journal/mentees")
@login_required
def add_mentee():
    """Record a mentee (first name or code)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        mentee = services.add_mentee(current_user, request.form.get("display_name", ""))
    except services.JournalError as exc:
        flash(str(exc), "error")
        return _page(status=400, mentee_typed=request.form.get("display_name", ""))
    flash(f"{mentee.display_name} is in your journal.", "success")
    return redirect(url_for("journal.index"))


@bp.post("/journal/entries")
@login_required
def add_entry():
    """Write a new entry; on a problem everything typed comes back."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    typed = _entry_input()
    try:
        services.save_entry(current_user, typed)
    except services.JournalError as exc:
        flash(str(exc), "error")
        return _page(typed=typed, status=400)
    flash("Entry saved, dated now.", "success")
    return redirect(url_for("journal.index"))


@bp.route("/journal/entries/<int:entry_id>", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int):
    """Edit an entry: its first time stays, the edit gets its own."""
    try:
        entry = services.entry_of(current_user, entry_id)
    except LookupError:
        abort(404)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        typed = _entry_input()
        try:
            services.save_entry(current_user, typed, entry_id)
        except services.JournalError as exc:
            flash(str(exc), "error")
            return _page(entry, typed, 400)
        flash("Entry updated; its first date is kept.", "success")
        return redirect(url_for("journal.index") + f"#entry-{entry_id}")
    return _page(entry)


@bp.get("/journal/print")
@login_required
def printable():
    """The whole journal, oldest first, laid out for printing."""
    return render_template("journal/print.html", entries=services.all_entries(current_user),
                           statements=services.FEEDBACK_STATEMENTS)


@bp.post("/journal/feedback-requests")
@login_required
def request_feedback():
    """Make a feedback link for a mentee; shown once, to copy and send."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        token = services.request_feedback(current_user, request.form.get("mentee_id", type=int))
    except services.JournalError as exc:
        flash(str(exc), "error")
        return _page(status=400)
    link = public_url("journal.feedback", token=token)
    flash(f"Send this link to your mentee (it works once, for {services.FEEDBACK_DAYS} days): {link}", "success")
    return redirect(url_for("journal.index"))


@bp.post("/units/<slug>/evidence/journal")
@login_required
def attach(slug: str):
    """Attach the ticked journal entries to this unit's draft evidence."""
    catalogue().unit(slug) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("entry") if v.isdigit()]
    try:
        attached = services.set_attached(current_user, slug, ids)
    except services.JournalError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{len(attached)} journal entr{'y is' if len(attached) == 1 else 'ies are'} attached to this evidence.",
              "success")
    return redirect(url_for("evidence.submission", slug=slug) + "#journal-evidence")


# --- the mentee, with no account ----------------------------------------------------------------------------

@bp.route("/feedback/<token>", methods=["GET", "POST"])
def feedback(token: str):
    """The mentee's feedback form: how the answers are used, the statements, a comment."""
    form = FlaskForm()
    try:
        feedback_request = services.open_request(token)
    except services.JournalError as exc:
        return render_template("journal/feedback_closed.html", message=str(exc)), 410
    ratings = {key: request.form.get(key, "") for key, _ in services.FEEDBACK_STATEMENTS}
    comment = request.form.get("comment", "")
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            _, withdraw = services.submit_feedback(token, ratings, comment)
        except services.JournalError as exc:
            error = str(exc)
        else:
            return render_template("journal/feedback_thanks.html",
                                   withdraw_url=public_url("journal.withdraw", token=withdraw))
    return render_template("journal/feedback.html", form=form, request_=feedback_request, ratings=ratings,
                           comment=comment, error=error, statements=services.FEEDBACK_STATEMENTS,
                           scale=services.FEEDBACK_SCALE), (400 if request.method == "POST" else 200)


@bp.route("/feedback/withdraw/<token>", methods=["GET", "POST"])
def withdraw(token: str):
    """The mentee withdraws their answers (a page with a button: no change on GET)."""
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            message = services.withdraw_feedback(token)
        except services.JournalError as exc:
            return render_template("journal/feedback_closed.html", message=str(exc)), 404
        return render_template("journal/feedback_closed.html", message=message)
    return render_template("journal/withdraw.html", form=form)


@bp.app_template_global()
def journal_attached(version_id: int):
    """For the evidence and assessment pages: the journal entries attached to a version."""
    return services.attached_to(version_id)


@bp.app_template_global()
def journal_choices():
    """For the evidence page: the learner's recent entries that can be attached."""
    return services.entries_page(current_user, 1).items if current_user.is_authenticated else []


@bp.app_context_processor
def journal_globals():
    """The feedback statements, for showing a mentee's answers wherever an entry is shown."""
    return {"journal_statements": services.FEEDBACK_STATEMENTS}
