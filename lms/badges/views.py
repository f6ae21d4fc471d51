"""Routes for badges: hosted Open Badges documents, images, my badges, public pages, verification, revocation."""

from __future__ import annotations

import io
import time
from urllib.parse import urlencode

import segno
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import escape
from sqlalchemy.orm import selectinload

from ..access import role_required
from ..content_store import catalogue
from ..domain.markdown_render import render_markdown
from ..extensions import db
from ..published import publishable
from ..urls import public_url
from ..auth.accounts import LinkProblem
from . import endorsements, keys, renewal, services
from .forms import EndorseForm, EndorsementRequestForm, RevokeForm, VerifyForm
from .models import APPROVED, BadgeAssertion, BadgeEndorsement, BadgeRenewal, BadgeStatusList

bp = Blueprint("badges", __name__)

# Addresses whose anonymous responses may be replayed by lms.published, and the tables those responses are
# built from: a committed write to any of them and nothing stored earlier is replayed again.
PUBLISHED_PREFIXES = ("/badges/assertions/", "/badges/credentials/", "/badges/status/", "/b/")
PUBLISHED_TABLES = {"badge_assertions", "badge_images", "badge_status_lists", "badge_endorsements",
                    "badge_renewals", "users"}
# Shared evidence is read from the evidence tables, which change all day for reasons that do not touch
# it: pages showing evidence are replayed for at most this long instead of being watched.
EVIDENCE_REPLAY_SECONDS = 60


def _replay_until(found: BadgeAssertion) -> float | None:
    """Until when a response about this badge may be replayed: its expiry (its status changes then), and
    a short while when it shows evidence; None when only a change to its data ends it."""
    limits = []
    if found.expires_at is not None:
        limits.append(found.expires_at.timestamp())
    if found.shared_version_ids:
        limits.append(time.time() + EVIDENCE_REPLAY_SECONDS)
    return min(limits) if limits else None


def _json(document: dict, status: int = 200, mimetype: str = "application/json"):
    response = jsonify(document)
    response.status_code = status
    response.mimetype = mimetype
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers anywhere may read these
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- hosted Open Badges 2.0 and 3.0 documents ------------------------------------------------------------

@bp.get("/badges/issuer")
def issuer():
    """The 2.0 Issuer profile."""
    return _json(services.issuer_document())


@bp.get("/badges/issuer/image.png")
def issuer_image():
    """The issuer's image (the micro-credential's artwork unless configured otherwise)."""
    badge = catalogue().badge_class("MCF")
    return send_file(badge.png_path, mimetype="image/png", max_age=86400)


@bp.get("/badges/classes/<badge_id>")
def badge_class(badge_id: str):
    """The 2.0 BadgeClass; its criteria and alignments."""
    badge = catalogue().badge_class(badge_id) or abort(404)
    return _json(services.badge_class_document(badge))


@bp.get("/badges/assertions/<public_id>/badge-class")
def issued_badge_class(public_id: str):
    """The 2.0 BadgeClass of an assertion whose class has been renamed since it was issued: the class
    under the name it was issued with (services.badge_class_url says why)."""
    found = services.assertion_by_public_id(public_id) or abort(404)
    return _json(services.issued_badge_class_document(found))


