"""Badge operations: issuing on achievement, the hosted and signed documents, sharing, revoking, verifying.

The one place that writes badge assertions.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, load_only

from ..auth.services import audit
from ..content_store import catalogue
from ..domain.badge_classes import BadgeClassDef
from ..domain.case import sentences
from ..domain.openbadges import baking, dataintegrity, ob2, ob3
from ..domain.openbadges.verify import NOT_ISSUED_HERE, OwnIssuer, Verification, verify_anything
from ..evidence.models import ACCEPTED, EvidenceVersion, Submission
from ..extensions import db
from ..models import User, utcnow
from ..notifications.services import notify
from ..record.services import final_decision, learner_profile
from ..urls import public_url
from . import keys
from .models import APPROVED, BadgeAssertion, BadgeEndorsement, BadgeImage, BadgeStatusList


class BadgeError(Exception):
    """A badge operation that cannot be done; the message is for the person."""


# --- issuing ------------------------------------------------------------------------------------------

def issue_achievements(learner_id: int) -> list[BadgeAssertion]:
    """Issue a badge for every competency, domain or credential the learner has achieved and does not hold.

    Runs inside the caller's transaction. Each badge is inserted in a savepoint: if a concurrent
    decision issued it first, the unique (user, badge class) constraint refuses the second and the
    decision goes on. Badges already issued stay issued even if a later rule change would not award them.
    """
    cat = catalogue()
    learner = db.session.get(User, learner_id)
    held = set(db.session.execute(db.select(BadgeAssertion.badge_class_id)
                                  .where(BadgeAssertion.user_id == learner_id)).scalars())
    validity = current_app.config.get("BADGE_VALIDITY_DAYS")
    issued = []
    for kind, target, achieved_at in learner_profile(learner_id).achievements:
        badge = cat.badge_class_for(kind, target)
        if badge is None or badge.id in held:
            continue
        now = utcnow()
        assertion = BadgeAssertion(
            public_id=str(uuid.uuid4()), user_id=learner_id, badge_class_id=badge.id,
            badge_name=badge.name, badge_description=badge.description,
            recipient_email=learner.email, salt=secrets.token_hex(16), achieved_at=achieved_at, issued_at=now,
            expires_at=now + timedelta(days=int(validity)) if validity else None)
        try:
            with db.session.begin_nested():
                db.session.add(assertion)
        except IntegrityError:
            continue  # issued a moment ago by a concurrent decision
        issued.append(assertion)
        notify(learner_id, f"You earned the badge “{badge.name}”.", url_for("badges.mine"), email_kind="badges")
        audit(None, "badge.issued", f"badge_assertion:{assertion.public_id}", badge=badge.id,
              learner_id=learner_id)
    for assertion in issued:
        if current_app.config.get("PUBLIC_BASE_URL"):
            sign_credential(assertion)
        else:  # the achievement is recorded; `flask badges sign` signs it once the URL is set
            current_app.logger.warning("PUBLIC_BASE_URL is not set: badge %s is issued but not signed",
                                       assertion.public_id)
    return issued


def issue_on_final_decision(sender, *, learner_id: int, outcome: str, **details) -> None:
    """Listener for the record's final decisions: accepted evidence may complete an achievement."""
    if outcome == ACCEPTED:
        issue_achievements(learner_id)
        from .renewal import complete_renewals  # renewals build on this module
        complete_renewals(learner_id)


def init_app(app) -> None:
    """Issue badges whenever a final decision is recorded (connecting twice is harmless)."""
    final_decision.connect(issue_on_final_decision)


# --- lookups --------------------------------------------------------------------------------------------

def assertion_by_public_id(public_id: str) -> BadgeAssertion | None:
    """The assertion with this public id, or None."""
    return db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.public_id == public_id)
                              ).scalar_one_or_none()


def badges_of(user: User) -> list[BadgeAssertion]:
    """The user's badges, newest first."""
    return list(db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.user_id == user.id)
                                   .order_by(BadgeAssertion.issued_at.desc(), BadgeAssertion.id.desc())).scalars())


