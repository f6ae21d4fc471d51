"""Routes for registration, sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from . import services
from .forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site after sign-in (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("learning.dashboard")


def _sign_in(user) -> None:
    session.clear()  # a fresh session on every sign-in: nothing carries over from before
    services.start_session(user)
    login_user(user)
    session.permanent = True


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a learner account and sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.name.data, form.password.data)
        except services.EmailProblem as exc:
            form.email.errors.append(str(exc))
        except services.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            _sign_in(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("learning.dashboard"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"]), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except services.AccountError as exc:
            error = str(exc)
        else:
            _sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else (400 if form.errors else 200)
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """End this sign-in on the server and forget the cookie."""
    # CSRFProtect has already refused a POST without a valid token.
    if current_user.is_authenticated:
        services.end_session(current_user.session_token)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
