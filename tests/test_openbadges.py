"""Open Badges building blocks without an app: keys, proofs, status lists, baking, hashing."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lms.domain.openbadges import baking, dataintegrity, ob2, ob3

ROOT = Path(__file__).resolve().parent.parent
WHEN = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def credential(did: str) -> dict:
    issuer = ob2.IssuerInfo("Test issuer", "https://issuer.example", "badges@issuer.example",
                            "https://issuer.example/logo.png")
    achievement = ob3.achievement(
        "https://issuer.example/badges/classes/COM", name="Communication", description="d", criteria="c",
        image_url="https://issuer.example/c.png", tags=("mentoring",), alignments=[], results=[],
        achievement_type="Competency", issuer=ob3.profile(did, issuer))
    return ob3.credential("urn:uuid:00000000-0000-4000-8000-000000000001", issuer_did=did, issuer=issuer,
                          name="Communication", achievement_data=achievement, email="A@Example.org", salt="s1",
                          valid_from=WHEN, valid_until=None, results=[],
                          status_list_url="https://issuer.example/badges/status/0", status_index=7, evidence=[])


def test_did_key_round_trip():
    key = dataintegrity.new_private_key()
    did = dataintegrity.did_key(key.public_key())
    assert did.startswith("did:key:z6Mk")
    resolved = dataintegrity.resolve_did_key(f"{did}#{did[8:]}")
    assert resolved.public_bytes_raw() == key.public_key().public_bytes_raw()
    with pytest.raises(dataintegrity.ProofError):
        dataintegrity.resolve_did_key("did:web:example.org#key-1")


def test_a_signed_credential_verifies_and_any_change_breaks_it():
    key = dataintegrity.new_private_key()
    did = dataintegrity.did_key(key.public_key())
    signed = dataintegrity.sign(credential(did), key, f"{did}#{did[8:]}", created=WHEN)
    proof = signed["proof"][0]
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof", "eddsa-rdfc-2022", "assertionMethod")
    assert dataintegrity.verify(signed) == proof
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    with pytest.raises(dataintegrity.ProofError, match="signature does not match"):
        dataintegrity.verify(tampered)
    other = dataintegrity.new_private_key()
    forged = dataintegrity.sign(credential(did), other, f"{did}#{did[8:]}")
    with pytest.raises(dataintegrity.ProofError):
        dataintegrity.verify(forged)


def test_undefined_terms_are_refused_before_signing():
    key = dataintegrity.new_private_key()
    did = dataintegrity.did_key(key.public_key())
    document = credential(did)
    document["credentialSubject"]["favouriteColour"] = "blue"
    assert "favouriteColour" in " ".join(dataintegrity.dropped_terms(document))
    with pytest.raises(dataintegrity.ProofError, match="not defined"):
        dataintegrity.sign(document, key, f"{did}#{did[8:]}")


def test_contexts_are_never_fetched():
    with pytest.raises(dataintegrity.ProofError, match="unknown JSON-LD context"):
        dataintegrity.document_loader("https://evil.example/context.json")


def test_status_list_bits_are_most_significant_first_and_big_enough():
    encoded = ob3.encode_status_list({0, 9, 131_071})
    assert encoded.startswith("u")
    assert ob3.status_bit(encoded, 0) and ob3.status_bit(encoded, 9) and ob3.status_bit(encoded, 131_071)
    assert not ob3.status_bit(encoded, 1) and not ob3.status_bit(encoded, 8)
    import base64
    import gzip
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=="))
    assert len(raw) == 16 * 1024 and raw[0] == 0x80 and raw[1] == 0x40


def test_recipient_hash_uses_the_lowercased_email():
    import hashlib
    expected = "sha256$" + hashlib.sha256(b"teacher@school.example" + b"salty").hexdigest()
    assert ob2.hash_email(" Teacher@School.Example ", "salty") == expected


def test_a_forged_png_or_svg_is_read_like_a_genuine_one():
    """The verifier sees what an attacker baked; whether it is ours is decided by the keys, not the image."""
    cred = json.dumps({"type": ["VerifiableCredential", "OpenBadgeCredential"]})
    png_bytes = baking.bake_png((ROOT / "badges" / "art" / "COM.png").read_bytes(), None, cred)
    assert baking.unbake(png_bytes) == baking.Unbaked(None, cred)


def test_a_png_carries_both_versions_and_each_svg_one():
    assertion = json.dumps({"id": "https://issuer.example/badges/assertions/1", "type": "Assertion"})
    cred = json.dumps({"type": ["VerifiableCredential", "OpenBadgeCredential"], "note": "<&]]>"})
    png_bytes = baking.bake_png((ROOT / "badges" / "art" / "COM.png").read_bytes(), assertion, cred)
    assert png_bytes.startswith(baking.PNG_SIGNATURE)
    assert baking.unbake(png_bytes) == baking.Unbaked(assertion, cred)
    artwork = (ROOT / "badges" / "art" / "COM.svg").read_bytes()
    assert baking.unbake(baking.bake_svg2(artwork, assertion)) == baking.Unbaked(assertion, None)
    svg3 = baking.bake_svg3(artwork, cred)
    assert json.loads(baking.unbake(svg3).ob3) == json.loads(cred)  # "]]>" survives, escaped as JSON
    assert baking.unbake(svg3).ob2 is None


def test_the_3_0_svg_is_laid_out_as_the_specification_shows():
    from xml.dom.minidom import parseString

    svg3 = baking.bake_svg3((ROOT / "badges" / "art" / "COM.svg").read_bytes(), json.dumps({"a": "b"}))
    root = parseString(svg3).documentElement
    assert root.tagName == "svg" and root.getAttribute("xmlns:openbadges") == "https://purl.imsglobal.org/ob/v3p0"
    first = next(n for n in root.childNodes if n.nodeType == n.ELEMENT_NODE)
    assert first.tagName == "openbadges:credential" and not first.hasAttribute("xmlns:openbadges")
    assert [n.nodeType for n in first.childNodes] == [first.CDATA_SECTION_NODE]
    assert json.loads(first.firstChild.data) == {"a": "b"}


def test_unbaking_rejects_what_is_not_a_badge_image():
    with pytest.raises(baking.BakingError):
        baking.unbake(b"GIF89a not a badge")
    with pytest.raises(baking.BakingError):
        baking.unbake(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><svg>&a;</svg>')


def test_the_canonical_proof_configuration_is_the_same_as_canonicalising_it_whatever_the_time():
    from lms.domain.openbadges import dataintegrity
    for created in ("2026-12-02T04:40:00Z", "1999-12-31T23:59:59Z", "2030-06-15T10:00:01Z", "not a time"):
        config = {"@context": [dataintegrity.CREDENTIALS_V2, dataintegrity.OB_V3], "type": "DataIntegrityProof",
                  "cryptosuite": dataintegrity.CRYPTOSUITE, "created": created,
                  "verificationMethod": "did:key:z6MkExample#z6MkExample", "proofPurpose": "assertionMethod"}
        assert dataintegrity.canonical_proof_config(config) == dataintegrity.canonicalize(config)
