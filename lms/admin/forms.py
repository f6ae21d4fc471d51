"""Admin forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, SubmitField, widgets

from ..models import ROLES


class RolesForm(FlaskForm):
    """Set one user's roles; ``expected_roles`` is what the admin saw, to detect a conflicting edit."""

    roles = SelectMultipleField("Roles", choices=list(ROLES),
                                widget=widgets.ListWidget(prefix_label=False),
                                option_widget=widgets.CheckboxInput())
    expected_roles = HiddenField()
    submit = SubmitField("Save roles")
