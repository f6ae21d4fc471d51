"""Verifying Open Badges 2.0 assertions and 3.0 credentials, trusting nothing but the data and the keys.

Documents are fetched through a function the caller supplies (``fetch(url) -> (status, dict|None)``),
so the caller decides what may be fetched (this app resolves only its own URLs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..dates import parse_iso
from . import dataintegrity, ob3
from .baking import BakingError, unbake
from .ob2 import hash_email

Fetch = Callable[[str], tuple[int, dict | None]]
OB2, OB3 = "Open Badges 2.0", "Open Badges 3.0"
NOT_ISSUED_HERE = "not_issued_here"


@dataclass(frozen=True)
class OwnIssuer:
    """The only issuer a verifier vouches for: its name, its keys (current and retired) and its URLs.

    A credential counts as valid only when one of ``keys`` signed it; the issuer is then named from
    this profile, never from what the credential says about itself.
    """

    name: str
    keys: Mapping[str, Ed25519PublicKey]  # verification method id -> public key
    dids: frozenset[str]
    owns_url: Callable[[str], bool]

    def resolve_key(self, method: str) -> Ed25519PublicKey:
        """The public key of one of this issuer's verification methods; ProofError for any other."""
        key = self.keys.get(method)
        if key is None:
            raise dataintegrity.ProofError(f"{method or 'the proof'} is not a key of {self.name}")
        return key


@dataclass
class Verification:
    """The outcome, in words a person can act on."""

    kind: str = ""
    valid: bool = False
    status: str = "invalid"  # valid, revoked, expired or invalid
    badge_name: str = ""
    badge_url: str = ""
    issuer_name: str = ""
    issuer_id: str = ""
    recipient: str = ""
    recipient_matches: bool | None = None
    issued_on: str = ""
    expires: str = ""
    revocation_reason: str = ""
    revoked_on: str = ""  # known when the issuer is this app
    subject_id: str = ""  # the assertion's URL or the credential's id
    endorsements: list[dict] = field(default_factory=list)  # {"name", "comment"} of each signed endorsement
    superseded_by: str = ""  # the page of the badge that replaces this one (known when the issuer is this app)
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def not_issued_here(self, problem: str) -> "Verification":
        """Record that someone else issued (or claims to have issued) it: never valid here."""
        self.problems.append(problem)
        self.valid, self.status, self.issuer_name = False, NOT_ISSUED_HERE, ""
        return self

    def fail(self, problem: str) -> "Verification":
        """Record why it is not valid."""
        self.problems.append(problem)
        self.valid, self.status = False, "invalid"
        return self

    def summary(self) -> str:
        """One sentence: valid or not, and why."""
        newer = f" A newer badge replaces it: {self.superseded_by}." if self.superseded_by else ""
        if self.status == "valid":
            who = f" to {self.recipient}" if self.recipient else ""
            return f"Valid: “{self.badge_name}” issued by {self.issuer_name}{who} on {self.issued_on[:10]}.{newer}"
        if self.status == "revoked":
            reason = f" Reason: {self.revocation_reason}" if self.revocation_reason else ""
            when = f" on {self.revoked_on[:10]}" if self.revoked_on else ""
            return f"Revoked: “{self.badge_name}” was withdrawn by {self.issuer_name}{when}.{reason}{newer}"
        if self.status == "expired":
            return f"Expired: “{self.badge_name}” was valid until {self.expires[:10]}.{newer}"
        if self.status == NOT_ISSUED_HERE:
            return ("Not issued here: " + "; ".join(self.problems) + ". This page vouches only for badges this "
                    "programme signed; ask the issuer named in the badge to verify it.")
        return "Not valid: " + ("; ".join(self.problems) or "this is not an Open Badge.")


def verify_anything(data: bytes | str, fetch: Fetch, email: str | None = None, now: datetime | None = None,
                    issuer: OwnIssuer | None = None) -> Verification:
    """Verify a baked PNG/SVG, a JSON assertion or credential, or a URL (resolved by ``fetch``)."""
    if isinstance(data, bytes):
        stripped = data.lstrip()
        if stripped.startswith(b"{") or stripped.startswith(b"http"):
            data = data.decode("utf-8", errors="replace")
        else:
            try:
                baked = unbake(data)
            except BakingError as exc:
                return Verification().fail(str(exc))
            if baked.ob3:
                return verify_anything(baked.ob3, fetch, email, now, issuer)
            if baked.ob2:
                return verify_anything(baked.ob2, fetch, email, now, issuer)
            return Verification().fail("the image carries no Open Badge")
    text = data.strip()
    if text.startswith(("http://", "https://")):
        if issuer is not None and not issuer.owns_url(text):
            return Verification(issuer_id=urlsplit(text).netloc).not_issued_here(
                f"{text} is not an address of {issuer.name}")
        status, document = fetch(text)
        if document is None:
            return Verification().fail(f"nothing to verify at {text} (HTTP {status})")
        return verify_document(document, fetch, email, now, fetched_status=status, issuer=issuer)
    try:
        document = json.loads(text)
    except ValueError:
        return Verification().fail("the text is not JSON, a URL or a badge image")
    if not isinstance(document, dict):
        return Verification().fail("the JSON is not an object")
    return verify_document(document, fetch, email, now, issuer=issuer)


