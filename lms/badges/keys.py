"""The issuer's Ed25519 signing key, kept in instance/ and created on first use."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat,
                                                          load_pem_private_key)
from flask import current_app

from ..domain.openbadges import dataintegrity

KEY_FILE = "issuer-ed25519.pem"
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


def verification_method() -> str:
    """The key's id within the issuer's DID document."""
    did = issuer_did()
    if did.startswith("did:key:"):
        return f"{did}#{did[len('did:key:'):]}"
    return f"{did}#key-1"


def did_document() -> dict:
    """The DID document served at /.well-known/did.json when the issuer uses did:web."""
    did = issuer_did()
    method = verification_method()
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": did,
                                "publicKeyMultibase": dataintegrity.public_key_multibase(issuer_key().public_key())}],
        "assertionMethod": [method],
    }