def recent_badges_of(user: User, since: datetime) -> list[BadgeAssertion]:
    """The user's unrevoked badges issued since ``since``, newest first, without their stored credential
    (the dashboard announces them; it needs names and dates, not the signed documents)."""
    return list(db.session.execute(
        db.select(BadgeAssertion)
        .where(BadgeAssertion.user_id == user.id, BadgeAssertion.issued_at >= since,
               BadgeAssertion.revoked_at.is_(None))
        .options(load_only(BadgeAssertion.public_id, BadgeAssertion.badge_class_id, BadgeAssertion.badge_name,
                           BadgeAssertion.badge_description, BadgeAssertion.issued_at, BadgeAssertion.revoked_at))
        .order_by(BadgeAssertion.issued_at.desc(), BadgeAssertion.id.desc())).scalars())


def badge_def(assertion: BadgeAssertion) -> BadgeClassDef:
    """The badge class an assertion is of, as it was issued: with the name and description stored on the
    assertion, so a class renamed later does not rename badges already issued (pages, feeds, the 3.0
    credential when it is signed again). Everything else (artwork, criteria, alignments) is the class's."""
    badge = catalogue().badge_class(assertion.badge_class_id)
    return replace(badge, name=assertion.badge_name or badge.name,
                   description=assertion.badge_description or badge.description)


def issued_as_current(assertion: BadgeAssertion) -> bool:
    """Whether the badge's name and description are still the class's current ones."""
    badge = catalogue().badge_class(assertion.badge_class_id)
    issued = badge_def(assertion)
    return (issued.name, issued.description) == (badge.name, badge.description)


def badge_class_url(assertion: BadgeAssertion) -> str:
    """The 2.0 BadgeClass an assertion points to.

    Open Badges 2.0 has no name on the Assertion: a verifier shows the name of the BadgeClass it fetches
    from the assertion's `badge` URL. The class's own document (/badges/classes/<id>) is shared by every
    badge of the class and carries its current name. So that a badge issued before a rename keeps the
    name it was issued with, its assertion points instead to a BadgeClass of its own,
    /badges/assertions/<id>/badge-class: the same class (artwork, criteria, alignments, issuer) under
    the name and description stored at issuance. Badges whose class has not been renamed keep pointing
    to the shared class. (3.0 credentials carry the name inside the signed Achievement; its id stays
    the class URL, the achievement being the same one under another name.)
    """
    if issued_as_current(assertion):
        return public_url("badges.badge_class", badge_id=assertion.badge_class_id)
    return public_url("badges.issued_badge_class", public_id=assertion.public_id)


def indicator_ids_of(badge: BadgeClassDef) -> list[str]:
    """The indicators a badge stands for."""
    framework = catalogue().framework
    if badge.kind == "competency":
        return [i.id for i in framework.competency(badge.target_id).indicators]
    if badge.kind == "domain":
        return [i.id for i in framework.domain(badge.target_id).indicators]
    return [i.id for i in framework.indicators]


# --- documents ------------------------------------------------------------------------------------------

def issuer_info() -> ob2.IssuerInfo:
    """The issuer profile from configuration."""
    config = current_app.config
    return ob2.IssuerInfo(
        name=config["ISSUER_NAME"],
        url=config.get("ISSUER_URL") or public_url("learning.index"),
        email=config["ISSUER_EMAIL"],
        image_url=config.get("ISSUER_IMAGE_URL") or public_url("badges.issuer_image"),
        description=config.get("ISSUER_DESCRIPTION", ""),
    )


def criteria_text(badge: BadgeClassDef) -> str:
    """The badge's criteria: the narrative, then the rule that awards it, from the rules in force."""
    cat = catalogue()
    framework, rubric = cat.framework, cat.rubric
    if badge.kind == "competency":
        rule = rubric.rules[badge.target_id]
        level = rubric.level(rule.every_indicator_at_least).label
        extra = "".join(f" and at least {count} at {rubric.level(value).label}" for value, count in rule.at_least)
        competency = framework.competency(badge.target_id)
        how = (f"Awarded when each of the {len(competency.indicators)} indicators of the competency "
               f"“{competency.title}” has reached at least {level}{extra} in evidence accepted by an assessor.")
    elif badge.kind == "domain":
        domain = framework.domain(badge.target_id)
        names = ", ".join(f"“{c.title}”" for c in domain.competencies)
        how = f"Awarded when every competency of the domain {domain.title} is achieved: {names}."
    else:
        how = f"Awarded when all {len(framework.domains)} domains of the {framework.title} are achieved."
    needed = set(indicator_ids_of(badge))
    levels = sorted({rubric.level(rubric.rules[framework.indicator(i).competency_id].every_indicator_at_least).label
                     for i in needed})
    standard = (f"The standard: every one of these {len(needed)} indicators at {' or '.join(levels)} or above, "
                f"as its rubric describes.")
    tasks = [f"- “{unit.task.title}” (unit “{unit.title}”): "
             f"{', '.join(i for i in unit.task.indicator_ids if i in needed)}"
             for unit in evidence_units(badge)]
    evidence = "The evidence it requires, from these units' evidence tasks:\n\n" + "\n".join(tasks)
    if badge.kind == "competency":  # `how` already names the level
        standard = ""
    return f"{badge.criteria}\n\n{how}{' ' + standard if standard else ''}\n\n{evidence}"


