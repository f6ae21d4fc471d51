"""Forms of the programme pages (CSRF-protected by Flask-WTF)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, EmailField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, \
    SubmitField, TextAreaField, widgets
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional


class CohortForm(FlaskForm):
    """A new cohort: its name and dates."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    starts_on = DateField("Start date", validators=[DataRequired(message="Give the start date.")])
    ends_on = DateField("End date", validators=[DataRequired(message="Give the end date.")])
    submit = SubmitField("Create cohort")


class MoveForm(FlaskForm):
    """Move one learner to another cohort; ``from_cohort`` is where the page showed them."""

    to_cohort = SelectField("Move to", coerce=int)
    from_cohort = HiddenField()
    submit = SubmitField("Move")


class ExtendForm(FlaskForm):
    """Extend one learner's target dates by a number of days."""

    days = IntegerField("Extension in days", validators=[NumberRange(min=0, max=365)])
    submit = SubmitField("Save extension")


class AssignForm(FlaskForm):
    """Assign an assessor to the cohort."""

    assessor = SelectField("Assessor", coerce=int)
    submit = SubmitField("Assign")


class EnrolForm(FlaskForm):
    """A CSV file, uploaded or pasted, and the cohort for rows that do not name one."""

    file = FileField("CSV file")
    text = TextAreaField("Or paste the rows here", validators=[Optional(), Length(max=2_000_000)])
    cohort = SelectField("Cohort", validators=[Optional()])
    fingerprint = HiddenField()
    preview = SubmitField("Preview")
    confirm = SubmitField("Confirm and enrol")


class PersonForm(FlaskForm):
    """A new account, invited to choose a password."""

    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    school = StringField("School", validators=[Optional(), Length(max=200)])
    region = StringField("Region", validators=[Optional(), Length(max=100)])
    roles = SelectMultipleField("Roles", widget=widgets.ListWidget(prefix_label=False),
                                option_widget=widgets.CheckboxInput())
    submit = SubmitField("Create account")
