"""Issued badges (assertions): one per earner and badge class, ever."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import AccountToken
from ..extensions import db
from ..models import User, UTCDateTime, utcnow


def _class_field(context, field: str) -> str:
    """The badge class's current name or description, for an assertion inserted without one."""
    from ..content_store import catalogue

    badge = catalogue().badge_class(context.get_current_parameters()["badge_class_id"])
    return getattr(badge, field) if badge is not None else context.get_current_parameters()["badge_class_id"]


# A badge is live until it is revoked or superseded (an expired badge is still live: it can be renewed).
LIVE = "revoked_at IS NULL AND superseded_at IS NULL"


class BadgeAssertion(db.Model):
    """A badge issued to a learner: at most one live badge per (user, badge class), a partial unique index.

    A renewal (an expired badge) or a reissue (a revoked one) is a new assertion that names the one it
    supersedes; the old one keeps its record and is marked superseded. The integer id is also the
    credential's index in the revocation status list.
    """

    __tablename__ = "badge_assertions"
    __table_args__ = (
        Index("uq_badge_assertions_live", "user_id", "badge_class_id", unique=True,
              postgresql_where=text(LIVE), sqlite_where=text(LIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    badge_class_id: Mapped[str] = mapped_column(String(20))
    # The badge as it was issued: a class renamed later keeps this name and description on every page,
    # feed and credential of this assertion (lms.badges.services.badge_def). Set at issuance; when an
    # insert leaves them out, the class's name and description at that moment are taken.
    badge_name: Mapped[str] = mapped_column(String(200), default=lambda ctx: _class_field(ctx, "name"))
    badge_description: Mapped[str] = mapped_column(Text, default=lambda ctx: _class_field(ctx, "description"))
    # The email and salt at issuance: the recipient hash must never change afterwards.
    recipient_email: Mapped[str] = mapped_column(String(254))
    salt: Mapped[str] = mapped_column(String(64))
    achieved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_versions_json: Mapped[str] = mapped_column(Text, default="[]")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The signed 3.0 credential exactly as served; signed at issuance and again only when what it
    # carries changes (shared evidence, an endorsement). Each signing is a new version.
    credential_json: Mapped[str] = mapped_column(Text, default="")
    credential_version: Mapped[int] = mapped_column(Integer, default=0)
    credential_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The badge this one renews or reissues (one successor each), and when a newer one replaced this.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("badge_assertions.id", ondelete="SET NULL"),
                                                      unique=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    supersedes: Mapped[BadgeAssertion | None] = relationship(remote_side=[id], foreign_keys=[supersedes_id])

    @property
    def shared_version_ids(self) -> list[int]:
        """Evidence versions the earner chose to show with this badge."""
        return json.loads(self.shared_versions_json or "[]")

    def status(self, now: datetime | None = None) -> str:
        """"valid", "revoked" or "expired"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "valid"


class BadgeImage(db.Model):
    """A baked image of one credential version, made once when the credential is signed."""

    __tablename__ = "badge_images"
    __table_args__ = (UniqueConstraint("assertion_id", "form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[int] = mapped_column(ForeignKey("badge_assertions.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(8))  # png (2.0 and 3.0), svg2, svg3
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BadgeStatusList(db.Model):
    """A signed revocation status list, stored as served; re-signed only when a status in it changes.

    created_at is its validFrom: it exists before any credential that points to it is issued.
    """

    __tablename__ = "badge_status_lists"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document_json: Mapped[str] = mapped_column(Text)


# An endorsement's life: asked for by email, written by the endorser, approved by the earner (then it
# travels with the credential), or withdrawn by the earner at any point.
REQUESTED, RECEIVED, APPROVED, WITHDRAWN = "requested", "received", "approved", "withdrawn"
ENDORSEMENT_STATES = (REQUESTED, RECEIVED, APPROVED, WITHDRAWN)


class BadgeEndorsement(db.Model):
    """Someone who knows the earner's mentoring vouches for one badge, through an emailed single-use link.

    The link is an AccountToken (purpose "endorsement"); the statement is kept exactly as written.
    Approved, it is signed by this issuer on the endorser's behalf (credential_json) and embedded in
    the badge's 3.0 credential.
    """

    __tablename__ = "badge_endorsements"
    __table_args__ = (CheckConstraint(f"status IN {ENDORSEMENT_STATES!r}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    assertion_id: Mapped[int] = mapped_column(ForeignKey("badge_assertions.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("account_tokens.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=REQUESTED)
    endorser_email: Mapped[str] = mapped_column(String(254))
    # The name the earner gave when asking; the endorser's own name replaces it when they write.
    endorser_name: Mapped[str] = mapped_column(String(120), default="")
    endorser_role: Mapped[str] = mapped_column(String(80), default="")
    endorser_organisation: Mapped[str] = mapped_column(String(120), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credential_json: Mapped[str] = mapped_column(Text, default="")

    assertion: Mapped[BadgeAssertion] = relationship()
    token: Mapped[AccountToken | None] = relationship()

    @property
    def credential(self) -> dict | None:
        """The signed EndorsementCredential, once approved."""
        return json.loads(self.credential_json) if self.credential_json else None


class BadgeRenewal(db.Model):
    """Renewing an expired badge, or reissuing a revoked one: the evidence behind it is reopened, and
    when every piece is accepted again (and the achievement holds) a new assertion supersedes the old.

    ``versions_json`` lists [submission id, number of the accepted version reopened]: a piece counts as
    accepted again once a later version of that submission is accepted.
    """

    __tablename__ = "badge_renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[int] = mapped_column(ForeignKey("badge_assertions.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    versions_json: Mapped[str] = mapped_column(Text, default="[]")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_assertion_id: Mapped[int | None] = mapped_column(ForeignKey("badge_assertions.id", ondelete="SET NULL"))

    assertion: Mapped[BadgeAssertion] = relationship(foreign_keys=[assertion_id])
    new_assertion: Mapped[BadgeAssertion | None] = relationship(foreign_keys=[new_assertion_id])

    @property
    def pieces(self) -> list[tuple[int, int]]:
        """(submission id, reopened version number) for each piece of evidence behind the badge."""
        return [tuple(pair) for pair in json.loads(self.versions_json or "[]")]
