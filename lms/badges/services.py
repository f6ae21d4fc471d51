"""Badge operations: issuing on achievement, the hosted and signed documents, sharing, revoking, verifying.

The one place that writes badge assertions.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..auth.services import audit
from ..content_store import catalogue
from ..domain.badge_classes import BadgeClassDef
from ..domain.openbadges import baking, dataintegrity, ob2, ob3
from ..domain.openbadges.verify import Verification, verify_anything
from ..evidence.models import ACCEPTED, EvidenceVersion, Submission
from ..extensions import db
from ..models import User, utcnow
from ..notifications.services import notify
from ..record.services import final_decision, learner_profile
from ..urls import public_url
from . import keys
from .models import BadgeAssertion


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
    return issued


def issue_on_final_decision(sender, *, learner_id: int, outcome: str, **details) -> None:
    """Listener for the record's final decisions: accepted evidence may complete an achievement."""
    if outcome == ACCEPTED:
        issue_achievements(learner_id)


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


def badge_def(assertion: BadgeAssertion) -> BadgeClassDef:
    """The badge class an assertion is of."""
    return catalogue().badge_class(assertion.badge_class_id)


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
    return f"{badge.criteria}\n\n{how}"


def alignments(badge: BadgeClassDef) -> list[ob2.Alignment]:
    """The framework items the badge aligns to, at their published URLs."""
    framework = catalogue().framework

    def align(node_id: str, name: str, description: str) -> ob2.Alignment:
        return ob2.Alignment(name, public_url("framework.node", node_id=node_id), description, framework.title,
                             node_id)

    if badge.kind == "competency":
        competency = framework.competency(badge.target_id)
        return [align(competency.id, competency.title, " ".join(competency.description))] + \
            [align(i.id, i.id, i.statement) for i in competency.indicators]
    if badge.kind == "domain":
        domain = framework.domain(badge.target_id)
        return [align(domain.id, domain.title, domain.summary)] + \
            [align(c.id, c.title, " ".join(c.description)) for c in domain.competencies]
    return [align(d.id, d.title, d.summary) for d in framework.domains]


def issuer_document() -> dict:
    """The hosted 2.0 Issuer."""
    return ob2.issuer_json(public_url("badges.issuer"), issuer_info())


def badge_class_document(badge: BadgeClassDef) -> dict:
    """The hosted 2.0 BadgeClass."""
    return ob2.badge_class_json(
        public_url("badges.badge_class", badge_id=badge.id), name=badge.name, description=badge.description,
        criteria=criteria_text(badge), image_url=public_url("badges.badge_image", badge_id=badge.id, ext="png"),
        issuer_url=public_url("badges.issuer"), tags=badge.tags, alignments=alignments(badge))


def shared_evidence(assertion: BadgeAssertion) -> list[ob2.EvidenceItem]:
    """The evidence the earner chose to show with this badge (accepted versions only)."""
    chosen = set(assertion.shared_version_ids)
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
    badge = badge_def(assertion)
    if assertion.revoked_at is not None:
        return 410, ob2.revoked_json(url, assertion.revocation_reason,
                                     public_url("badges.badge_class", badge_id=badge.id))
    return 200, ob2.assertion_json(
        url, badge_class_url=public_url("badges.badge_class", badge_id=badge.id), email=assertion.recipient_email,
        salt=assertion.salt, issued_on=assertion.issued_at,
        image_url=public_url("badges.baked", public_id=assertion.public_id, ext="png"),
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
            ob2.Alignment(indicator.id, public_url("framework.node", node_id=indicator.id), indicator.statement,
                          framework.title, indicator.id),
            tuple(ob3.RubricLevel(level_def.id, level_def.value, level_def.label,
                                  rubric.descriptor(indicator_id, level_def.value)) for level_def in rubric.levels),
            level))
    return results