def evidence_units(badge: BadgeClassDef) -> list:
    """The units whose evidence tasks evidence an indicator this badge stands for, in course order."""
    needed = set(indicator_ids_of(badge))
    return [unit for unit in catalogue().task_units if needed & set(unit.task.indicator_ids)]


def alignments(badge: BadgeClassDef) -> list[ob2.Alignment]:
    """The framework items the badge aligns to, at their published URLs."""
    framework = catalogue().framework

    def align(node_id: str, name: str, description: str) -> ob2.Alignment:
        return ob2.Alignment(name, public_url("framework.node", node_id=node_id), description, framework.title,
                             node_id)

    if badge.kind == "competency":
        competency = framework.competency(badge.target_id)
        return [align(competency.id, competency.title, sentences(competency.description))] + \
            [align(i.id, i.statement, f"Indicator {i.id} of the competency “{competency.title}”.")
             for i in competency.indicators]
    if badge.kind == "domain":
        domain = framework.domain(badge.target_id)
        return [align(domain.id, domain.title, domain.summary)] + \
            [align(c.id, c.title, sentences(c.description)) for c in domain.competencies]
    return [align(d.id, d.title, d.summary) for d in framework.domains]


def issuer_document() -> dict:
    """The hosted 2.0 Issuer."""
    return ob2.issuer_json(public_url("badges.issuer"), issuer_info())


def badge_class_document(badge: BadgeClassDef, url: str | None = None) -> dict:
    """The hosted 2.0 BadgeClass (at ``url``: the class as one assertion was issued, see badge_class_url)."""
    return ob2.badge_class_json(
        url or public_url("badges.badge_class", badge_id=badge.id), name=badge.name, description=badge.description,
        criteria=criteria_text(badge), image_url=public_url("badges.badge_image", badge_id=badge.id, ext="png"),
        issuer_url=public_url("badges.issuer"), tags=badge.tags, alignments=alignments(badge))


def issued_badge_class_document(assertion: BadgeAssertion) -> dict:
    """The 2.0 BadgeClass of one assertion, under the name it was issued with (see badge_class_url)."""
    return badge_class_document(badge_def(assertion),
                                public_url("badges.issued_badge_class", public_id=assertion.public_id))


def shared_evidence(assertion: BadgeAssertion) -> list[ob2.EvidenceItem]:
    """The evidence the earner chose to show with this badge (accepted versions only)."""
    chosen = set(assertion.shared_version_ids)
    if not chosen:  # most badges show no evidence: nothing to look up
        return []
    items = []
    for version in shareable_versions(assertion):
        if version.id in chosen:
            unit = catalogue().unit(version.submission.unit_slug)
            items.append(ob2.EvidenceItem(
                url=public_url("badges.public_page", public_id=assertion.public_id) + f"#evidence-{version.id}",
                name=unit.task.title, narrative=version.reflection))
    return items


def accepted_evidence(user_id: int) -> list[EvidenceVersion]:
    """The person's accepted evidence versions with their submissions, oldest first (one query)."""
    return list(db.session.execute(
        db.select(EvidenceVersion).join(EvidenceVersion.submission)
        .where(Submission.learner_id == user_id, EvidenceVersion.status == ACCEPTED)
        .options(contains_eager(EvidenceVersion.submission))
        .order_by(EvidenceVersion.submitted_at)
    ).scalars())


