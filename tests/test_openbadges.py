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


# --- canonicalisation: byte for byte what PyLD's own jsonld.normalize gives -----------------------------

def pyld_normalize(document) -> str:
    """PyLD's full URDNA2015 normalisation, as a verifier using PyLD alone would compute it: its own
    processor, no cache shared with ours (a fresh resolver, and a copy of each context loaded)."""
    from pyld import jsonld
    from pyld.context_resolver import ContextResolver

    def loader(url, options=None):
        loaded = dataintegrity.document_loader(url, options)
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(loaded["document"])}

    return jsonld.normalize(copy.deepcopy(document), {
        "documentLoader": loader, "contextResolver": ContextResolver({}, loader),
        "algorithm": "URDNA2015", "format": "application/n-quads"})


def pyld_signed_data(signed: dict) -> bytes:
    """What an eddsa-rdfc-2022 proof signs, computed with pyld_normalize."""
    import hashlib
    proof = signed["proof"][0]
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    config = {"@context": unsigned["@context"], **{k: v for k, v in proof.items() if k != "proofValue"}}
    return (hashlib.sha256(pyld_normalize(config).encode("utf-8")).digest()
            + hashlib.sha256(pyld_normalize(unsigned).encode("utf-8")).digest())


def assert_signed_over_pyld_normalisation(signed: dict) -> None:
    """The proof's signature verifies over the hashes of PyLD's own normalisation of the document and
    its proof configuration."""
    import base58
    proof = signed["proof"][0]
    key = dataintegrity.resolve_did_key(proof["verificationMethod"])
    key.verify(base58.b58decode(proof["proofValue"][1:]), pyld_signed_data(signed))  # raises if not


def rich_credential(key, did: str) -> dict:
    """A credential with everything ours can carry: rubric results, alignments, evidence (with text that
    N-Quads must escape), an expiry and a signed endorsement."""
    issuer = ob2.IssuerInfo("Test issuer", "https://issuer.example", "badges@issuer.example",
                            "https://issuer.example/logo.png", "Issues “badges”\nwith care")
    alignment = ob2.Alignment("Listens actively", "https://issuer.example/framework/COM.1", "Listens \"well\"",
                              "MCF", "COM.1")
    levels = tuple(ob3.RubricLevel(f"L{n}", n, label, f"Descriptor {n}: \\ back\tslash") for n, label in
                   ((1, "Developing"), (2, "Proficient"), (3, "Exemplary")))
    results = [ob3.IndicatorResult("COM.1", "Listens actively", alignment, levels, 3, 2),
               ob3.IndicatorResult("COM.2", "Asks open questions", alignment, levels, 2, 2)]
    url = "https://issuer.example/badges/classes/COM"
    achievement = ob3.achievement(
        url, name="Communication", description="d", criteria="Meets the rule.\n\n- every indicator",
        image_url="https://issuer.example/c.png", tags=("mentoring", "communication"), alignments=[alignment],
        results=results, achievement_type="Competency", issuer=ob3.profile(did, issuer),
        criteria_url=f"{url}/criteria")
    endorsement = dataintegrity.sign(ob3.endorsement_credential(
        "urn:uuid:00000000-0000-4000-8000-0000000000e1", issuer_did=did, issuer=issuer, subject_id=url,
        badge_name="Communication", earner_name="Test Teacher",
        endorser=ob3.Endorser("Devika Ramsamy", "Head of department", "Royal College"),
        comment="She listens.\nAnd <b>asks</b> “good” questions.", written_at=WHEN, reached_by="by email"),
        key, f"{did}#{did[8:]}", created=WHEN)
    evidence = [ob2.EvidenceItem("https://issuer.example/b/abc#evidence-1", "Stance", "Words \"quoted\"\r\nand é"),
                ob2.EvidenceItem("https://issuer.example/b/abc#evidence-2", "Role log", "")]
    return ob3.credential("urn:uuid:00000000-0000-4000-8000-000000000002", issuer_did=did, issuer=issuer,
                          name="Communication", achievement_data=achievement, email="a@example.org", salt="s2",
                          valid_from=WHEN, valid_until=datetime(2029, 11, 1, tzinfo=timezone.utc), results=results,
                          status_list_url="https://issuer.example/badges/status/0", status_index=131_079,
                          evidence=evidence, endorsements=[endorsement])


def test_canonical_n_quads_are_byte_for_byte_pyld_s_full_normalisation():
    key = dataintegrity.new_private_key()
    did = dataintegrity.did_key(key.public_key())
    rich = rich_credential(key, did)
    documents = [
        credential(did),
        rich,
        rich["endorsement"][0],
        {k: v for k, v in rich["endorsement"][0].items() if k != "proof"},
        ob3.status_list_credential("https://issuer.example/badges/status/0", issuer_did=did, revoked={3, 9},
                                   valid_from=WHEN),
        # A context of the document's own (not one of ours) in the middle: processed as PyLD does.
        {**credential(did), "credentialSubject": {
            **credential(did)["credentialSubject"],
            "@context": {"note": "https://issuer.example/vocab#note"}, "note": "inline"}},
        [credential(did), rich],
    ]
    dataintegrity._processed.clear()  # from nothing remembered, and then with everything remembered
    for _ in range(2):
        for document in documents:
            before = copy.deepcopy(document)
            assert dataintegrity.canonicalize(document) == pyld_normalize(document)
            assert document == before  # the document is left as it was
    assert dataintegrity._processed


def test_signatures_are_byte_for_byte_those_over_pyld_s_normalisation():
    import base58
    key = dataintegrity.new_private_key()
    did = dataintegrity.did_key(key.public_key())
    for document in (credential(did), rich_credential(key, did)):
        signed = dataintegrity.sign(document, key, f"{did}#{did[8:]}", created=WHEN)
        # Ed25519 is deterministic: the same bytes signed give the same signature.
        expected = "z" + base58.b58encode(key.sign(pyld_signed_data(signed))).decode("ascii")
        assert signed["proof"][0]["proofValue"] == expected
        assert dataintegrity.verify(signed)["proofValue"] == expected
        tampered = copy.deepcopy(signed)
        tampered["evidence" if "evidence" in tampered else "name"] = "changed"
        with pytest.raises(dataintegrity.ProofError, match="signature does not match"):
            dataintegrity.verify(tampered)
