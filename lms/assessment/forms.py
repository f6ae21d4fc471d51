"""The assessment form, built for the indicators of one task; the review request and decision forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..domain.rubrics import Rubric


def field_key(indicator_id: str) -> str:
    """A form field name for an indicator id (dots are awkward in HTML ids)."""
    return indicator_id.replace(".", "_")


def assessment_form(indicator_ids: tuple[str, ...], rubric: Rubric, with_reason: bool = False,
                    **kwargs) -> FlaskForm:
    """A form with, for each indicator, a level (radio buttons) and a comment; then feedback and decision.

    ``with_reason`` adds the moderator's reason for the final decision.
    """

    class AssessmentForm(FlaskForm):
        feedback = TextAreaField("Overall feedback to the learner", validators=[Length(max=10_000)],
                                 render_kw={"rows": 6})
        # The template draws the radio buttons with the rubric beside them; choices are the values.
        outcome = RadioField("Decision", choices=["accepted", "not_yet"], validate_choice=False)
        submit = SubmitField("Record decision")

    if with_reason:
        AssessmentForm.reason = TextAreaField("Reason for the final decision (kept in the audit trail)",
                                              validators=[Length(max=4000)], render_kw={"rows": 3})
    choices = [str(level.value) for level in rubric.levels]
    for indicator_id in indicator_ids:
        key = field_key(indicator_id)
        setattr(AssessmentForm, f"level_{key}", RadioField(f"Level for {indicator_id}", choices=choices,
                                                           validate_choice=False))
        setattr(AssessmentForm, f"comment_{key}", TextAreaField(f"Comment on {indicator_id} (optional)",
                                                                validators=[Length(max=4000)],
                                                                render_kw={"rows": 2}))
    return AssessmentForm(**kwargs)


class ReviewRequestForm(FlaskForm):
    """A learner's request for a review of a final decision."""

    reason = TextAreaField("Why should this decision be reviewed?", validators=[DataRequired(), Length(max=4000)],
                           render_kw={"rows": 4})
    submit = SubmitField("Ask for a review")


class ReviewDecisionForm(FlaskForm):
    """A lead assessor's decision on a review request."""

    result = RadioField("Review decision", choices=["upheld", "changed"],
                        validators=[DataRequired(message="Choose: uphold or change.")])
    response = TextAreaField("Response to the learner", validators=[DataRequired(), Length(max=4000)],
                             render_kw={"rows": 4})
    submit = SubmitField("Record review decision")