def shareable_versions(assertion: BadgeAssertion,
                       accepted: list[EvidenceVersion] | None = None) -> list[EvidenceVersion]:
    """The earner's accepted evidence that bears on this badge's indicators (from ``accepted`` when given)."""
    wanted = set(indicator_ids_of(badge_def(assertion)))
    slugs = {u.slug for u in catalogue().units if wanted & set(u.evidenced_ids)}
    if accepted is None:
        accepted = accepted_evidence(assertion.user_id)
    return [v for v in accepted if v.submission.unit_slug in slugs]


def assertion_document(assertion: BadgeAssertion) -> tuple[int, dict]:
    """The hosted 2.0 Assertion, or (410, revoked form)."""
    url = public_url("badges.assertion", public_id=assertion.public_id)
    if assertion.revoked_at is not None:
        return 410, ob2.revoked_json(url, assertion.revocation_reason, badge_class_url(assertion))
    return 200, ob2.assertion_json(
        url, badge_class_url=badge_class_url(assertion), email=assertion.recipient_email,
        salt=assertion.salt, issued_on=assertion.issued_at,
        image_url=public_url("badges.baked_png", public_id=assertion.public_id),
        evidence=shared_evidence(assertion), expires=assertion.expires_at)


def _indicator_results(assertion: BadgeAssertion) -> list[ob3.IndicatorResult]:
    cat = catalogue()
    framework, rubric = cat.framework, cat.rubric
    profile = learner_profile(assertion.user_id)
    results = []
    for indicator_id in indicator_ids_of(badge_def(assertion)):
        competency = profile.competency(framework.indicator(indicator_id).competency_id)
        level = next(r.level for r in competency.indicators if r.indicator_id == indicator_id)
        if level is None:
            continue
        indicator = framework.indicator(indicator_id)
        results.append(ob3.IndicatorResult(
            indicator_id, indicator.statement,
            ob2.Alignment(indicator.statement, public_url("framework.node", node_id=indicator.id), indicator.statement,
                          framework.title, indicator.id),
            tuple(ob3.RubricLevel(level_def.id, level_def.value, level_def.label,
                                  rubric.descriptor_text(indicator_id, level_def.value)) for level_def in rubric.levels),
            level, rubric.rules[indicator.competency_id].every_indicator_at_least))
    return results


def achievement_id(badge: BadgeClassDef) -> str:
    """The 3.0 Achievement's id: the hosted 2.0 BadgeClass URL."""
    return public_url("badges.badge_class", badge_id=badge.id)


