"""The notifications page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from . import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    """The user's notifications, newest first."""
    return render_template("notifications.html", notifications=services.recent(current_user.id), form=FlaskForm())


@bp.post("/read")
@login_required
def mark_read():
    """Mark all as read."""
    services.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"))
