"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite, and did:key identifiers for Ed25519 keys.

Canonicalisation is RDF Dataset Canonicalization (URDNA2015 / RDFC-1.0) by PyLD; signatures are
Ed25519 by the cryptography package; nothing cryptographic is written here.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld
from pyld.context_resolver import ContextResolver

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
LOCAL_CONTEXTS = {
    CREDENTIALS_V2: CONTEXT_DIR / "credentials-v2.jsonld",
    OB_V3: CONTEXT_DIR / "ob-v3p0-context-3.0.3.json",
}
CRYPTOSUITE = "eddsa-rdfc-2022"
ED25519_MULTICODEC = b"\xed\x01"


class ProofError(ValueError):
    """A document that cannot be signed or whose proof does not verify; the message says why."""


_loaded: dict[str, dict] = {}


def document_loader(url: str, options=None) -> dict:
    """Serve known contexts from disk; refuse everything else (no network, ever)."""
    if url not in LOCAL_CONTEXTS:
        raise ProofError(f"unknown JSON-LD context {url}: only {', '.join(LOCAL_CONTEXTS)} are accepted")
    if url not in _loaded:
        _loaded[url] = json.loads(LOCAL_CONTEXTS[url].read_text(encoding="utf-8"))
        _remember_contexts(_loaded[url])
    # "static": pyld then keeps the resolved context by URL across calls (and with it the active
    # contexts processed from it), instead of resolving the whole context again on every call.
    return {"contextUrl": None, "documentUrl": url, "document": _loaded[url], "tag": "static"}


_known_contexts: dict[int, object] = {}  # id -> every dict inside the packaged contexts (kept alive)
_resolved_known: dict[int, list] = {}


def _remember_contexts(node) -> None:
    if isinstance(node, dict):
        _known_contexts[id(node)] = node
        for value in node.values():
            _remember_contexts(value)
    elif isinstance(node, list):
        for value in node:
            _remember_contexts(value)


class _PackagedContextResolver(ContextResolver):
    """pyld's resolver, except that a scoped context from our packaged contexts is recognised by
    identity: pyld would otherwise canonicalise it to a cache key every time a typed node is
    expanded, which is most of the cost of signing or verifying a credential."""

    def resolve(self, active_ctx, context, base, cycles=None):
        if isinstance(context, dict) and _known_contexts.get(id(context)) is context:
            resolved = _resolved_known.get(id(context))
            if resolved is None:
                resolved = _resolved_known[id(context)] = super().resolve(active_ctx, context, base, cycles)
            return resolved
        return super().resolve(active_ctx, context, base, cycles)


def _options(**extra) -> dict:
    return {"documentLoader": document_loader,
            "contextResolver": _PackagedContextResolver(jsonld._resolved_context_cache, document_loader), **extra}


# Active contexts that processing a packaged context gave, by the active context it was processed
# against (pyld's own key, its '_uuid') and the packaged context. pyld caches these too, but misses
# for every type-scoped context: those do not propagate, so pyld processes them against a fresh copy
# of the active context with a new '_uuid', and builds every term definition again, for every typed
# node of every document. Bounded: documents brought to /verify may carry contexts of their own.
_processed: dict[tuple, tuple] = {}
_FROZEN = type(jsonld.freeze({}))  # what pyld makes of an active context it has finished: never changed
_PROCESSED_MAX = 256  # a credential, an endorsement and a status list need about 20


def _packaged_key(local_ctx):
    """What identifies a context from our packaged ones (a URL, a list of URLs, or a dict inside
    one, by identity); None for any other context."""
    if isinstance(local_ctx, str):
        return local_ctx if local_ctx in LOCAL_CONTEXTS else None
    if isinstance(local_ctx, list):
        keys = [_packaged_key(item) for item in local_ctx]
        return None if not keys or None in keys else tuple(keys)
    if isinstance(local_ctx, dict) and _known_contexts.get(id(local_ctx)) is local_ctx:
        return ("object", id(local_ctx))
    return None


class _Processor(jsonld.JsonLdProcessor):
    """pyld's processor, which remembers the active contexts it builds from our packaged contexts
    (see _processed) and keeps the expanded form of the document it canonicalises, with the terms
    that expansion dropped, so that one expansion serves both the check and the signature."""

    def __init__(self):
        super().__init__(on_property_dropped=self._dropped)
        self.dropped: list[str] = []
        self.expanded: list | None = None

    def _dropped(self, prop) -> None:
        self.dropped.append(str(prop))

    def expand(self, input_, options):
        self.expanded = super().expand(input_, options)
        return self.expanded

    def _process_context(self, active_ctx, local_ctx, options, override_protected=False, propagate=True,
                         validate_scoped=True, cycles=None):
        packaged = _packaged_key(local_ctx)
        uuid = active_ctx.get("_uuid") if isinstance(active_ctx, _FROZEN) else None
        if packaged is None or uuid is None:
            return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                            validate_scoped, cycles)
        key = (uuid, packaged, override_protected, propagate, validate_scoped, options.get("base"),
               options.get("processingMode"))
        known = _processed.get(key)
        if known is not None:
            return known[1]
        processed = super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                             validate_scoped, cycles)
        if isinstance(processed, _FROZEN):  # safe to hand out again
            if len(_processed) >= _PROCESSED_MAX:
                _processed.clear()
            _processed[key] = (active_ctx, processed)  # the active context kept alive with its key
        return processed


def canonicalize(document: dict | list) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    return _canonicalize(document)[0]