def unsigned_credential(assertion: BadgeAssertion) -> dict:
    """The 3.0 OpenBadgeCredential as it would be signed now (with the evidence chosen now)."""
    badge = badge_def(assertion)
    info = issuer_info()
    did = keys.issuer_did()
    issuer_profile = ob3.profile(did, info)
    results = _indicator_results(assertion)
    achievement = ob3.achievement(
        achievement_id(badge), name=badge.name, description=badge.description,
        criteria=criteria_text(badge), image_url=public_url("badges.badge_image", badge_id=badge.id, ext="png"),
        tags=badge.tags, alignments=alignments(badge), results=results,
        achievement_type="Competency" if badge.kind != "credential" else "MicroCredential", issuer=issuer_profile,
        criteria_url=public_url("badges.criteria_page", badge_id=badge.id))
    index = assertion.id
    return ob3.credential(
        f"urn:uuid:{assertion.public_id}", issuer_did=did, issuer=info, name=badge.name,
        achievement_data=achievement, email=assertion.recipient_email, salt=assertion.salt,
        valid_from=assertion.issued_at, valid_until=assertion.expires_at, results=results,
        status_list_url=public_url("badges.status_list", number=index // ob3.STATUS_LIST_BITS),
        status_index=index, evidence=shared_evidence(assertion), endorsements=approved_endorsements(assertion))


def approved_endorsements(assertion: BadgeAssertion) -> list[dict]:
    """The signed EndorsementCredentials the earner approved, in the order approved (lms/badges/endorsements.py)."""
    rows = db.session.execute(db.select(BadgeEndorsement).where(
        BadgeEndorsement.assertion_id == assertion.id, BadgeEndorsement.status == APPROVED,
        BadgeEndorsement.credential_json != "")
        .order_by(BadgeEndorsement.approved_at, BadgeEndorsement.id)).scalars()
    return [row.credential for row in rows]


def require_base_url() -> None:
    """Refuse to sign without PUBLIC_BASE_URL (BadgeError saying what to set)."""
    if not current_app.config.get("PUBLIC_BASE_URL"):
        raise BadgeError("Set PUBLIC_BASE_URL (the address the public uses, e.g. https://mentoring.example.org): "
                         "signed credentials carry their URLs and cannot follow a later change of host.")


def sign_credential(assertion: BadgeAssertion) -> None:
    """Sign the credential, store it as a new version and bake its images once.

    Called at issuance and again only when what the credential carries changes: the evidence the
    earner shares, or an endorsement added (see credential_changed). Never on a GET.
    """
    require_base_url()
    db.session.flush()  # the assertion's id is its status list index
    status_list_row(assertion.id // ob3.STATUS_LIST_BITS, not_after=assertion.issued_at)
    signed = dataintegrity.sign(unsigned_credential(assertion), keys.issuer_key(), keys.verification_method(),
                                created=utcnow())
    assertion.credential_json = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    assertion.credential_version = (assertion.credential_version or 0) + 1
    assertion.credential_signed_at = utcnow()
    _bake_images(assertion)


def credential_changed(assertion: BadgeAssertion) -> None:
    """Hook for anything that changes what the credential carries (an endorsement approved or
    withdrawn): re-sign it and re-bake its images, in the caller's transaction."""
    sign_credential(assertion)


def _bake_images(assertion: BadgeAssertion) -> None:
    badge = badge_def(assertion)
    _, hosted = assertion_document(assertion)
    ob2_text = json.dumps(hosted)
    png = badge.png_path.read_bytes()
    svg = badge.svg_path.read_bytes()
    images = {
        "png": baking.bake_png(png, ob2_text, assertion.credential_json),
        "svg2": baking.bake_svg2(svg, ob2_text),
        "svg3": baking.bake_svg3(svg, assertion.credential_json),
    }
    existing = {i.form: i for i in db.session.execute(
        db.select(BadgeImage).where(BadgeImage.assertion_id == assertion.id)).scalars()}
    for form, data in images.items():
        row = existing.get(form) or BadgeImage(assertion_id=assertion.id, form=form)
        row.version, row.data = assertion.credential_version, data
        db.session.add(row)


def stored_image(assertion: BadgeAssertion, form: str) -> BadgeImage | None:
    """The baked image of the current credential version, as made when it was signed."""
    return db.session.execute(db.select(BadgeImage).where(BadgeImage.assertion_id == assertion.id,
                                                          BadgeImage.form == form)).scalar_one_or_none()


def stored_image_of(public_id: str, form: str):
    """The stored baked image of a badge by its public id, with its version and badge class, in one
    statement and without loading the assertion; None when there is no such badge or image."""
    return db.session.execute(
        db.select(BadgeImage.data, BadgeImage.version, BadgeAssertion.badge_class_id)
        .join(BadgeAssertion, BadgeAssertion.id == BadgeImage.assertion_id)
        .where(BadgeAssertion.public_id == public_id, BadgeImage.form == form)).first()


def baked_image(assertion: BadgeAssertion, ext: str) -> bytes | None:
    """The stored baked PNG (2.0 and 3.0) or 3.0 SVG of the current version; None if never signed."""
    image = stored_image(assertion, "png" if ext == "png" else "svg3")
    return image.data if image else None


def credential_document(assertion: BadgeAssertion) -> dict | None:
    """The stored signed 3.0 credential, or None if it was never signed."""
    return json.loads(assertion.credential_json) if assertion.credential_json else None


def status_list_row(number: int, not_after=None) -> BadgeStatusList:
    """The stored status list, created and signed now if it does not exist yet.

    Its validFrom is its creation time, never later than ``not_after`` (the first credential's validFrom).
    """
    row = db.session.get(BadgeStatusList, number)
    if row is not None:
        return row
    created = min(utcnow(), not_after) if not_after is not None else utcnow()
    row = BadgeStatusList(number=number, created_at=created.replace(microsecond=0))
    _sign_status_list(row)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # created a moment ago by a concurrent issuance
        row = db.session.get(BadgeStatusList, number)
    return row


def start_status_list_by(number: int, moment) -> None:
    """Make a status list's validFrom no later than ``moment`` (a credential dated earlier points to it),
    signing it again if that changes it."""
    row = status_list_row(number, not_after=moment)
    if row.created_at > moment:
        row.created_at = moment.replace(microsecond=0)
        _sign_status_list(row)


def _sign_status_list(row: BadgeStatusList) -> None:
    size = ob3.STATUS_LIST_BITS
    revoked_ids = db.session.execute(
        db.select(BadgeAssertion.id).where(BadgeAssertion.revoked_at.is_not(None),
                                           BadgeAssertion.id >= row.number * size,
                                           BadgeAssertion.id < (row.number + 1) * size)).scalars()
    document = ob3.status_list_credential(
        public_url("badges.status_list", number=row.number), issuer_did=keys.issuer_did(),
        revoked={i % size for i in revoked_ids}, valid_from=row.created_at)
    row.signed_at = utcnow()
    row.document_json = json.dumps(dataintegrity.sign(document, keys.issuer_key(), keys.verification_method(),
                                                      created=row.signed_at), separators=(",", ":"))


def status_list_document(number: int) -> dict | None:
    """The stored signed status list, or None if no credential points to it."""
    row = db.session.get(BadgeStatusList, number)
    return json.loads(row.document_json) if row else None


def resign_all() -> int:
    """Sign every credential and status list again (after a key rotation or a change of issuer
    profile); returns how many credentials were signed."""
    require_base_url()
    for row in db.session.execute(db.select(BadgeStatusList).with_for_update()).scalars():
        _sign_status_list(row)
    from .endorsements import resign_approved  # endorsements build on this module
    resign_approved()
    count = 0
    for assertion in db.session.execute(db.select(BadgeAssertion).order_by(BadgeAssertion.id)).scalars():
        sign_credential(assertion)
        count += 1
    db.session.commit()
    return count


def sign_unsigned() -> int:
    """Sign the credentials issued while PUBLIC_BASE_URL was not set; returns how many."""
    require_base_url()
    pending = list(db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.credential_json == "")
                                      .order_by(BadgeAssertion.id)).scalars())
    for assertion in pending:
        sign_credential(assertion)
    db.session.commit()
    return len(pending)


