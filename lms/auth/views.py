"""Routes for registration, sign-in and sign-out, emailed links (invitation, reset, confirmations) and the account page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from . import accounts, services
from .forms import (ChangeEmailForm, ChangePasswordForm, ConfirmForm, ForgotPasswordForm, LoginForm, NewPasswordForm,
                    RegisterForm)

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
    """Start a learner account: a confirmation link goes to the address (invitation only when switched off)."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    if not current_app.config["SELF_REGISTRATION"]:
        return render_template("auth/invitation_only.html"), 403
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            email = accounts.register(form.email.data, form.name.data, form.password.data)
        except services.EmailProblem as exc:
            form.email.errors.append(str(exc))
        except services.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            # The same answer whether or not the address has an account: only its owner learns which.
            return render_template("auth/check_email.html", email=email, purpose="registration")
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


def _signed_in():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _link_problem(exc: accounts.LinkProblem):
    return render_template("auth/link_problem.html", message=str(exc)), exc.status


def _min_length() -> int:
    return current_app.config["PASSWORD_MIN_LENGTH"]


@bp.route("/account/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data)
        return render_template("auth/check_email.html", email=form.email.data.strip(), purpose="reset")
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a reset link (GET shows the form; only the POST uses the link)."""
    return _choose_password(token, accounts.RESET, "reset", accounts.reset_password,
                            lambda user: "Your password is changed, and any other sign-in of your account has ended.")


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Choose a password from an invitation and sign in."""
    return _choose_password(token, accounts.INVITATION, "invitation", accounts.accept_invitation,
                            lambda user: f"Welcome, {user.name}. Your account is ready.")


def _choose_password(token: str, kind: str, purpose: str, use_link, welcome):
    """A single-use link's password form: checked on every request, used only by a valid POST, then signed in."""
    try:
        link = accounts.check_link(token, kind, _signed_in())
    except accounts.LinkProblem as exc:
        return _link_problem(exc)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = use_link(token, form.password.data, _signed_in())
        except accounts.LinkProblem as exc:
            return _link_problem(exc)
        except services.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            _sign_in(user)
            flash(welcome(user), "success")
            return redirect(url_for("learning.dashboard"))
    return render_template("auth/new_password.html", form=form, user=link.user, purpose=purpose,
                           min_length=_min_length()), 400 if form.errors else 200


@bp.route("/account/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token: str):
    """Confirm a registration's address with a button (the link alone changes nothing), then sign in."""
    try:
        link = accounts.pending_registration(token, _signed_in())
    except accounts.LinkProblem as exc:
        return _link_problem(exc)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = accounts.confirm_registration(token, _signed_in())
        except accounts.LinkProblem as exc:
            return _link_problem(exc)
        except services.AccountError as exc:
            return render_template("auth/link_problem.html", message=str(exc)), 409
        _sign_in(user)
        flash(f"Welcome, {user.name}. Your address is confirmed and your account is ready.", "success")
        return redirect(url_for("learning.dashboard"))
    return render_template("auth/confirm.html", form=form, purpose="registration", email=link.email, name=link.name)


@bp.get("/account")
@login_required
def account():
    """The signed-in person's account: address, password, which emails they get."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password (the current one required); every other sign-in ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data, current_user.session_token)
        except services.AccountError as exc:
            field = form.current if "current password" in str(exc) else form.password
            field.errors.append(str(exc))
        else:
            flash("Your password is changed. You stay signed in here; every other sign-in has ended.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form, min_length=_min_length()), \
        400 if form.errors else 200


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    """Ask to change the sign-in address; it changes once the new address is confirmed."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            new_email = accounts.request_email_change(current_user, form.email.data, form.password.data)
        except services.EmailProblem as exc:
            form.email.errors.append(str(exc))
        except services.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            return render_template("auth/check_email.html", email=new_email, purpose="email_change")
    return render_template("auth/change_email.html", form=form), 400 if form.errors else 200


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """Confirm a new sign-in address with a button."""
    try:
        link = accounts.check_link(token, accounts.EMAIL_CHANGE, _signed_in())
    except accounts.LinkProblem as exc:
        return _link_problem(exc)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = accounts.confirm_email_change(token, _signed_in())
        except accounts.LinkProblem as exc:
            return _link_problem(exc)
        except services.AccountError as exc:
            return render_template("auth/link_problem.html", message=str(exc)), 409
        flash(f"Your account now signs in with {user.email}.", "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("auth/confirm.html", form=form, purpose="email_change", email=link.email,
                           name=link.user.name)
