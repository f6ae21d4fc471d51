"""The issuer's Ed25519 signing key, kept in instance/ and created on first use, and its key history.

The history (instance/issuer-key-history.json) lists the public keys used before a rotation, so
that credentials signed with them still verify here; their private keys are destroyed.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat,
                                                          load_pem_private_key)
from flask import current_app

from ..domain.openbadges import dataintegrity

KEY_FILE = "issuer-ed25519.pem"
HISTORY_FILE = "issuer-key-history.json"
_cache: dict[str, Ed25519PrivateKey] = {}


def issuer_key() -> Ed25519PrivateKey:
    """The signing key in instance/issuer-ed25519.pem (mode 0600), generated the first time it is needed."""
    path = Path(current_app.instance_path) / KEY_FILE
    cached = _cache.get(str(path))
    if cached is not None:
        return cached
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"{path} does not hold an Ed25519 private key") from None
    else:
        key = dataintegrity.new_private_key()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    _cache[str(path)] = key
    return key


def issuer_did() -> str:
    """The issuer's DID: ISSUER_DID when configured (did:web:...), else the did:key of the signing key."""
    configured = current_app.config.get("ISSUER_DID")
    return configured or dataintegrity.did_key(issuer_key().public_key())


def _method(did: str, multibase: str) -> str:
    # did:key names its one key by the key itself; a did:web names each key by it too, so that a
    # rotation adds a method instead of changing what an old id points to.
    return f"{did}#{multibase}"


def verification_method() -> str:
    """The current key's id within the issuer's DID document."""
    return _method(issuer_did(), dataintegrity.public_key_multibase(issuer_key().public_key()))


def _history_path() -> Path:
    return Path(current_app.instance_path) / HISTORY_FILE


def key_history() -> list[dict]:
    """Keys used before a rotation, oldest first: {publicKeyMultibase, did, retired_at}."""
    path = _history_path()
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """Every verification method of this issuer, now or before a rotation, with its public key."""
    configured = current_app.config.get("ISSUER_DID")
    entries = [(dataintegrity.public_key_multibase(issuer_key().public_key()), issuer_did())]
    entries += [(old["publicKeyMultibase"], old["did"]) for old in key_history()]
    methods: dict[str, Ed25519PublicKey] = {}
    for multibase, did in entries:
        key = dataintegrity.public_key_from_multibase(multibase)
        for owner in {did, "did:key:" + multibase, configured} - {None}:
            methods[_method(owner, multibase)] = key
    return methods


def trusted_dids() -> frozenset[str]:
    """The DIDs this issuer has signed as: the current one, the key's did:key, and earlier ones."""
    return frozenset(method.split("#")[0] for method in trusted_keys())


def rotate_key() -> str:
    """Retire the signing key (its public key goes to the history, the private key is destroyed) and
    make a new one; returns the new verification method."""
    old = issuer_key()
    history = key_history()
    history.append({"publicKeyMultibase": dataintegrity.public_key_multibase(old.public_key()),
                    "did": issuer_did(), "retired_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
    path = _history_path()
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(history, indent=2), encoding="utf-8")
    temporary.replace(path)
    key_path = Path(current_app.instance_path) / KEY_FILE
    key_path.unlink()
    _cache.pop(str(key_path), None)
    return verification_method()


def did_document() -> dict:
    """The DID document served at /.well-known/did.json when the issuer uses did:web: every key it
    has signed with, so credentials signed before a rotation still resolve."""
    did = issuer_did()
    methods = [m for m in trusted_keys() if m.startswith(did + "#")]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": m, "type": "Multikey", "controller": did, "publicKeyMultibase": m.split("#")[1]}
                               for m in methods],
        "assertionMethod": methods,
    }
