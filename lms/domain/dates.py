"""Reading ISO 8601 date-times from data files and credentials."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_iso(value: object, *, naive_is_utc: bool = False) -> datetime | None:
    """A timezone-aware datetime from ISO 8601 text ("Z" allowed); None when it is not one.

    A time without a zone is None, or read as UTC with ``naive_is_utc``.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc) if naive_is_utc else None
    return parsed
