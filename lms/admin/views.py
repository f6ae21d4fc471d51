"""Routes for admins: users and roles, audit trail."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import role_required
from ..audit import services as audit_services
from ..auth import services
from ..extensions import db
from ..models import ROLE_LABELS, AuditEvent, User
from .forms import RolesForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/users")
@role_required("admin")
def users():
    """Every account, searchable, with a role form for each."""
    query = request.args.get("q", "").strip()
    select = db.select(User).order_by(User.name, User.id)
    if query:
        # autoescape: % and _ are searched for as themselves, not as LIKE wildcards.
        needle = query.lower()
        select = select.where(db.or_(db.func.lower(User.name).contains(needle, autoescape=True),
                                     User.email.contains(needle, autoescape=True)))
    page = db.paginate(select, per_page=PAGE_SIZE, error_out=False)
    forms = {user.id: RolesForm(formdata=None, roles=sorted(user.roles), expected_roles=" ".join(sorted(user.roles)))
             for user in page.items}
    return render_template("admin/users.html", page=page, forms=forms, query=query, role_labels=ROLE_LABELS)


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    """Set a user's roles, refusing to overwrite a change made meanwhile by someone else."""
    form = RolesForm()
    user = db.session.get(User, user_id) or abort(404)
    if not form.validate_on_submit():
        flash("Choose roles from the list.", "error")
    else:
        try:
            user = services.set_roles(current_user, services.RoleChange(
                user_id, frozenset(form.roles.data or ()), frozenset((form.expected_roles.data or "").split())))
        except services.AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.name}'s roles: {user.role_labels}.", "success")
    return redirect(url_for("admin.users", q=request.args.get("q") or None) + f"#user-{user_id}")


def _audit_filter() -> tuple[audit_services.AuditFilter, dict, list[str]]:
    """The filters from the query string, what to show back in the form, and any problems with them."""
    args = request.args
    shown = {"person": args.get("person", "").strip(), "action": args.get("action", "").strip(),
             "since": args.get("since", "").strip(), "until": args.get("until", "").strip()}
    problems = []
    person_id = args.get("person_id", type=int)
    if shown["person"] and person_id is None:
        person = db.session.execute(db.select(User).where(db.or_(
            User.email == shown["person"].lower(), db.func.lower(User.name) == shown["person"].lower()))
        ).scalars().first()
        if person is None:
            problems.append(f"No account has the email or name “{shown['person']}”: showing everyone.")
        else:
            person_id = person.id
    dates = {}
    for key in ("since", "until"):
        try:
            dates[key] = date.fromisoformat(shown[key]) if shown[key] else None
        except ValueError:
            dates[key] = None
            problems.append(f"“{shown[key]}” is not a date: use the form YYYY-MM-DD.")
    return audit_services.AuditFilter(person_id, shown["action"], dates["since"], dates["until"]), shown, problems


@bp.get("/audit")
@role_required("admin")
def audit():
    """The audit trail as sentences, newest first, filtered by person, action and dates."""
    filters, shown, problems = _audit_filter()
    page = audit_services.page_of(filters, request.args.get("page", 1, type=int))
    person = db.session.get(User, filters.person_id) if filters.person_id else None
    query = {k: v for k, v in shown.items() if v}
    if filters.person_id and not shown["person"]:
        query["person_id"] = filters.person_id
    return render_template("admin/audit.html", page=page, describe=audit_services.describe, shown=shown,
                           problems=problems, actions=audit_services.actions(), person=person, query=query)


@bp.get("/audit.csv")
@role_required("admin")
def audit_csv():
    """The filtered audit trail as a CSV file."""
    filters, _, _ = _audit_filter()
    return Response(audit_services.csv_text(filters), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'})