@bp.get("/badges/classes/<badge_id>/image.<any(png, svg):ext>")
def badge_image(badge_id: str, ext: str):
    """The badge class artwork."""
    badge = catalogue().badge_class(badge_id) or abort(404)
    if ext == "png":
        return send_file(badge.png_path, mimetype="image/png", max_age=86400)
    response = send_file(badge.svg_path, mimetype="image/svg+xml", max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/badges/assertions/<public_id>")
def assertion(public_id: str):
    """The hosted 2.0 Assertion; 410 Gone with revoked: true once revoked."""
    found = services.assertion_by_public_id(public_id) or abort(404)
    status, document = services.assertion_document(found)
    response = _json(document, status)
    return publishable(response, _replay_until(found)) if status == 200 else response


IMAGE_FORMS = {"png": ("png", "image/png"), "svg2": ("svg", "image/svg+xml"), "svg3": ("svg", "image/svg+xml")}


def _stored(document_text: str, etag: str, download_name: str | None = None):
    """A stored JSON document exactly as signed, revalidated by its ETag."""
    response = current_app.response_class(document_text, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.set_etag(etag)
    return response.make_conditional(request)


def _image(public_id: str, form: str, version: int | None = None):
    """A baked image as made when the credential was signed (one statement). At its versioned URL
    the bytes can never change, so it may be cached for a year; the plain URL is revalidated by ETag."""
    image = services.stored_image_of(public_id, form) or abort(404)
    if version is not None and version != image.version:
        return redirect(url_for(request.endpoint, public_id=public_id), 302)
    ext, mimetype = IMAGE_FORMS[form]
    name = f"{image.badge_class_id.lower()}-badge{'-ob2' if form == 'svg2' else ''}.{ext}"
    response = send_file(io.BytesIO(image.data), mimetype=mimetype, download_name=name,
                         as_attachment=request.args.get("download") == "1", etag=False, conditional=False)
    response.set_etag(f"{public_id}-{form}-{image.version}")
    response.headers["Access-Control-Allow-Origin"] = "*"  # like the JSON: verifiers anywhere may read it
    response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if version is not None
                                         else "no-cache")
    if ext == "svg":
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response = response.make_conditional(request)
    return publishable(response) if response.status_code == 200 else response


@bp.get("/badges/assertions/<public_id>/baked.png", defaults={"version": None})
@bp.get("/badges/assertions/<public_id>/v<int:version>/baked.png")
def baked_png(public_id: str, version: int | None):
    """The badge image carrying the 2.0 assertion and the signed 3.0 credential."""
    return _image(public_id, "png", version)


@bp.get("/badges/assertions/<public_id>/baked.svg", defaults={"version": None})
@bp.get("/badges/assertions/<public_id>/v<int:version>/baked.svg")
def baked_svg(public_id: str, version: int | None):
    """The SVG baked as Open Badges 2.0 (the 3.0 SVG is a separate download: the two bind one prefix
    to different namespaces)."""
    return _image(public_id, "svg2", version)


@bp.get("/badges/credentials/<public_id>.png", defaults={"version": None})
@bp.get("/badges/credentials/<public_id>/v<int:version>.png")
def credential_png(public_id: str, version: int | None):
    """The PNG carrying the signed 3.0 credential (and the 2.0 assertion beside it)."""
    return _image(public_id, "png", version)


@bp.get("/badges/credentials/<public_id>.svg", defaults={"version": None})
@bp.get("/badges/credentials/<public_id>/v<int:version>.svg")
def credential_svg(public_id: str, version: int | None):
    """The SVG baked as Open Badges 3.0: the signed credential in <openbadges:credential>."""
    return _image(public_id, "svg3", version)


@bp.get("/badges/credentials/<public_id>.json")
def credential(public_id: str):
    """The signed Open Badges 3.0 credential, exactly as stored when it was signed."""
    found = services.assertion_by_public_id(public_id) or abort(404)
    if not found.credential_json:
        abort(404)
    download = f"{found.badge_class_id.lower()}-credential.json" if request.args.get("download") == "1" else None
    response = _stored(found.credential_json, f"{found.public_id}-{found.credential_version}", download)
    return publishable(response) if response.status_code == 200 else response


@bp.get("/badges/status/<int:number>")
def status_list(number: int):
    """The signed BitstringStatusList credential that marks revoked 3.0 credentials, as stored."""
    row = db.session.get(BadgeStatusList, number) or abort(404)
    response = _stored(row.document_json, f"status-{number}-{int(row.signed_at.timestamp())}")
    return publishable(response) if response.status_code == 200 else response


@bp.get("/badges/classes/<badge_id>/criteria")
def criteria_page(badge_id: str):
    """The badge class's criteria for people: what it takes to earn it, and what it aligns to."""
    badge = catalogue().badge_class(badge_id) or abort(404)
    cat = catalogue()
    indicators = [cat.framework.indicator(i) for i in services.indicator_ids_of(badge)]
    return render_template("badges/criteria.html", badge=badge,
                           criteria_html=render_markdown(services.criteria_text(badge)),
                           alignments=services.alignments(badge), issuer=services.issuer_info(),
                           indicators=indicators, rubric=cat.rubric)


@bp.get("/.well-known/did.json")
def did_document():
    """The issuer's DID document, when the issuer is a did:web."""
    if not keys.issuer_did().startswith("did:web:"):
        abort(404)
    return _json(keys.did_document())


# --- the earner ----------------------------------------------------------------------------------------------

@bp.get("/my/badges")
@login_required
def mine():
    """The learner's badges with downloads and ways to share them."""
    items = []
    accepted = services.accepted_evidence(current_user.id)
    held = services.badges_of(current_user)
    by_badge: dict[int, list[BadgeEndorsement]] = {a.id: [] for a in held}
    for endorsement in db.session.execute(
            db.select(BadgeEndorsement).where(BadgeEndorsement.assertion_id.in_(list(by_badge) or [-1]))
            .options(selectinload(BadgeEndorsement.token))
            .order_by(BadgeEndorsement.requested_at, BadgeEndorsement.id)).scalars():
        by_badge[endorsement.assertion_id].append(endorsement)
    # Renewals under way and the history of each badge, for all of them at once.
    renewals = {r.assertion_id: r for r in db.session.execute(db.select(BadgeRenewal).where(
        BadgeRenewal.assertion_id.in_(list(by_badge) or [-1]))).scalars()}
    own = {a.id: a for a in held}
    successors = {a.supersedes_id: a for a in held if a.supersedes_id is not None}
    for found in held:
        badge = services.badge_def(found)
        page_url = public_url("badges.public_page", public_id=found.public_id)
        image_url = public_url("badges.baked_png", public_id=found.public_id)
        items.append({
            "assertion": found, "badge": badge, "page_url": page_url, "image_url": image_url,
            "criteria_html": render_markdown(services.criteria_text(badge)),
            "linkedin": _linkedin_url(found, badge, page_url),
            "embed": f'<a href="{escape(page_url)}"><img src="{escape(image_url)}" width="120" height="120" '
                     f'alt="{escape(badge.name)}"></a>',
            "versions": services.shareable_versions(found, accepted),
            "endorsements": by_badge[found.id],
            "successor": successors.get(found.id),
            "predecessor": own.get(found.supersedes_id),
            "renewal": renewals[found.id] if found.id in renewals and not renewals[found.id].completed_at else None,
            "renewable": (found.status() in ("expired", "revoked") and found.superseded_at is None
                          and found.id not in renewals),
        })
        if items[-1]["renewal"] is not None:
            items[-1]["pieces"] = renewal.pieces_status(items[-1]["renewal"])
    return render_template("badges/mine.html", items=items, form=FlaskForm(), catalogue=catalogue(),
                           request_form=EndorsementRequestForm(formdata=None))


def _linkedin_url(found: BadgeAssertion, badge, page_url: str) -> str:
    fields = {"startTask": "CERTIFICATION_NAME", "name": badge.name}
    organisation = current_app.config.get("ISSUER_LINKEDIN_ID")
    if organisation:  # LinkedIn then links the certification to the organisation's page
        fields["organizationId"] = organisation
    else:
        fields["organizationName"] = current_app.config["ISSUER_NAME"]
    fields.update({"issueYear": found.issued_at.year, "issueMonth": found.issued_at.month})
    if found.expires_at is not None:
        fields.update({"expirationYear": found.expires_at.year, "expirationMonth": found.expires_at.month})
    fields.update({"certUrl": page_url, "certId": found.public_id})
    query = urlencode(fields)
    return f"https://www.linkedin.com/profile/add?{query}"


@bp.get("/my/badges/<public_id>/qr.svg")
@login_required
def qr(public_id: str):
    """A QR code of the badge's public page, for a poster or a slide."""
    try:
        found = services.own_assertion(current_user, public_id)
    except LookupError:
        abort(404)
    code = segno.make(public_url("badges.public_page", public_id=found.public_id), error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=6, border=2, title="QR code of the badge's public page")
    return send_file(io.BytesIO(out.getvalue()), mimetype="image/svg+xml", max_age=0)


@bp.post("/my/badges/<public_id>/visibility")
@login_required
def visibility(public_id: str):
    """Make the public page visible to anyone, or private again."""
    public = request.form.get("public") == "1"
    try:
        services.set_public(current_user, public_id, public)
    except LookupError:
        abort(404)
    flash("The badge page is now public: anyone with the link can see it." if public
          else "The badge page is now private.", "success")
    return redirect(url_for("badges.mine") + f"#badge-{public_id}")


@bp.post("/my/badges/<public_id>/evidence")
@login_required
def evidence(public_id: str):
    """Choose which accepted evidence is shown with the badge."""
    chosen = [int(v) for v in request.form.getlist("version") if v.isdigit()]
    try:
        services.set_shared_evidence(current_user, public_id, chosen)
    except LookupError:
        abort(404)
    flash("Your choice of evidence to show is saved.", "success")
    return redirect(url_for("badges.mine") + f"#badge-{public_id}")


# --- endorsements: the earner asks, approves and withdraws; the endorser writes through a link ----------------

def _back_to(public_id: str, anchor: str = ""):
    return redirect(url_for("badges.mine") + f"#{anchor or 'badge-' + public_id}")


@bp.post("/my/badges/<public_id>/endorsements")
@login_required
def request_endorsement(public_id: str):
    """Email someone a single-use link to endorse this badge."""
    form = EndorsementRequestForm()
    if not form.validate_on_submit():
        flash("Give the name and email address of the person you are asking.", "error")
        return _back_to(public_id, f"endorse-{public_id}")
    try:
        endorsement = endorsements.request_endorsement(current_user, public_id, form.email.data, form.name.data)
    except LookupError:
        abort(404)
    except endorsements.EndorsementError as exc:
        flash(str(exc), "error")
        return _back_to(public_id, f"endorse-{public_id}")
    flash(f"Your request is on its way to {endorsement.endorser_name}. You decide whether to show what they write.",
          "success")
    return _back_to(public_id, f"endorse-{public_id}")


@bp.post("/my/badges/<public_id>/endorsements/<int:endorsement_id>/<any(approve, withdraw):action>")
@login_required
def decide_endorsement(public_id: str, endorsement_id: int, action: str):
    """Approve an endorsement (signed and embedded in the credential) or withdraw it (taken out again)."""
    try:
        if action == "approve":
            done = endorsements.approve(current_user, endorsement_id)
            flash(f"{done.endorser_name}'s endorsement is approved: it is on your badge page and in your "
                  f"badge's credential.", "success")
        else:
            done = endorsements.withdraw(current_user, endorsement_id)
            flash(f"{done.endorser_name}'s endorsement is withdrawn.", "success")
    except LookupError:
        abort(404)
    except (endorsements.EndorsementError, services.BadgeError) as exc:
        flash(str(exc), "error")
    return _back_to(public_id, f"endorse-{public_id}")


@bp.route("/endorse/<token>", methods=["GET", "POST"])
def endorse(token: str):
    """The endorser's page: what they are endorsing (the badge and the earner's name), and the form."""
    try:
        endorsement = endorsements.open_link(token)
    except LinkProblem as exc:
        return render_template("badges/endorse_closed.html", message=str(exc)), exc.status
    form = EndorseForm(data={"name": endorsement.endorser_name} if request.method == "GET" else None)
    assertion = endorsement.assertion
    context = {"form": form, "badge": services.badge_def(assertion), "earner_name": assertion.user.name,
               "limit": endorsements.STATEMENT_MAX, "roles": endorsements.SUGGESTED_ROLES,
               "issuer_name": current_app.config["ISSUER_NAME"], "problems": []}
    if request.method == "POST":
        if not form.validate_on_submit():  # the CSRF token (the only thing WTForms checks here)
            context["problems"] = ["The form expired; your text is below. Send it again."]
            return render_template("badges/endorse.html", **context), 400
        data = endorsements.EndorsementInput(form.name.data or "", form.role.data or "", form.organisation.data or "",
                                             form.statement.data or "", bool(form.confirm.data))
        try:
            endorsements.submit(token, data)
        except endorsements.EndorsementError as exc:
            context["problems"] = endorsements.check_input(data) or [str(exc)]
            return render_template("badges/endorse.html", **context), 400
        except LinkProblem as exc:
            return render_template("badges/endorse_closed.html", message=str(exc)), exc.status
        return render_template("badges/endorse_closed.html", thanks=True, earner_name=assertion.user.name,
                               message=f"Thank you. {assertion.user.name} will see your endorsement and decide "
                                       f"whether to show it with their badge. This link now no longer works.")
    return render_template("badges/endorse.html", **context)


@bp.post("/my/badges/<public_id>/renew")
@login_required
def renew(public_id: str):
    """Ask to renew an expired badge (or have a revoked one reissued): its evidence reopens for revision."""
    try:
        services.own_assertion(current_user, public_id)
        renewal.start(current_user, public_id)
    except LookupError:
        abort(404)
    except renewal.RenewalError as exc:
        flash(str(exc), "error")
    else:
        flash("Your evidence for this badge is reopened: revise and resubmit it. Once it is accepted again, "
              "a new badge replaces this one.", "success")
    return _back_to(public_id)


@bp.get("/b/<public_id>")
def public_page(public_id: str):
    """The badge's public page: private until the earner makes it public."""
    found = services.assertion_by_public_id(public_id)
    owner = current_user.is_authenticated and found is not None and found.user_id == current_user.id
    if found is None or not (found.is_public or owner):
        abort(404)
    badge = services.badge_def(found)
    chosen = set(found.shared_version_ids)
    shared = [v for v in services.shareable_versions(found) if v.id in chosen]
    approved = endorsements.endorsements_of(found, (APPROVED,))
    successor = renewal.successor_of(found) if found.superseded_at else None
    page = render_template("badges/public.html", assertion=found, badge=badge, owner=owner, endorsements=approved,
                           successor=successor, predecessor=found.supersedes,
                           criteria_html=render_markdown(services.criteria_text(badge)),
                           issuer=services.issuer_info(), shared=shared, catalogue=catalogue(),
                           render_markdown=render_markdown, status=found.status(),
                           assertion_url=public_url("badges.assertion", public_id=found.public_id),
                           page_url=public_url("badges.public_page", public_id=found.public_id),
                           share_image=public_url("badges.badge_image", badge_id=badge.id, ext="png"),
                           share_description=f"{found.user.name} earned “{badge.name}” from "
                                             f"{current_app.config['ISSUER_NAME']}. {badge.description}")
    response = current_app.make_response(page)
    return response if current_user.is_authenticated else publishable(response, _replay_until(found))


# --- anyone: verify ----------------------------------------------------------------------------------------------

@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Check a baked image, pasted JSON or a URL of this issuer, and say plainly what it is."""
    form = VerifyForm()
    result = None
    status = 200
    if form.validate_on_submit():
        upload = form.image.data
        if upload and upload.filename:
            data = upload.read(5 * 1024 * 1024 + 1)
            if len(data) > 5 * 1024 * 1024:
                form.image.errors.append("That image is larger than 5 MB; a badge image is much smaller.")
                return render_template("badges/verify.html", form=form, result=None), 400
            result = services.verify(data, form.email.data)
        elif (form.json_text.data or "").strip():
            result = services.verify(form.json_text.data, form.email.data)
        elif (form.url.data or "").strip():
            result = services.verify(form.url.data.strip(), form.email.data)
        else:
            form.image.errors.append("Upload a badge image, paste its JSON, or give its URL.")
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("badges/verify.html", form=form, result=result), status


# --- admins: revoke ----------------------------------------------------------------------------------------------

@bp.get("/admin/badges")
@role_required("admin")
def admin_list():
    """Every issued badge, newest first, with a way to revoke it."""
    page = db.paginate(db.select(BadgeAssertion).order_by(BadgeAssertion.issued_at.desc(), BadgeAssertion.id.desc())
                       .options(selectinload(BadgeAssertion.user)), per_page=50, error_out=False)
    ids = [a.id for a in page.items]
    renewing = set(db.session.execute(db.select(BadgeRenewal.assertion_id).where(
        BadgeRenewal.assertion_id.in_(ids or [-1]), BadgeRenewal.completed_at.is_(None))).scalars())
    started = set(db.session.execute(db.select(BadgeRenewal.assertion_id).where(
        BadgeRenewal.assertion_id.in_(ids or [-1]))).scalars())
    renewable = {a.id for a in page.items if a.status() in ("expired", "revoked") and a.superseded_at is None
                 and a.id not in started and a.user.erased_at is None}
    return render_template("badges/admin.html", page=page, catalogue=catalogue(), form=RevokeForm(formdata=None),
                           renewable=renewable, renewing=renewing)


@bp.post("/admin/badges/<public_id>/renew")
@role_required(*renewal.RENEWERS)
def admin_renew(public_id: str):
    """Start renewing an expired badge or reissuing a revoked one: its evidence reopens for revision."""
    try:  # the CSRF token was checked by CSRFProtect
        renewal.start(current_user, public_id, request.form.get("reason", ""))
    except LookupError:
        abort(404)
    except (renewal.RenewalError, services.BadgeError) as exc:
        flash(str(exc), "error")
    else:
        flash("The evidence behind the badge is reopened; once it is accepted again, a new badge replaces it.",
              "success")
    return redirect(url_for("badges.admin_list") if current_user.has_role("admin") else url_for("badges.mine"))


@bp.get("/admin/badges/<public_id>/revoke")
@role_required("admin")
def admin_revoke_confirm(public_id: str):
    """Ask before revoking: what the badge is, and that the reason will be public."""
    found = services.assertion_by_public_id(public_id) or abort(404)
    return render_template("badges/revoke.html", assertion=found, badge=services.badge_def(found),
                           form=RevokeForm(formdata=None))


@bp.post("/admin/badges/<public_id>/revoke")
@role_required("admin")
def admin_revoke(public_id: str):
    """Revoke a badge with a reason."""
    form = RevokeForm()
    if not form.validate_on_submit():
        found = services.assertion_by_public_id(public_id) or abort(404)
        if not (form.reason.data or "").strip():
            form.reason.errors = ["Give a reason for revoking: it is shown to anyone who checks the badge."]
        return render_template("badges/revoke.html", assertion=found, badge=services.badge_def(found), form=form), 400
    else:
        try:
            services.revoke(current_user, public_id, form.reason.data)
        except services.BadgeError as exc:
            flash(str(exc), "error")
        else:
            flash("The badge is revoked.", "success")
    return redirect(url_for("badges.admin_list"))
