"""Open Badges 3.0: the OpenBadgeCredential and the BitstringStatusList credential for revocation."""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from datetime import datetime

from .dataintegrity import CREDENTIALS_V2, OB_V3
from .ob2 import Alignment, EvidenceItem, IssuerInfo, hash_email, iso

STATUS_LIST_BITS = 131_072  # 16 KB, the minimum size the specification asks for (herd privacy)


@dataclass(frozen=True)
class RubricLevel:
    """One level of the rubric for one indicator, as a RubricCriterionLevel."""

    id: str
    value: int
    label: str
    descriptor: str


@dataclass(frozen=True)
class IndicatorResult:
    """The earner's level for one indicator, with the rubric it was judged against."""

    indicator_id: str
    statement: str
    alignment: Alignment
    levels: tuple[RubricLevel, ...]
    achieved_value: int
    required_value: int


def profile(issuer_did: str, issuer: IssuerInfo) -> dict:
    """The issuer as an OB 3.0 Profile identified by its DID."""
    data = {"id": issuer_did, "type": ["Profile"], "name": issuer.name, "url": issuer.url,
            "email": issuer.email, "image": {"id": issuer.image_url, "type": "Image"}}
    if issuer.description:
        data["description"] = issuer.description
    return data


def _alignment(a: Alignment) -> dict:
    return {"type": ["Alignment"], "targetName": a.name, "targetUrl": a.url, "targetDescription": a.description,
            "targetFramework": a.framework, "targetCode": a.code, "targetType": "CFItem"}


def achievement(url: str, *, name: str, description: str, criteria: str, image_url: str, tags: tuple[str, ...],
                alignments: list[Alignment], results: list[IndicatorResult], achievement_type: str,
                issuer: dict, criteria_url: str | None = None) -> dict:
    """The Achievement: the badge class with its criteria, alignments and the rubric behind each result."""
    data = {
        "id": url,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": name,
        "description": description,
        "criteria": {"id": criteria_url or url, "narrative": criteria},
        "image": {"id": image_url, "type": "Image"},
        "creator": issuer,
        "tag": list(tags),
        "alignment": [_alignment(a) for a in alignments],
    }
    if results:
        data["resultDescription"] = [{
            "id": f"{url}#result-{r.indicator_id}",
            "type": ["ResultDescription"],
            "name": f"{r.indicator_id}: {r.statement}",
            "resultType": "RubricCriterionLevel",
            "requiredLevel": f"{url}#result-{r.indicator_id}-"
                             f"{next(level.id for level in r.levels if level.value == r.required_value)}",
            "alignment": [_alignment(r.alignment)],
            "rubricCriterionLevel": [{
                "id": f"{url}#result-{r.indicator_id}-{level.id}",
                "type": ["RubricCriterionLevel"],
                "name": level.label,
                "description": level.descriptor,
                "level": str(level.value),
            } for level in r.levels],
        } for r in results]
    return data


def credential(credential_id: str, *, issuer_did: str, issuer: IssuerInfo, name: str, achievement_data: dict,
               email: str, salt: str, valid_from: datetime, valid_until: datetime | None,
               results: list[IndicatorResult], status_list_url: str, status_index: int,
               evidence: list[EvidenceItem], endorsements: list[dict] | None = None) -> dict:
    """The unsigned OpenBadgeCredential for one earner, with the signed EndorsementCredentials it carries."""
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityHash": hash_email(email, salt),
                        "identityType": "emailAddress", "hashed": True, "salt": salt}],
        "achievement": achievement_data,
    }
    if results:
        subject["result"] = [{
            "type": ["Result"],
            "resultDescription": f"{achievement_data['id']}#result-{r.indicator_id}",
            "achievedLevel": f"{achievement_data['id']}#result-{r.indicator_id}-"
                             f"{next(level.id for level in r.levels if level.value == r.achieved_value)}",
        } for r in results]
    data = {
        "@context": [CREDENTIALS_V2, OB_V3],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile(issuer_did, issuer),
        "validFrom": iso(valid_from),
        "name": name,
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{status_list_url}#{status_index % STATUS_LIST_BITS}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index % STATUS_LIST_BITS),
            "statusListCredential": status_list_url,
        },
    }
    if valid_until is not None:
        data["validUntil"] = iso(valid_until)
    if evidence:
        data["evidence"] = [{"id": e.url, "type": ["Evidence"], "name": e.name, "narrative": e.narrative}
                            for e in evidence]
    if endorsements:
        data["endorsement"] = list(endorsements)
    return data


@dataclass(frozen=True)
class Endorser:
    """Who wrote an endorsement, as they described themselves, and how the issuer reached them."""

    name: str
    role: str
    organisation: str = ""

    def describe(self) -> str:
        """"Name, role, organisation" (the organisation only when given)."""
        return ", ".join(part for part in (self.name, self.role, self.organisation) if part)


def endorsement_credential(credential_id: str, *, issuer_did: str, issuer: IssuerInfo, subject_id: str,
                           badge_name: str, earner_name: str, endorser: Endorser, comment: str,
                           written_at: datetime, reached_by: str) -> dict:
    """An unsigned Open Badges 3.0 EndorsementCredential that the issuer signs on the endorser's behalf.

    Its subject is the endorsed credential (``subject_id``), its endorsementComment the endorser's
    words exactly; its name and description say who wrote it and how they were reached, since the
    proof can only say who signed it.
    """
    return {
        "@context": [CREDENTIALS_V2, OB_V3],
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": profile(issuer_did, issuer),
        "validFrom": iso(written_at),
        "name": f"{endorser.name} endorses {earner_name}’s badge “{badge_name}”",
        "description": (f"Written by {endorser.describe()}, who was reached {reached_by}. {issuer.name} signs it "
                        f"on their behalf: the signature vouches that these words came through that link, "
                        f"not for who wrote them."),
        "credentialSubject": {
            "id": subject_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }


def encode_status_list(set_bits: set[int], size: int = STATUS_LIST_BITS) -> str:
    """A bitstring (index 0 the most significant bit of the first byte), gzipped, as 'u' + base64url."""
    raw = bytearray(size // 8)
    for index in set_bits:
        raw[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list always encodes to the same text
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(raw), mtime=0)).decode("ascii").rstrip("=")


def status_bit(encoded: str, index: int) -> bool:
    """Whether bit ``index`` is set in an encoded status list."""
    if not encoded.startswith("u"):
        raise ValueError("the encoded list is not base64url multibase ('u')")
    data = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    if index // 8 >= len(raw):
        raise ValueError("status list index out of range")
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(url: str, *, issuer_did: str, revoked: set[int], valid_from: datetime) -> dict:
    """The unsigned BitstringStatusListCredential for revocation."""
    return {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(revoked),
        },
    }