# --- the earner's choices, and revocation -----------------------------------------------------------------

def own_assertion(user: User, public_id: str) -> BadgeAssertion:
    """The user's own assertion; LookupError when it is not theirs."""
    assertion = assertion_by_public_id(public_id)
    if assertion is None or assertion.user_id != user.id:
        raise LookupError(public_id)
    return assertion


def set_public(user: User, public_id: str, public: bool) -> BadgeAssertion:
    """Show or hide the badge's public page."""
    assertion = own_assertion(user, public_id)
    assertion.is_public = public
    db.session.commit()
    return assertion


def set_shared_evidence(user: User, public_id: str, version_ids: list[int]) -> BadgeAssertion:
    """Choose which accepted evidence appears with the badge; anything else is ignored."""
    assertion = own_assertion(user, public_id)
    allowed = {v.id for v in shareable_versions(assertion)}
    chosen = json.dumps(sorted(set(version_ids) & allowed))
    if chosen != assertion.shared_versions_json:  # only a real change is signed again
        assertion.shared_versions_json = chosen
        credential_changed(assertion)
    db.session.commit()
    return assertion


REVOCATION_REASON_MAX_CHARS = 1000  # a public reason: a few sentences, stated beside the field


def revoke(actor: User | None, public_id: str, reason: str) -> BadgeAssertion:
    """Revoke a badge with a reason: the 2.0 URL answers 410 and the 3.0 status list marks it."""
    reason = reason.strip()
    if not reason:
        raise BadgeError("Give a reason for revoking: it is shown to anyone who checks the badge.")
    if len(reason) > REVOCATION_REASON_MAX_CHARS:
        raise BadgeError(f"The reason can be at most {REVOCATION_REASON_MAX_CHARS:,} characters "
                         f"(this one has {len(reason):,}): shorten it.")
    assertion = assertion_by_public_id(public_id)
    if assertion is None:
        raise BadgeError(f"There is no badge with the id {public_id}.")
    if assertion.revoked_at is not None:
        raise BadgeError("This badge was already revoked.")
    result = db.session.execute(
        db.update(BadgeAssertion).where(BadgeAssertion.id == assertion.id, BadgeAssertion.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revocation_reason=reason, revoked_by_id=actor.id if actor else None))
    if result.rowcount != 1:
        db.session.rollback()
        raise BadgeError("This badge was already revoked.")
    # Lock the list, then read every revocation committed before ours: concurrent revocations queue here.
    row = db.session.execute(db.select(BadgeStatusList).where(
        BadgeStatusList.number == assertion.id // ob3.STATUS_LIST_BITS).with_for_update()).scalar_one_or_none()
    if row is not None:
        _sign_status_list(row)
    audit(actor, "badge.revoked", f"badge_assertion:{public_id}", reason=reason)
    notify(assertion.user_id, f"Your badge “{badge_def(assertion).name}” was revoked: {reason}",
           url_for("badges.mine"), email_kind="badges")
    db.session.commit()
    db.session.refresh(assertion)
    return assertion


# --- verification -------------------------------------------------------------------------------------------

def _own_hosts() -> set[str]:
    base = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or request.host_url)
    return {base.netloc, request.host if request else ""} - {""}


def owns_url(url: str) -> bool:
    """Whether a URL is one of this app's own (the only URLs the verifier ever resolves)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc in _own_hosts()


def resolve_own(url: str) -> tuple[int, dict | None]:
    """Fetch one of this issuer's documents in-process; other hosts are never contacted."""
    if not owns_url(url):
        return 0, None
    parts = urlsplit(url)
    adapter = current_app.url_map.bind(parts.netloc, url_scheme=parts.scheme)
    try:
        endpoint, values = adapter.match(parts.path, method="GET")
    except Exception:  # not found, or a redirect: nothing of ours is there
        return 404, None
    if endpoint == "badges.issuer":
        return 200, issuer_document()
    if endpoint == "badges.badge_class":
        badge = catalogue().badge_class(values["badge_id"])
        return (200, badge_class_document(badge)) if badge else (404, None)
    if endpoint == "badges.issued_badge_class":
        assertion = assertion_by_public_id(values["public_id"])
        return (200, issued_badge_class_document(assertion)) if assertion else (404, None)
    if endpoint in ("badges.assertion", "badges.credential", "badges.public_page"):
        assertion = assertion_by_public_id(values["public_id"])
        if assertion is None:
            return 404, None
        if endpoint == "badges.credential":
            document = credential_document(assertion)
            return (200, document) if document else (404, None)
        return assertion_document(assertion)
    if endpoint == "badges.status_list":
        document = status_list_document(values["number"])
        return (200, document) if document else (404, None)
    return 404, None


def own_issuer() -> OwnIssuer:
    """This app as the one issuer its verifier vouches for: its profile's name, its keys, its URLs."""
    return OwnIssuer(name=current_app.config["ISSUER_NAME"], keys=keys.trusted_keys(), dids=keys.trusted_dids(),
                     owns_url=owns_url)


def verify(data: bytes | str, email: str | None = None) -> Verification:
    """Verify a baked image, JSON or URL with this app's own code: valid only if this issuer signed it."""
    result = verify_anything(data, resolve_own, email or None, issuer=own_issuer())
    if result.status == "revoked":  # our own record says when and why
        match = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", result.subject_id)
        found = assertion_by_public_id(match.group(0)) if match else None
        if found is not None and found.revoked_at is not None:
            result.revoked_on = found.revoked_at.isoformat()
            result.revocation_reason = result.revocation_reason or found.revocation_reason or ""
    match = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", result.subject_id or "")
    found = assertion_by_public_id(match.group(0)) if match and result.status != NOT_ISSUED_HERE else None
    if found is not None and found.superseded_at is not None:  # still what it was; a newer one replaces it
        newer = db.session.execute(db.select(BadgeAssertion).where(BadgeAssertion.supersedes_id == found.id)
                                   ).scalar_one_or_none()
        if newer is not None:
            result.superseded_by = (public_url("badges.public_page", public_id=newer.public_id) if newer.is_public
                                    else f"a badge issued on {newer.issued_at:%Y-%m-%d}")
    return result
