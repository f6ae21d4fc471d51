"""The assessment form, built for the indicators of one task; the review request and decision forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..domain.rubrics import Rubric


# Limits stated beside the fields and enforced with a message (the text typed is kept, never cut).
FEEDBACK_MAX_CHARS = 10_000
COMMENT_MAX_CHARS = 4_000


class ProseLength(Length):
    """WTForms' Length without the maxlength attribute it would put on the field: browsers cut pasted text at
    maxlength without a word, and an assessor's feedback must never be lost that way. The limit is stated
    beside each field and enforced here, with the text kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_flags = {}


def field_key(indicator_id: str) -> str:
    """A form field name for an indicator id (dots are awkward in HTML ids)."""
    return indicator_id.replace(".", "_")


def assessment_form(indicator_ids: tuple[str, ...], rubric: Rubric, with_reason: bool = False,
                    **kwargs) -> FlaskForm:
    """A form with, for each indicator, a level (radio buttons) and a comment; then feedback and decision.

    ``with_reason`` adds the moderator's reason for the final decision.
    """
    return _assessment_form_class(indicator_ids, rubric, FlaskForm, with_reason)(**kwargs)


def review_decision_form(indicator_ids: tuple[str, ...], rubric: Rubric, with_levels: bool, **kwargs) -> FlaskForm:
    """The lead's review decision; with ``with_levels`` (a "not yet" decision) also the levels and outcome
    the decision should have had, used when the lead changes it."""
    if not with_levels:
        return ReviewDecisionForm(**kwargs)
    return _assessment_form_class(indicator_ids, rubric, ReviewDecisionForm, False)(**kwargs)


def _assessment_form_class(indicator_ids: tuple[str, ...], rubric: Rubric, base: type, with_reason: bool) -> type:
    class AssessmentForm(base):
        feedback = TextAreaField("Overall feedback to the learner", validators=[ProseLength(max=FEEDBACK_MAX_CHARS, message=(
            f"Overall feedback can be at most {FEEDBACK_MAX_CHARS:,} characters. Shorten it: your text is kept here."))],
                                 render_kw={"rows": 6})
        # The template draws the radio buttons with the rubric beside them; choices are the values.
        outcome = RadioField("Decision", choices=["accepted", "not_yet"], validate_choice=False)
        submit = SubmitField("Record decision")

    if with_reason:
        AssessmentForm.reason = TextAreaField("Reason for the final decision (kept in the audit trail)",
                                              validators=[ProseLength(max=4000, message=(
            "The reason can be at most 4,000 characters. Shorten it: your text is kept here."))], render_kw={"rows": 3})
    choices = [str(level.value) for level in rubric.levels]
    for indicator_id in indicator_ids:
        key = field_key(indicator_id)
        setattr(AssessmentForm, f"level_{key}", RadioField(f"Level for {indicator_id}", choices=choices,
                                                           validate_choice=False))
        setattr(AssessmentForm, f"comment_{key}", TextAreaField(f"Comment on {indicator_id} (optional)",
                                                                validators=[ProseLength(max=COMMENT_MAX_CHARS, message=(
            f"A comment can be at most {COMMENT_MAX_CHARS:,} characters. Shorten it: your text is kept here."))],
                                                                render_kw={"rows": 2}))
    return AssessmentForm


class ReviewRequestForm(FlaskForm):
    """A learner's request for a review of a final decision."""

    reason = TextAreaField("Why should this decision be reviewed?", validators=[DataRequired(), ProseLength(max=4000, message=(
        "The reason can be up to 4,000 characters: shorten it (your text is kept below)."))],
                           render_kw={"rows": 4})
    submit = SubmitField("Ask for a review")


class ReviewDecisionForm(FlaskForm):
    """A lead assessor's decision on a review request."""

    result = RadioField("Review decision", choices=["upheld", "changed"],
                        validators=[DataRequired(message="Choose: uphold or change.")])
    response = TextAreaField("Response to the learner", validators=[
        DataRequired(message="Write a response to the learner."),
        ProseLength(max=4000, message="The response can be up to 4,000 characters: shorten it (your text is kept below).")],
                             render_kw={"rows": 4})
    submit = SubmitField("Record review decision")
