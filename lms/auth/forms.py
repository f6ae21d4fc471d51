"""Sign-in, registration and sign-out forms (CSRF-protected by Flask-WTF)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Sign in")


class RegisterForm(FlaskForm):
    """A new learner account."""

    name = StringField("Full name", validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the password",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Create account")


class LogoutForm(FlaskForm):
    """Signing out is a POST with a CSRF token, never a link."""

    submit = SubmitField("Sign out")


class ForgotPasswordForm(FlaskForm):
    """The address to send a reset link to."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "email"})
    submit = SubmitField("Email me a link")


class NewPasswordForm(FlaskForm):
    """Choosing a password from an emailed link (reset or invitation)."""

    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Save the password")


class ChangePasswordForm(FlaskForm):
    """A signed-in person's new password, with their current one."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change password")


class ChangeEmailForm(FlaskForm):
    """A new sign-in address, confirmed by a link sent to it."""

    email = EmailField("New email address", validators=[DataRequired(), Email(check_deliverability=False),
                                                        Length(max=254)], render_kw={"autocomplete": "email"})
    password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Send a confirmation link")


class ConfirmForm(FlaskForm):
    """A button that confirms what an emailed link asks for: links never change anything by GET."""

    submit = SubmitField("Confirm")