def _canonicalize(document: dict | list) -> tuple[str, _Processor]:
    processor = _Processor()
    try:
        return processor.normalize(document, _options(algorithm="URDNA2015", format="application/n-quads")), \
            processor
    except jsonld.JsonLdError as exc:
        raise ProofError(f"cannot canonicalise the document: {exc}") from None


def dropped_terms(document: dict) -> list[str]:
    """Properties and types the contexts do not define: canonicalisation would silently drop or
    mangle them, and verifiers would then reject the credential."""
    return _canonical_checked(document)[1]


def _canonical_checked(document: dict) -> tuple[str | None, list[str]]:
    """The canonical N-Quads of the document and the terms its expansion dropped (one expansion
    serves both the check and the signature); no N-Quads when it does not expand."""
    try:
        nquads, processor = _canonicalize(document)
    except ProofError as exc:
        return None, [f"({exc})"]
    dropped = processor.dropped

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for type_iri in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
                if ":" not in type_iri:
                    dropped.append(f"type {type_iri}")
            for key, value in node.items():
                if not key.startswith("@"):
                    walk(value)
                elif key in ("@graph", "@list", "@set"):
                    walk(value)

    walk(processor.expanded)
    return nquads, dropped


# --- keys and did:key -----------------------------------------------------------------------------

def new_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The key as Multikey publicKeyMultibase: 'z' + base58btc(0xed01 || 32-byte key)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_MULTICODEC + raw).decode("ascii")


def did_key(public_key: Ed25519PublicKey) -> str:
    """The did:key identifier of an Ed25519 public key."""
    return "did:key:" + public_key_multibase(public_key)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """Decode a publicKeyMultibase (or did:key suffix) back to an Ed25519 public key."""
    if not value.startswith("z"):
        raise ProofError("the key is not base58btc multibase (it should start with 'z')")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError:
        raise ProofError("the key is not valid base58") from None
    if raw[:2] != ED25519_MULTICODEC or len(raw) != 34:
        raise ProofError("the key is not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def resolve_did_key(verification_method: str) -> Ed25519PublicKey:
    """The public key a did:key verification method names (did:key:z...#z...)."""
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:"):
        raise ProofError(f"cannot resolve {did.split(':')[:2]}: only did:key is resolved offline")
    key = did[len("did:key:"):]
    if fragment and fragment != key:
        raise ProofError("the verification method's fragment does not match its did:key")
    return public_key_from_multibase(key)


# --- eddsa-rdfc-2022 ---------------------------------------------------------------------------------

# The canonical N-Quads of a proof configuration, by everything in it but its creation time. A proof
# configuration is one blank node whose properties each appear once, so its canonical form differs
# between two times only in the "created" literal (the lines sort by predicate before the literal):
# the form is computed once with a stand-in time, and the time put in its place. Bounded: proofs
# brought to /verify may carry anything.
_CREATED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_STAND_IN = "2000-01-01T00:00:00Z"
_proof_forms: dict[str, str] = {}


def canonical_proof_config(proof_config: dict) -> str:
    """canonicalize(proof_config), without expanding its contexts again for every new time."""
    created = proof_config.get("created")
    if not isinstance(created, str) or not _CREATED.fullmatch(created):
        return canonicalize(proof_config)
    try:
        key = json.dumps({k: v for k, v in proof_config.items() if k != "created"}, sort_keys=True)
    except (TypeError, ValueError):
        return canonicalize(proof_config)
    form = _proof_forms.get(key)
    if form is None:
        form = canonicalize({**proof_config, "created": _STAND_IN})
        if form.count(f'"{_STAND_IN}"') != 1:  # not the one literal expected: no shortcut
            return canonicalize(proof_config)
        if len(_proof_forms) >= 64:
            _proof_forms.clear()
        _proof_forms[key] = form
    return form.replace(f'"{_STAND_IN}"', f'"{created}"')


def _hash_data(canonical_document: str, proof_config: dict) -> bytes:
    proof_hash = hashlib.sha256(canonical_proof_config(proof_config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonical_document.encode("utf-8")).digest()
    return proof_hash + document_hash


def sign(document: dict, private_key: Ed25519PrivateKey, verification_method: str,
         created: datetime | None = None) -> dict:
    """A copy of ``document`` with an eddsa-rdfc-2022 DataIntegrityProof added (as a one-item array).

    Refuses a document with terms its contexts do not define, rather than sign something that
    verifiers would read differently.
    """
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    canonical, dropped = _canonical_checked(unsigned)
    if dropped:
        raise ProofError(f"terms not defined by the JSON-LD contexts: {', '.join(sorted(set(dropped)))}")
    created = (created or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    proof_config = {
        "@context": unsigned["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(canonical, proof_config))
    proof = {k: v for k, v in proof_config.items() if k != "@context"}
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    return {**unsigned, "proof": [proof]}


def verify(document: dict, resolve_key=resolve_did_key) -> dict:
    """Check the document's eddsa-rdfc-2022 proof; returns the proof, raises ProofError if it fails."""
    proofs = document.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not proofs:
        raise ProofError("the credential has no proof")
    proof = proofs[0]
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"unsupported proof: {proof.get('type')} / {proof.get('cryptosuite')}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof is not for assertionMethod")
    value = proof.get("proofValue", "")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("the proofValue is not base58btc multibase")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        raise ProofError("the proofValue is not valid base58") from None
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    proof_config = {"@context": unsigned.get("@context"),
                    **{k: v for k, v in proof.items() if k != "proofValue"}}
    public_key = resolve_key(proof.get("verificationMethod", ""))
    try:
        public_key.verify(signature, _hash_data(canonicalize(unsigned), proof_config))
    except InvalidSignature:
        raise ProofError("the signature does not match: the credential was changed or not signed by this key") \
            from None
    return proof
