"""Routes for the programme team: cohorts and their plans, learners, assessors, accounts, enrolment."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..access import role_required
from ..auth.services import AccountError
from ..content_store import catalogue
from ..domain.cohort_plan import DOMAIN, UNIT, PlanTarget
from ..extensions import db
from ..models import ROLE_LABELS, User
from . import enrolment, people, services
from .forms import AssignForm, CohortForm, EnrolForm, ExtendForm, MoveForm, PersonForm
from .models import Cohort, CohortLearner

bp = Blueprint("cohorts", __name__, url_prefix="/programme")
PAGE_SIZE = 50


@bp.get("")
@role_required("programme_lead")
def index():
    """Every cohort with its numbers, and a form to create one."""
    return render_template("cohorts/index.html", summaries=services.cohorts(), form=CohortForm(formdata=None))


@bp.post("")
@role_required("programme_lead")
def create():
    """Create a cohort; on a problem the form comes back as typed."""
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(current_user, form.name.data, form.starts_on.data, form.ends_on.data)
        except services.CohortError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Cohort “{cohort.name}” created. Now set its target dates.", "success")
            return redirect(url_for("cohorts.edit", cohort_id=cohort.id))
    return render_template("cohorts/index.html", summaries=services.cohorts(), form=form), 400


def _cohort(cohort_id: int) -> Cohort:
    """The cohort with its plan (one statement), or 404."""
    return db.session.get(Cohort, cohort_id, options=[db.joinedload(Cohort.targets)]) or abort(404)


@bp.get("/cohorts/<int:cohort_id>")
@role_required("programme_lead")
def show(cohort_id: int):
    """A cohort: dates, plan, assessors, and its learners (a page at a time) with move and extend forms."""
    cohort = _cohort(cohort_id)
    query = request.args.get("q", "").strip()
    select = (db.select(CohortLearner).join(User, User.id == CohortLearner.user_id)
              .where(CohortLearner.cohort_id == cohort.id).order_by(User.name, User.id)
              .options(db.joinedload(CohortLearner.user).lazyload(User.role_rows)))
    if query:
        needle = query.lower()
        select = select.where(db.or_(db.func.lower(User.name).contains(needle, autoescape=True),
                                     User.email.contains(needle, autoescape=True)))
    page = db.paginate(select, per_page=PAGE_SIZE, error_out=False)
    all_cohorts = [s.cohort for s in services.cohorts()]
    move_forms, extend_forms = {}, {}
    for member in page.items:
        move = MoveForm(formdata=None, prefix=f"m{member.user_id}", from_cohort=str(cohort.id))
        move.to_cohort.choices = [(c.id, c.name) for c in all_cohorts if c.id != cohort.id]
        move_forms[member.user_id] = move
        extend_forms[member.user_id] = ExtendForm(formdata=None, prefix=f"e{member.user_id}",
                                                  days=member.extension_days)
    assign = AssignForm(formdata=None)
    assign.assessor.choices = [(u.id, f"{u.name} ({u.email})") for u in services.assessor_candidates(cohort.id)]
    plan = [(t, _target_label(t.kind, t.ref)) for t in cohort.targets]
    return render_template("cohorts/show.html", cohort=cohort, page=page, query=query, move_forms=move_forms,
                           extend_forms=extend_forms, assign_form=assign, plan=plan,
                           assessors=services.assessors_of(cohort.id), action_form=FlaskForm())


def _target_label(kind: str, ref: str) -> str:
    from ..domain.cohort_plan import target_label
    return target_label(catalogue(), kind, ref) or f"{kind} {ref} (no longer in the course)"


def _plan_fields(cohort: Cohort) -> list[dict]:
    """One date field per domain and per unit, filled from the plan (or from what was just typed)."""
    cat = catalogue()
    current = {(t.kind, t.ref): t.due_on.isoformat() for t in cohort.targets}
    fields = []
    for domain in cat.framework.domains:
        fields.append({"kind": DOMAIN, "ref": domain.id, "label": f"Whole domain: {domain.title}", "level": 0})
        fields.extend({"kind": UNIT, "ref": u.slug, "label": u.title, "level": 1}
                      for u in cat.units_in_domain(domain.id))
    known = {(f["kind"], f["ref"]) for f in fields}
    fields.extend({"kind": UNIT, "ref": u.slug, "label": u.title, "level": 0}
                  for u in cat.units if (UNIT, u.slug) not in known)
    for f in fields:
        f["name"] = f"due_{f['kind']}_{f['ref']}"
        f["value"] = request.form.get(f["name"], current.get((f["kind"], f["ref"]), "")) \
            if request.method == "POST" else current.get((f["kind"], f["ref"]), "")
    return fields


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@role_required("programme_lead")
def edit(cohort_id: int):
    """Change a cohort's name, dates and placement plan (a target date per unit or whole domain)."""
    cohort = _cohort(cohort_id)
    form = CohortForm(obj=cohort) if request.method == "GET" else CohortForm()
    fields = _plan_fields(cohort)
    errors: list[str] = []
    if request.method == "POST" and form.validate_on_submit():
        plan = []
        for f in fields:
            raw = (f["value"] or "").strip()
            if not raw:
                continue
            try:
                plan.append(PlanTarget(f["kind"], f["ref"], date.fromisoformat(raw)))
            except ValueError:
                errors.append(f"{f['label']}: “{raw}” is not a date; use the form 2026-12-31.")
        if not errors:
            try:
                services.update_cohort(current_user, cohort.id, form.name.data, form.starts_on.data,
                                       form.ends_on.data, plan)
            except services.CohortError as exc:
                errors.append(str(exc))
            else:
                flash(f"Cohort “{cohort.name}” saved.", "success")
                return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    status = 400 if (errors or form.errors) else 200
    return render_template("cohorts/edit.html", cohort=cohort, form=form, fields=fields, errors=errors), status


