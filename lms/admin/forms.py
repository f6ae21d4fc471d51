"""Admin forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired

from ..models import ROLES


class RoleForm(FlaskForm):
    """Change one user's role; ``expected_role`` is the role the admin saw, to detect a conflicting edit."""

    role = SelectField("Role", choices=list(ROLES), validators=[DataRequired()])
    expected_role = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Change role")
