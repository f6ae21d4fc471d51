"""The calibration form: a level for each indicator of the exemplar's task, as on the assessment form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField

from ..domain.rubrics import Rubric


def field_key(indicator_id: str) -> str:
    """A form field name for an indicator id (dots are awkward in HTML ids)."""
    return indicator_id.replace(".", "_")


def calibration_form(indicator_ids: tuple[str, ...], rubric: Rubric, **kwargs) -> FlaskForm:
    """A form with a level (radio buttons, drawn by the template beside the rubric) for each indicator."""

    class CalibrationForm(FlaskForm):
        submit = SubmitField("Record my levels")

    choices = [str(level.value) for level in rubric.levels]
    for indicator_id in indicator_ids:
        setattr(CalibrationForm, f"level_{field_key(indicator_id)}",
                RadioField(f"Level for {indicator_id}", choices=choices, validate_choice=False))
    return CalibrationForm(**kwargs)


def levels_from(form: FlaskForm, indicator_ids: tuple[str, ...]) -> dict[str, int | None]:
    """The levels chosen on the form; None where none (or something unexpected) was sent."""
    levels = {}
    for indicator_id in indicator_ids:
        raw = form[f"level_{field_key(indicator_id)}"].data
        levels[indicator_id] = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    return levels