@bp.post("/cohorts/<int:cohort_id>/learners/<int:user_id>/move")
@role_required("programme_lead")
def move(cohort_id: int, user_id: int):
    """Move a learner to another cohort."""
    form = MoveForm(prefix=f"m{user_id}")
    form.to_cohort.choices = [(c.id, c.name) for c in db.session.execute(db.select(Cohort)).scalars()]
    if not form.validate_on_submit():
        flash("Choose the cohort to move the learner to.", "error")
    else:
        try:
            expected = int(form.from_cohort.data or 0)
            member = services.move_learner(current_user, user_id, form.to_cohort.data, expected)
        except (services.CohortError, ValueError) as exc:
            flash(str(exc), "error")
        else:
            flash(f"{member.user.name} moved to “{member.cohort.name}”.", "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/learners/<int:user_id>/extend")
@role_required("programme_lead")
def extend(cohort_id: int, user_id: int):
    """Extend one learner's target dates."""
    form = ExtendForm(prefix=f"e{user_id}")
    if not form.validate_on_submit():
        flash(f"Give the extension as a whole number of days from 0 to {services.MAX_EXTENSION_DAYS}; "
              f"nothing was changed.", "error")
    else:
        try:
            member = services.extend(current_user, user_id, form.days.data)
        except services.CohortError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{member.user.name}'s target dates are now {member.extension_days} days later than "
                  f"the cohort's.", "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id) + f"#learner-{user_id}")


@bp.post("/cohorts/<int:cohort_id>/assessors")
@role_required("programme_lead")
def assign(cohort_id: int):
    """Assign an assessor to the cohort."""
    form = AssignForm()
    form.assessor.choices = [(u.id, u.name) for u in services.assessor_candidates(cohort_id)]
    if not form.validate_on_submit():
        flash("Choose an assessor from the list.", "error")
    else:
        try:
            services.assign_assessor(current_user, cohort_id, form.assessor.data)
        except services.CohortError as exc:
            flash(str(exc), "error")
        else:
            flash("Assessor assigned.", "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id) + "#assessors")


@bp.post("/cohorts/<int:cohort_id>/assessors/<int:user_id>/remove")
@role_required("programme_lead")
def unassign(cohort_id: int, user_id: int):
    """Take an assessor off the cohort."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.unassign_assessor(current_user, cohort_id, user_id)
    flash("Assessor taken off the cohort.", "info")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id) + "#assessors")


# Accounts ------------------------------------------------------------------------------------------

def _person_form(formdata=None):
    form = PersonForm() if formdata is not None else PersonForm(formdata=None, roles=["learner"])
    form.roles.choices = [(r, ROLE_LABELS[r]) for r in people.grantable_roles(current_user)]
    return form


def _people_page(form, status=200):
    query = request.args.get("q", "").strip()
    select = db.select(User).order_by(User.active.desc(), User.name, User.id)
    if query:
        needle = query.lower()
        select = select.where(db.or_(db.func.lower(User.name).contains(needle, autoescape=True),
                                     User.email.contains(needle, autoescape=True),
                                     db.func.lower(User.school).contains(needle, autoescape=True)))
    page = db.paginate(select, per_page=PAGE_SIZE, error_out=False)
    return render_template("cohorts/people.html", page=page, query=query, form=form,
                           action_form=FlaskForm()), status


@bp.get("/people")
@role_required("programme_lead")
def people_list():
    """Every account (a page at a time), searchable, with deactivate and reactivate buttons."""
    return _people_page(_person_form())


@bp.post("/people")
@role_required("programme_lead")
def people_create():
    """Create an account; the person is invited to choose their password."""
    form = _person_form(request.form)
    if form.validate_on_submit():
        try:
            user = people.create_person(current_user, form.name.data, form.email.data, form.school.data or "",
                                        form.region.data or "", tuple(form.roles.data or ("learner",)),
                                        commit=False)
            invited = enrolment.invite_new_people([user], current_user)
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            flash(f"Account created for {user.name} ({user.role_labels})."
                  + (" An invitation to choose a password is on its way." if invited else
                     " They cannot sign in until they are sent an invitation."), "success")
            return redirect(url_for("cohorts.people_list", q=user.email))
    return _people_page(form, 400)


@bp.post("/people/<int:user_id>/<any(deactivate, reactivate):change>")
@role_required("programme_lead")
def people_active(user_id: int, change: str):
    """Deactivate or reactivate an account; records stay either way."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        user = people.set_active(current_user, user_id, change == "reactivate")
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{user.name} {'can sign in again' if user.active else 'can no longer sign in; their records stay'}.",
              "success")
    return redirect(url_for("cohorts.people_list", q=request.args.get("q") or None) + f"#user-{user_id}")


