"""The evidence form."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from .services import MAX_REFLECTION_CHARS

MAX_LINKS_CHARS = 5_000


class CharacterLimit:
    """Refuse text over ``limit`` characters with a message saying by how much; the text stays in the form.

    Unlike WTForms' Length it puts no maxlength on the field: browsers cut pasted text at maxlength
    without a word, which is exactly the silent loss this limit must not cause.
    """

    def __init__(self, limit: int, what: str):
        self.limit, self.what = limit, what

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(
                f"{self.what} is {length:,} characters long; the limit is {self.limit:,}. Shorten it by "
                f"{length - self.limit:,} characters (or attach the longer text as a file) and save again. "
                f"Nothing was saved; your text is still here.")


class EvidenceForm(FlaskForm):
    """Reflection, links and files; "save draft" or "submit for assessment"."""

    reflection = TextAreaField("Your reflection", validators=[CharacterLimit(MAX_REFLECTION_CHARS, "The reflection")],
                               render_kw={"rows": 16})
    links = TextAreaField("Links (optional)", validators=[CharacterLimit(MAX_LINKS_CHARS, "The list of links")],
                          render_kw={"rows": 3, "inputmode": "url"})
    files = MultipleFileField("Add files (optional)")
    revision = HiddenField()
    save = SubmitField("Save draft")
    submit_for_assessment = SubmitField("Submit for assessment")
