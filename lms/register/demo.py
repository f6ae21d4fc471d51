"""Demo data for the register: the demo learner lists themselves with their badges public."""

from __future__ import annotations

from ..badges.models import BadgeAssertion
from ..extensions import db
from ..models import User
from . import services


def seed_register(learner: User | None) -> None:
    """List the demo learner in the register (idempotent): school, region, badges public."""
    if learner is None or learner.in_register:
        return
    db.session.execute(db.update(BadgeAssertion).where(BadgeAssertion.user_id == learner.id,
                                                       BadgeAssertion.revoked_at.is_(None)).values(is_public=True))
    services.update_profile(learner, services.ProfileChange(learner.name, "Royal College Curepipe", "Curepipe", True))