# Enrolment -----------------------------------------------------------------------------------------

def _enrol_form(formdata=True):
    form = EnrolForm() if formdata else EnrolForm(formdata=None)
    form.cohort.choices = [("", "Use the file's cohort column")] + [(s.cohort.name, s.cohort.name)
                                                                     for s in services.cohorts()]
    return form


@bp.get("/enrol")
@role_required("programme_lead")
def enrol_start():
    """Upload or paste a CSV file of people to enrol."""
    form = _enrol_form(False)
    if request.args.get("cohort"):
        form.cohort.data = request.args["cohort"]
    return render_template("cohorts/enrol.html", form=form, plan=None)


@bp.post("/enrol")
@role_required("programme_lead")
def enrol_post():
    """Preview (writes nothing) or confirm (checks everything again, then writes) an enrolment file."""
    form = _enrol_form()
    if not form.validate_on_submit():
        return render_template("cohorts/enrol.html", form=form, plan=None), 400
    upload = request.files.get(form.file.name)
    text, problem = (enrolment.text_of(upload.read()) if upload and upload.filename else (form.text.data or "", None))
    if problem is not None:
        form.file.errors.append(f"{problem} Nothing was read.")
        return render_template("cohorts/enrol.html", form=form, plan=None), 400
    # Keep the file's text in the form, so that rows can be corrected here and previewed again.
    form.text.data = text
    if not text.strip():
        form.text.errors.append("Choose a CSV file or paste its rows.")
        return render_template("cohorts/enrol.html", form=form, plan=None), 400
    chosen = form.cohort.data or None
    if form.confirm.data:
        try:
            result = enrolment.confirm(current_user, text, chosen, form.fingerprint.data or "")
        except enrolment.PlanChanged as exc:
            form.fingerprint.data = exc.plan.fingerprint()
            flash(str(exc), "error")
            return render_template("cohorts/enrol.html", form=form, plan=exc.plan), 409
        except (AccountError, services.CohortError) as exc:
            flash(f"{exc} Nothing was imported.", "error")
            return render_template("cohorts/enrol.html", form=form, plan=enrolment.preview(text, chosen)), 409
        parts = [f"{result.created} account{'s' * (result.created != 1)} created",
                 f"{result.enrolled} enrolment{'s' * (result.enrolled != 1)}"]
        if result.invited:
            parts.append(f"{result.invited} invitation{'s' * (result.invited != 1)} sent")
        skipped = len(result.plan.problems)
        flash(", ".join(parts) + "." + (f" {skipped} row{'s' * (skipped != 1)} with problems skipped."
                                        if skipped else ""), "success")
        return render_template("cohorts/enrol.html", form=_enrol_form(False), plan=None, done=result)
    plan = enrolment.preview(text, chosen)
    form.fingerprint.data = plan.fingerprint()
    return render_template("cohorts/enrol.html", form=form, plan=plan)


# Reports -------------------------------------------------------------------------------------------

@bp.get("/cohorts/<int:cohort_id>/report")
@role_required("programme_lead")
def report(cohort_id: int):
    """The cohort's figures as charts with their numbers; the heat map a page of learners at a time."""
    from . import reports

    cohort = _cohort(cohort_id)
    page = request.args.get("page", 1, type=int)
    built = reports.build(cohort, page=max(1, page), per_page=PAGE_SIZE)
    return render_template("cohorts/report.html", report=built, cohort=cohort, framework=catalogue().framework,
                           titles=reports.TABLE_TITLES)


@bp.get("/cohorts/<int:cohort_id>/report/<any(funnel, heatmap, behind, difficulty, turnaround):table>.<any(csv, xlsx):fmt>")
@role_required("programme_lead")
def report_download(cohort_id: int, table: str, fmt: str):
    """One table of the report, whole, as CSV or XLSX."""
    from flask import Response

    from . import reports

    cohort = _cohort(cohort_id)
    data = reports.tables(reports.build(cohort))[table]
    slug = "".join(ch if ch.isalnum() else "-" for ch in cohort.name.lower()).strip("-") or "cohort"
    filename = f"{slug}-{table}.{fmt}"
    if fmt == "csv":
        body, mimetype = reports.to_csv(data).encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        body = reports.to_xlsx(reports.TABLE_TITLES[table], data)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
