"""Reading and writing the register; the one place that changes who is in it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from ..audit.services import record as record_event
from ..badges.models import BadgeAssertion
from ..content_store import catalogue
from ..extensions import db
from ..models import User

PAGE_SIZE = 25


class RegisterError(Exception):
    """A profile change that cannot be made; the message says what to do."""


@dataclass(frozen=True)
class ProfileChange:
    """What the person typed on their profile page."""

    name: str
    school: str
    region: str
    in_register: bool


def update_profile(user: User, change: ProfileChange) -> User:
    """Save name, school, region and the register choice; leaving the register takes effect at once."""
    name, school, region = change.name.strip(), change.school.strip(), change.region.strip()
    if not name:
        raise RegisterError("Give your name: it is how assessors' decisions and your badges address you.")
    if len(name) > 120 or len(school) > 200 or len(region) > 100:
        raise RegisterError("Keep the name under 120 characters, the school under 200 and the region under 100.")
    if change.in_register and not school:
        raise RegisterError("Give your school before joining the register: it is what visitors look for.")
    joined = change.in_register and not user.in_register
    left = user.in_register and not change.in_register
    user.name, user.school, user.region, user.in_register = name, school, region, change.in_register
    if change.in_register and not user.register_id:
        user.register_id = secrets.token_hex(6)
    if joined or left:
        record_event(user, "register.joined" if joined else "register.left", f"user:{user.id}")
    db.session.commit()
    return user


def public_badges_filter():
    """Badges a visitor may see: made public by the earner, not revoked, not replaced by a renewed one."""
    return db.and_(BadgeAssertion.is_public.is_(True), BadgeAssertion.revoked_at.is_(None),
                   BadgeAssertion.superseded_at.is_(None))


@dataclass(frozen=True)
class Search:
    """What a visitor searches the register for; every field optional."""

    name: str = ""
    badge_class_ids: tuple[str, ...] = ()
    region: str = ""


def search_for(name: str, competency: str, domain: str, region: str) -> Search:
    """The search a visitor asked for: a competency, or a domain (its badge or any of its competencies')."""
    framework = catalogue().framework
    badge_ids: tuple[str, ...] = ()
    if competency and framework.competency(competency):
        badge_ids = (competency,)
    elif domain and framework.domain(domain):
        badge_ids = (domain,) + tuple(c.id for c in framework.domain(domain).competencies)
    return Search(name.strip(), badge_ids, region.strip())


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def mentors(search: Search, page: int):
    """One page of opted-in mentors holding at least one public badge, by name (paginated in SQL)."""
    holds = db.select(BadgeAssertion.id).where(BadgeAssertion.user_id == User.id, public_badges_filter())
    if search.badge_class_ids:
        holds = holds.where(BadgeAssertion.badge_class_id.in_(search.badge_class_ids))
    query = db.select(User).where(User.in_register.is_(True), User.active.is_(True), holds.exists())
    if search.name:
        query = query.where(db.func.lower(User.name).like(_like(search.name), escape="\\"))
    if search.region:
        query = query.where(User.region == search.region)
    query = query.order_by(User.name, User.id).options(
        selectinload(User.role_rows))
    result = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    badges = badges_of([u.id for u in result.items])
    return result, badges


def badges_of(user_ids: list[int]) -> dict[int, list[BadgeAssertion]]:
    """The public badges of these people, in one query."""
    found: dict[int, list[BadgeAssertion]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        rows = db.session.execute(db.select(BadgeAssertion).where(
            BadgeAssertion.user_id.in_(user_ids), public_badges_filter())
            .order_by(BadgeAssertion.issued_at)).scalars()
        for assertion in rows:
            found[assertion.user_id].append(assertion)
    return found


def regions() -> list[str]:
    """Regions of the people in the register, for the search form."""
    return list(db.session.execute(db.select(User.region).where(User.in_register.is_(True), User.region != "")
                                   .distinct().order_by(User.region)).scalars())


def mentor(register_id: str) -> User | None:
    """The opted-in mentor with this handle; None for anyone who is not (or no longer) in the register."""
    return db.session.execute(db.select(User).where(User.register_id == register_id, User.in_register.is_(True),
                                                    User.active.is_(True))).scalar_one_or_none()
