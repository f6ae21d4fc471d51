"""Routes: a person's data download; an admin's erasure of an account, after a confirmation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..access import role_required
from ..extensions import db
from ..models import User
from . import services

bp = Blueprint("privacy", __name__)


@bp.get("/my/data")
@login_required
def my_data():
    """What the download holds, and the link to it."""
    return render_template("privacy/my_data.html")


@bp.get("/my/data.zip")
@login_required
def download():
    """Everything the app holds about the signed-in person, as a ZIP."""
    data = services.data_export(current_user)
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": 'attachment; filename="my-mentoring-data.zip"', "Cache-Control": "no-store"})


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required("admin")
def erase(user_id: int):
    """Erase an account once the admin has typed its email to confirm."""
    person = db.session.get(User, user_id) or abort(404)
    form = FlaskForm()
    typed = request.form.get("confirmation", "")
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.erase(current_user, user_id, typed, current_app.config["SECRET_KEY"])
        except services.PrivacyError as exc:
            error = str(exc)
        else:
            flash("The account was erased: personal data removed, evidence files deleted, badges revoked.",
                  "success")
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("privacy/erase.html", person=person, form=form, typed=typed, error=error), status
