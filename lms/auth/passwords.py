"""Password hashing with Argon2id (argon2-cffi); nothing hand-rolled."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the email is unknown, so that a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def use_cheap_hashing_for_tests() -> None:
    """Argon2id at its lowest cost, for the test suite only (PASSWORD_HASH_CHEAP); never in production."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password, with its own salt and parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; checks a dummy hash when there is no account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
