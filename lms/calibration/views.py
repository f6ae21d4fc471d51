"""Routes for assessors: calibration rounds against the agreed exemplars, and their results."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..access import role_required
from ..content_store import catalogue
from ..domain.markdown_render import render_markdown
from . import services
from .forms import calibration_form, field_key, levels_from

bp = Blueprint("calibration", __name__, url_prefix="/calibration")
MARKERS = ("assessor", "lead_assessor")


@bp.get("")
@role_required(*MARKERS)
def index():
    """The assessor's calibration status, the round in progress and past rounds."""
    page = request.args.get("page", 1, type=int) or 1
    past, more = services.rounds(current_user.id, page)
    return render_template("calibration/index.html", rounds=past, more=more, page=page,
                           open_round=services.open_round(current_user.id),
                           last=services.last_completed_round(current_user.id),
                           calibrated=services.is_calibrated(current_user.id), threshold=services.threshold(),
                           left=services.exemplars_left(current_user.id), size=services.round_size(),
                           form=FlaskForm())


@bp.post("/rounds")
@role_required(*MARKERS)
def start():
    """Start a round (or return to the one in progress)."""
    try:
        calibration_round = services.start_round(current_user)
    except services.CalibrationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("calibration.index"))
    return redirect(url_for("calibration.show", round_id=calibration_round.id))


@bp.get("/rounds/<int:round_id>")
@role_required(*MARKERS)
def show(round_id: int):
    """The results of a completed round; the next exemplar of a round in progress."""
    calibration_round = services.own_round(current_user, round_id) or abort(404)
    services.drop_withdrawn(current_user, calibration_round)
    calibration_round = services.own_round(current_user, round_id)
    if calibration_round is None:  # every exemplar in it was withdrawn before it was scored
        flash("The exemplars of that round have been withdrawn from the bank. Start a new round.", "info")
        return redirect(url_for("calibration.index"))
    item = services.next_item(calibration_round)
    if calibration_round.completed_at is None and item is not None:
        return redirect(url_for("calibration.item", round_id=round_id, position=item.position))
    return render_template("calibration/results.html", round=calibration_round, bank=services.bank(),
                           rubric=catalogue().rubric, framework=catalogue().framework,
                           threshold=services.threshold(), calibrated=services.is_calibrated(current_user.id),
                           units={u.slug: u for u in catalogue().units})


def _item_page(calibration_round, item, form, status=200):
    cat = catalogue()
    exemplar = services.bank().exemplar(item.exemplar_id)
    if exemplar is None:
        flash("This exemplar has been withdrawn from the calibration bank.", "error")
        return redirect(url_for("calibration.index"))
    unit = cat.unit(exemplar.unit_slug)
    return render_template("calibration/item.html", round=calibration_round, item=item, exemplar=exemplar,
                           unit=unit, form=form, framework=cat.framework, rubric=cat.rubric,
                           field_key=field_key, evidence_html=render_markdown(exemplar.evidence)), status


def _item_or_404(round_id: int, position: int):
    calibration_round = services.own_round(current_user, round_id) or abort(404)
    item = next((i for i in calibration_round.items if i.position == position), None) or abort(404)
    return calibration_round, item


@bp.get("/rounds/<int:round_id>/<int:position>")
@role_required(*MARKERS)
def item(round_id: int, position: int):
    """One exemplar to score, laid out like the assessment page."""
    calibration_round, item = _item_or_404(round_id, position)
    if item.scored_at is not None:
        return redirect(url_for("calibration.show", round_id=round_id))
    exemplar = services.bank().exemplar(item.exemplar_id)
    ids = tuple(i for i, _ in exemplar.agreed_levels) if exemplar else ()
    return _item_page(calibration_round, item, calibration_form(ids, catalogue().rubric, formdata=None))


@bp.post("/rounds/<int:round_id>/<int:position>")
@role_required(*MARKERS)
def score(round_id: int, position: int):
    """Record the levels for one exemplar; then the next exemplar, or the round's results."""
    calibration_round, item = _item_or_404(round_id, position)
    exemplar = services.bank().exemplar(item.exemplar_id)
    ids = tuple(i for i, _ in exemplar.agreed_levels) if exemplar else ()
    form = calibration_form(ids, catalogue().rubric)
    if not form.validate_on_submit():
        return _item_page(calibration_round, item, form, 400)
    try:
        calibration_round = services.score_item(current_user, round_id, position, levels_from(form, ids))
    except services.CalibrationError as exc:
        flash(str(exc), "error")
        calibration_round, item = _item_or_404(round_id, position)
        return _item_page(calibration_round, item, form, 400)
    return redirect(url_for("calibration.show", round_id=calibration_round.id))


# Agreement and turnaround -----------------------------------------------------------------------

stats_bp = Blueprint("statistics", __name__)


@stats_bp.get("/statistics")
@role_required("lead_assessor")
def statistics():
    """Agreement per indicator and per assessor, turnaround and load: for lead assessors and admins."""
    from .statistics import assessor_names, statistics as compute
    figures = compute()
    names = assessor_names([a.assessor_id for a in figures.assessors] + list(figures.turnaround.load))
    return render_template("calibration/statistics.html", figures=figures, names=names,
                           framework=catalogue().framework, public=False)


@stats_bp.get("/agreement")
def public_agreement():
    """The same per-indicator figures and turnaround for anyone, without names."""
    from .statistics import statistics as compute
    return render_template("calibration/statistics.html", figures=compute(), names={},
                           framework=catalogue().framework, public=True)
