"""Open Badges 2.0 hosted JSON-LD: Issuer, BadgeClass, Assertion (and its revoked form)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

OB2_CONTEXT = "https://w3id.org/openbadges/v2"


@dataclass(frozen=True)
class IssuerInfo:
    """Who issues the badges, from instance configuration."""

    name: str
    url: str
    email: str
    image_url: str
    description: str = ""


@dataclass(frozen=True)
class Alignment:
    """A link from a badge to a framework item (a CASE CFItem published at ``url``)."""

    name: str
    url: str
    description: str
    framework: str
    code: str


@dataclass(frozen=True)
class EvidenceItem:
    """Evidence the earner chose to show with a badge."""

    url: str
    name: str
    narrative: str


def iso(moment: datetime) -> str:
    """An ISO 8601 UTC time with a zone, as both specifications want."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_email(email: str, salt: str) -> str:
    """The hashed recipient identity: sha256 of the lowercased email followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def issuer_json(issuer_url: str, issuer: IssuerInfo) -> dict:
    """The hosted Issuer profile."""
    data = {"@context": OB2_CONTEXT, "type": "Issuer", "id": issuer_url, "name": issuer.name,
            "url": issuer.url, "email": issuer.email, "image": issuer.image_url}
    if issuer.description:
        data["description"] = issuer.description
    return data


def badge_class_json(url: str, *, name: str, description: str, criteria: str, image_url: str, issuer_url: str,
                     tags: tuple[str, ...], alignments: list[Alignment]) -> dict:
    """The hosted BadgeClass."""
    return {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": url,
        "name": name,
        "description": description,
        "image": image_url,
        "criteria": {"narrative": criteria},
        "issuer": issuer_url,
        "tags": list(tags),
        "alignment": [{"targetName": a.name, "targetUrl": a.url, "targetDescription": a.description,
                       "targetFramework": a.framework, "targetCode": a.code} for a in alignments],
    }


def assertion_json(url: str, *, badge_class_url: str, email: str, salt: str, issued_on: datetime,
                   image_url: str, evidence: list[EvidenceItem], expires: datetime | None = None) -> dict:
    """The hosted Assertion; evidence only as the earner chose."""
    data = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": {"type": "email", "hashed": True, "salt": salt, "identity": hash_email(email, salt)},
        "badge": badge_class_url,
        "verification": {"type": "hosted"},
        "issuedOn": iso(issued_on),
        "image": image_url,
    }
    if expires is not None:
        data["expires"] = iso(expires)
    if evidence:
        data["evidence"] = [{"id": e.url, "name": e.name, "narrative": e.narrative} for e in evidence]
    return data


def revoked_json(url: str, reason: str, badge_class_url: str) -> dict:
    """What a revoked assertion's URL answers (with 410 Gone): which badge, that it is revoked, and why."""
    return {"@context": OB2_CONTEXT, "type": "Assertion", "id": url, "badge": badge_class_url, "revoked": True,
            "revocationReason": reason}
