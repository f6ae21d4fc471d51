"""The assessment form, built for the indicators of one task."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import Length

from ..domain.rubrics import Rubric


def field_key(indicator_id: str) -> str:
    """A form field name for an indicator id (dots are awkward in HTML ids)."""
    return indicator_id.replace(".", "_")


def assessment_form(indicator_ids: tuple[str, ...], rubric: Rubric, **kwargs) -> FlaskForm:
    """A form with, for each indicator, a level (radio buttons) and a comment; then feedback and decision."""

    class AssessmentForm(FlaskForm):
        feedback = TextAreaField("Overall feedback to the learner", validators=[Length(max=10_000)],
                                 render_kw={"rows": 6})
        # The template draws the radio buttons with the rubric beside them; choices are the values.
        outcome = RadioField("Decision", choices=["accepted", "not_yet"], validate_choice=False)
        submit = SubmitField("Record decision")

    choices = [str(level.value) for level in rubric.levels]
    for indicator_id in indicator_ids:
        key = field_key(indicator_id)
        setattr(AssessmentForm, f"level_{key}", RadioField(f"Level for {indicator_id}", choices=choices,
                                                           validate_choice=False))
        setattr(AssessmentForm, f"comment_{key}", TextAreaField(f"Comment on {indicator_id} (optional)",
                                                                validators=[Length(max=4000)],
                                                                render_kw={"rows": 2}))
    return AssessmentForm(**kwargs)
