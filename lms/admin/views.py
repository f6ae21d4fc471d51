"""Routes for admins: users and roles, audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..access import role_required
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


@bp.get("/audit")
@role_required("admin")
def audit():
    """The audit trail, newest first."""
    select = (db.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
              .options(selectinload(AuditEvent.actor)))
    page = db.paginate(select, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/audit.html", page=page)
