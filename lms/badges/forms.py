"""Badge forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .services import REVOCATION_REASON_MAX_CHARS as REVOKE_REASON_MAX_CHARS


class VerifyForm(FlaskForm):
    """One of: a baked image, pasted JSON, or a URL of this issuer; optionally the earner's email."""

    image = FileField("A baked badge image (PNG or SVG)")
    json_text = TextAreaField("Or paste the badge JSON", render_kw={"rows": 6})
    url = StringField("Or the badge's URL", validators=[Optional(), Length(max=500)], render_kw={"inputmode": "url"})
    email = EmailField("Earner's email (optional: checks that the badge was issued to them)",
                       validators=[Optional(), Length(max=254)])
    submit = SubmitField("Verify")


class RevokeForm(FlaskForm):
    """Revoke with a reason (public, so stated and limited beside the field; too long is refused, not cut)."""

    reason = TextAreaField("Reason", render_kw={"rows": 3}, validators=[DataRequired(), Length(
        max=REVOKE_REASON_MAX_CHARS, message=f"The reason can be at most {REVOKE_REASON_MAX_CHARS:,} characters. "
                                             "Shorten it: your text is kept here.")])
    submit = SubmitField("Revoke")


class EndorsementRequestForm(FlaskForm):
    """The earner asks someone who knows their mentoring to endorse a badge."""

    name = StringField("Their name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Their email address", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Send the request")


class EndorseForm(FlaskForm):
    """The endorser's statement and who they are. Limits are checked by the service, which keeps the text."""

    statement = TextAreaField("Your statement", render_kw={"rows": 7})
    name = StringField("Your name")
    role = StringField("How you know their mentoring (your role)", render_kw={"list": "endorser-roles"})
    organisation = StringField("Your school or organisation (optional)")
    confirm = BooleanField("I wrote this statement myself, from what I know of their mentoring, and agree that it "
                           "may be shown with their badge under my name and role.")
    submit = SubmitField("Send my endorsement")