def verify_document(document: dict, fetch: Fetch, email: str | None = None, now: datetime | None = None,
                    fetched_status: int = 200, issuer: OwnIssuer | None = None) -> Verification:
    """Verify a parsed 2.0 assertion or 3.0 credential."""
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        return verify_ob3(document, fetch, email, now, issuer)
    if "Assertion" in types or document.get("revoked") is True:
        return verify_ob2(document, fetch, email, now, fetched_status, issuer)
    return Verification().fail("the JSON is neither an Open Badges 2.0 assertion nor a 3.0 credential")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def verify_ob2(assertion: dict, fetch: Fetch, email: str | None = None, now: datetime | None = None,
               fetched_status: int = 200, issuer: OwnIssuer | None = None) -> Verification:
    """Hosted verification: the assertion as its issuer serves it now, its badge class and issuer."""
    result = Verification(kind=OB2)
    url = assertion.get("id")
    result.subject_id = str(url or "")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return result.fail("the assertion has no hosted URL to check it against")
    if issuer is not None and not issuer.owns_url(url):
        result.issuer_id = urlsplit(url).netloc
        return result.not_issued_here(f"its hosted assertion is at {url}, not at an address of {issuer.name}")
    status, hosted = fetch(url)
    if hosted is None:
        return result.fail(f"the issuer does not serve this assertion (HTTP {status})")
    if status == 410 or hosted.get("revoked") is True:
        result.status, result.revocation_reason = "revoked", str(hosted.get("revocationReason", ""))
        _describe_ob2(result, assertion, fetch)
        if issuer is not None:
            result.issuer_name = issuer.name
        return result
    if hosted.get("id") != url:
        return result.fail("the hosted assertion's id is not the URL it is served from")
    result.checks.append("The issuer serves this assertion at its own URL.")
    _describe_ob2(result, hosted, fetch)
    if result.problems:
        return result
    if issuer is not None:
        result.issuer_name = issuer.name
    recipient = hosted.get("recipient") or {}
    if email:
        identity = recipient.get("identity", "")
        expected = hash_email(email, recipient.get("salt", "")) if recipient.get("hashed") else email.strip().lower()
        result.recipient_matches = identity.lower() == expected.lower()
        result.recipient = email.strip().lower() if result.recipient_matches else ""
        if not result.recipient_matches:
            return result.fail(f"it was not issued to {email.strip()}")
        result.checks.append(f"It was issued to {email.strip().lower()}.")
    result.issued_on = str(hosted.get("issuedOn", ""))
    expires = parse_iso(hosted.get("expires"), naive_is_utc=True)
    if expires is not None:
        result.expires = expires.isoformat()
        if expires <= _now(now):
            result.status = "expired"
            return result
    result.valid, result.status = True, "valid"
    return result


def _describe_ob2(result: Verification, assertion: dict, fetch: Fetch) -> None:
    badge_url = assertion.get("badge")
    if not isinstance(badge_url, str):
        if assertion.get("revoked") is not True:
            result.fail("the assertion names no badge class")
        return
    status, badge = fetch(badge_url)
    if badge is None or badge.get("type") != "BadgeClass":
        result.fail(f"its badge class cannot be retrieved (HTTP {status})")
        return
    result.badge_name, result.badge_url = str(badge.get("name", "")), badge_url
    issuer_url = badge.get("issuer")
    status, issuer = fetch(issuer_url) if isinstance(issuer_url, str) else (0, None)
    if issuer is None or issuer.get("type") not in ("Issuer", "Profile"):
        result.fail("its issuer profile cannot be retrieved")
        return
    result.issuer_name, result.issuer_id = str(issuer.get("name", "")), issuer_url
    if urlsplit(issuer_url).netloc != urlsplit(str(assertion.get("id", ""))).netloc:
        result.fail("the issuer is not on the same host as the assertion")