def credential_document(assertion: BadgeAssertion) -> dict:
    """The signed 3.0 OpenBadgeCredential (signed when asked for, so it carries the evidence chosen now)."""
    badge = badge_def(assertion)
    info = issuer_info()
    did = keys.issuer_did()
    issuer_profile = ob3.profile(did, info)
    results = _indicator_results(assertion)
    achievement = ob3.achievement(
        public_url("badges.badge_class", badge_id=badge.id), name=badge.name, description=badge.description,
        criteria=criteria_text(badge), image_url=public_url("badges.badge_image", badge_id=badge.id, ext="png"),
        tags=badge.tags, alignments=alignments(badge), results=results,
        achievement_type="Competency" if badge.kind != "credential" else "MicroCredential", issuer=issuer_profile)
    index = assertion.id
    document = ob3.credential(
        f"urn:uuid:{assertion.public_id}", issuer_did=did, issuer=info, name=badge.name,
        achievement_data=achievement, email=assertion.recipient_email, salt=assertion.salt,
        valid_from=assertion.issued_at, valid_until=assertion.expires_at, results=results,
        status_list_url=public_url("badges.status_list", number=index // ob3.STATUS_LIST_BITS),
        status_index=index, evidence=shared_evidence(assertion))
    return dataintegrity.sign(document, keys.issuer_key(), keys.verification_method(), created=utcnow())


def status_list_document(number: int) -> dict:
    """The signed revocation list for assertions number*131072 .. (number+1)*131072-1."""
    size = ob3.STATUS_LIST_BITS
    revoked_ids = db.session.execute(
        db.select(BadgeAssertion.id).where(BadgeAssertion.revoked_at.is_not(None),
                                           BadgeAssertion.id >= number * size, BadgeAssertion.id < (number + 1) * size)
    ).scalars()
    document = ob3.status_list_credential(
        public_url("badges.status_list", number=number), issuer_did=keys.issuer_did(),
        revoked={i % size for i in revoked_ids}, valid_from=utcnow())
    return dataintegrity.sign(document, keys.issuer_key(), keys.verification_method(), created=utcnow())


def baked_image(assertion: BadgeAssertion, ext: str) -> bytes:
    """The badge artwork carrying the 2.0 assertion and the signed 3.0 credential."""
    badge = badge_def(assertion)
    _, assertion_json = assertion_document(assertion)
    ob2_text = json.dumps(assertion_json)
    ob3_text = json.dumps(credential_document(assertion))
    if ext == "png":
        return baking.bake_png(badge.png_path.read_bytes(), ob2_text, ob3_text)
    return baking.bake_svg(badge.svg_path.read_bytes(), ob2_text, ob3_text)


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
    assertion.shared_versions_json = json.dumps(sorted(set(version_ids) & allowed))
    db.session.commit()
    return assertion


def revoke(actor: User | None, public_id: str, reason: str) -> BadgeAssertion:
    """Revoke a badge with a reason: the 2.0 URL answers 410 and the 3.0 status list marks it."""
    reason = reason.strip()
    if not reason:
        raise BadgeError("Give a reason for revoking: it is shown to anyone who checks the badge.")
    assertion = assertion_by_public_id(public_id)
    if assertion is None:
        raise BadgeError(f"There is no badge with the id {public_id}.")
    if assertion.revoked_at is not None:
        raise BadgeError("This badge was already revoked.")
    result = db.session.execute(
        db.update(BadgeAssertion).where(BadgeAssertion.id == assertion.id, BadgeAssertion.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revocation_reason=reason[:1000], revoked_by_id=actor.id if actor else None))
    if result.rowcount != 1:
        db.session.rollback()
        raise BadgeError("This badge was already revoked.")
    audit(actor, "badge.revoked", f"badge_assertion:{public_id}", reason=reason)
    notify(assertion.user_id, f"Your badge “{badge_def(assertion).name}” was revoked: {reason}",
           url_for("badges.mine"), email_kind="badges")
    db.session.commit()
    db.session.refresh(assertion)
    return assertion


# --- verification -------------------------------------------------------------------------------------------

def resolve_own(url: str) -> tuple[int, dict | None]:
    """Fetch one of this issuer's documents in-process; other hosts are never contacted."""
    parts = urlsplit(url)
    base = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or request.host_url)
    own_hosts = {base.netloc, request.host if request else ""}
    if parts.scheme not in ("http", "https") or parts.netloc not in own_hosts:
        return 0, None
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
    if endpoint in ("badges.assertion", "badges.credential", "badges.public_page"):
        assertion = assertion_by_public_id(values["public_id"])
        if assertion is None:
            return 404, None
        if endpoint == "badges.credential":
            return 200, credential_document(assertion)
        return assertion_document(assertion)
    if endpoint == "badges.status_list":
        return 200, status_list_document(values["number"])
    return 404, None


def own_key_resolver(method: str):
    """Resolve did:key anywhere, and this issuer's did:web from its own key."""
    if method.split("#")[0] == keys.issuer_did() and not method.startswith("did:key:"):
        return keys.issuer_key().public_key()
    return dataintegrity.resolve_did_key(method)


def verify(data: bytes | str, email: str | None = None) -> Verification:
    """Verify a baked image, JSON or URL of this issuer with this app's own verification code."""
    result = verify_anything(data, resolve_own, email or None, resolve_key=own_key_resolver)
    if result.status == "revoked":  # our own record says when and why
        match = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", result.subject_id)
        found = assertion_by_public_id(match.group(0)) if match else None
        if found is not None and found.revoked_at is not None:
            result.revoked_on = found.revoked_at.isoformat()
            result.revocation_reason = result.revocation_reason or found.revocation_reason or ""
    return result
