"""The evidence form."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import Length


class EvidenceForm(FlaskForm):
    """Reflection, links and files; "save draft" or "submit for assessment"."""

    reflection = TextAreaField("Your reflection", validators=[Length(max=30_000)],
                               render_kw={"rows": 16})
    links = TextAreaField("Links (optional)", render_kw={"rows": 3, "inputmode": "url"})
    files = MultipleFileField("Add files (optional)")
    revision = HiddenField()
    save = SubmitField("Save draft")
    submit_for_assessment = SubmitField("Submit for assessment")
