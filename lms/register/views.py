"""Routes: the public register of mentors, its JSON feed, a mentor's page, and one's own profile."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from ..content_store import catalogue
from ..urls import public_url
from . import services

bp = Blueprint("register", __name__)


class ProfileForm(FlaskForm):
    """Name, school, region, and whether to appear in the public register."""

    name = StringField("Your name", validators=[Length(max=120)])
    school = StringField("School", validators=[Length(max=200)])
    region = StringField("Region (for example: Port Louis, Curepipe, Rodrigues)", validators=[Length(max=100)])
    in_register = BooleanField("List me in the public register of certified mentors")


def _search():
    args = request.args
    shown = {k: args.get(k, "").strip() for k in ("name", "competency", "domain", "region")}
    return services.search_for(**shown), shown


@bp.get("/mentors")
def index():
    """The register: opted-in mentors with public badges, searchable by name, competency, domain, region."""
    search, shown = _search()
    page, badges = services.mentors(search, request.args.get("page", 1, type=int))
    query = {k: v for k, v in shown.items() if v}
    return render_template("register/index.html", page=page, badges=badges, shown=shown, query=query,
                           framework=catalogue().framework, regions=services.regions(), catalogue=catalogue())


@bp.get("/mentors.json")
def feed():
    """The register as JSON, with the same search and paging."""
    search, shown = _search()
    page, badges = services.mentors(search, request.args.get("page", 1, type=int))
    query = {k: v for k, v in shown.items() if v}
    response = jsonify({
        "total": page.total, "page": page.page, "pages": page.pages,
        "next": public_url("register.feed", page=page.next_num, **query) if page.has_next else None,
        "mentors": [{
            "name": person.name, "school": person.school, "region": person.region,
            "profile_url": public_url("register.mentor", register_id=person.register_id),
            "badges": [{
                "name": a.badge_name,  # as issued: a renamed class does not rename it
                "badge_class": a.badge_class_id, "issued_on": a.issued_at.isoformat(),
                "public_url": public_url("badges.public_page", public_id=a.public_id),
                "assertion_url": public_url("badges.assertion", public_id=a.public_id),
                "credential_url": public_url("badges.credential", public_id=a.public_id),
            } for a in badges[person.id]],
        } for person in page.items],
    })
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/mentors/<register_id>")
def mentor(register_id: str):
    """A mentor's public page: name, school, region and every badge they made public."""
    person = services.mentor(register_id) or abort(404)
    return render_template("register/mentor.html", person=person, badges=services.badges_of([person.id])[person.id],
                           catalogue=catalogue())


@bp.route("/my/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Edit one's name, school and region, and join or leave the register."""
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, services.ProfileChange(
                form.name.data or "", form.school.data or "", form.region.data or "", bool(form.in_register.data)))
        except services.RegisterError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            flash("Your profile is saved." + (" You are listed in the register of mentors."
                                              if current_user.in_register else ""), "success")
            return redirect(url_for("register.profile"))
    elif request.method == "POST":
        status = 400
    return render_template("register/profile.html", form=form), status