def verify_ob3(credential: dict, fetch: Fetch, email: str | None = None, now: datetime | None = None,
               issuer: OwnIssuer | None = None) -> Verification:
    """Check the proof, the issuer, the dates, the revocation status and (if given) the recipient.

    With ``issuer``, only a proof by one of its keys counts, and the issuer is named from its profile.
    """
    result = Verification(kind=OB3, subject_id=str(credential.get("id", "")))
    claimed = credential.get("issuer")
    issuer_id = claimed.get("id") if isinstance(claimed, dict) else claimed
    result.issuer_id = str(issuer_id or "")
    result.issuer_name = str(claimed.get("name", issuer_id)) if isinstance(claimed, dict) else str(issuer_id)
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    result.badge_name, result.badge_url = str(achievement.get("name", "")), str(achievement.get("id", ""))
    result.issued_on = str(credential.get("validFrom") or credential.get("issuanceDate") or "")
    resolve_key = dataintegrity.resolve_did_key
    if issuer is not None:
        proofs = credential.get("proof")
        proof = (proofs[0] if proofs else {}) if isinstance(proofs, list) else proofs
        method = proof.get("verificationMethod") if isinstance(proof, dict) else None
        method = method if isinstance(method, str) else ""
        if not isinstance(issuer_id, str) or issuer_id not in issuer.dids:
            return result.not_issued_here(f"its issuer is {issuer_id or 'not named'}, not {issuer.name}")
        if method not in issuer.keys:
            return result.not_issued_here(f"it names {issuer_id} as its issuer but was signed by "
                                          f"{method or 'no key'}, not by a key of {issuer.name}")
        resolve_key = issuer.resolve_key
    try:
        proof = dataintegrity.verify(credential, resolve_key)
    except dataintegrity.ProofError as exc:
        return result.fail(f"the signature does not verify: {exc}")
    if str(proof.get("verificationMethod", "")).split("#")[0] != issuer_id:
        return result.fail("the credential was signed by a key that does not belong to its issuer")
    if issuer is not None:
        result.issuer_name = issuer.name
    result.checks.append("The signature is valid and belongs to the issuer.")
    problem = _check_endorsements(result, credential, resolve_key)
    if problem:
        return result.fail(problem)
    moment = _now(now)
    valid_from = parse_iso(credential.get("validFrom"), naive_is_utc=True)
    if valid_from is not None and valid_from > moment:
        return result.fail("the credential is not valid yet")
    if email:
        identities = subject.get("identifier") or []
        result.recipient_matches = any(
            i.get("identityHash", "").lower() == hash_email(email, i.get("salt", "")).lower()
            for i in identities if isinstance(i, dict) and i.get("hashed"))
        if not result.recipient_matches:
            return result.fail(f"it was not issued to {email.strip()}")
        result.recipient = email.strip().lower()
        result.checks.append(f"It was issued to {result.recipient}.")
    status = credential.get("credentialStatus")
    if status:
        revoked, problem = _revoked(status, issuer_id, fetch, resolve_key, issuer)
        if problem:
            return result.fail(problem)
        result.checks.append("The issuer's revocation list was checked.")
        if revoked:
            result.status = "revoked"
            return result
    valid_until = parse_iso(credential.get("validUntil"), naive_is_utc=True)
    if valid_until is not None:
        result.expires = valid_until.isoformat()
        if valid_until <= moment:
            result.status = "expired"
            return result
    result.valid, result.status = True, "valid"
    return result


def _check_endorsements(result: Verification, credential: dict, resolve_key) -> str:
    """Each embedded EndorsementCredential must carry its own valid proof; returns the problem, if any."""
    endorsements = credential.get("endorsement") or []
    if not isinstance(endorsements, list):
        return "its endorsements are not a list"
    for item in endorsements:
        types = item.get("type") if isinstance(item, dict) else None
        if not isinstance(types, list) or "EndorsementCredential" not in types:
            return "one of its endorsements is not an EndorsementCredential"
        try:
            dataintegrity.verify(item, resolve_key)
        except dataintegrity.ProofError as exc:
            return f"the signature of the endorsement “{item.get('name', '')}” does not verify: {exc}"
        subject = item.get("credentialSubject") or {}
        result.endorsements.append({"name": str(item.get("name", "")), "description": str(item.get("description", "")),
                                    "comment": str(subject.get("endorsementComment", ""))})
    if endorsements:
        count = len(endorsements)
        result.checks.append(f"{count} endorsement{'s' if count != 1 else ''}, each with a valid signature.")
    return ""


def _revoked(status: dict, issuer_id, fetch: Fetch, resolve_key, issuer: OwnIssuer | None) -> tuple[bool, str]:
    if status.get("type") != "BitstringStatusListEntry" or status.get("statusPurpose") != "revocation":
        return False, "its status entry is not a BitstringStatusListEntry for revocation"
    url = status.get("statusListCredential")
    code, listing = fetch(url) if isinstance(url, str) else (0, None)
    if listing is None:
        return False, f"the issuer's status list cannot be retrieved (HTTP {code})"
    try:
        dataintegrity.verify(listing, resolve_key)
    except dataintegrity.ProofError as exc:
        return False, f"the status list's signature does not verify: {exc}"
    list_issuer = listing.get("issuer")
    list_issuer = list_issuer.get("id") if isinstance(list_issuer, dict) else list_issuer
    # After a key rotation the list is signed by the current key: any of our own DIDs will do here.
    if list_issuer != issuer_id and not (issuer is not None and list_issuer in issuer.dids):
        return False, "the status list was not issued by the credential's issuer"
    try:
        index = int(status.get("statusListIndex"))
        return ob3.status_bit(listing["credentialSubject"]["encodedList"], index), ""
    except (TypeError, ValueError, KeyError, OSError) as exc:
        return False, f"the status list cannot be read: {exc}"
