"""The notifications page."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..extensions import db
from . import services
from .models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    """The user's notifications, newest first, a page at a time."""
    page = db.paginate(db.select(Notification).where(Notification.user_id == current_user.id)
                       .order_by(Notification.created_at.desc(), Notification.id.desc()),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("notifications.html", notifications=page.items, page=page, form=FlaskForm())


PAGE_SIZE = 50


@bp.post("/read")
@login_required
def mark_read():
    """Mark all as read."""
    services.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Which optional emails the person gets (invitations, resets and security notices always go)."""
    form = FlaskForm()
    if form.validate_on_submit():
        services.save_email_settings(current_user, set(request.form.getlist("kinds")))
        flash("Your email choices are saved.", "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notification_settings.html", form=form,
                           choices=services.email_choices(current_user),
                           settings=services.email_settings(current_user))
