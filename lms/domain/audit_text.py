"""The audit trail in sentences: what happened, said with people's names, never internal ids or JSON.

Plain functions over plain data: the caller looks up names (an erased person's pseudonym) and
passes them in; an action this module does not know still reads as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTCOME_WORDS = {"accepted": "accepted", "not_yet": "returned “not yet”"}
ROLE_WORDS = {"learner": "learner", "assessor": "assessor", "lead_assessor": "lead assessor",
              "programme_lead": "programme lead", "admin": "admin"}


@dataclass(frozen=True)
class EventFacts:
    """One audit event with the names it refers to already resolved."""

    action: str
    actor: str | None  # the person who acted; None: the system
    subject_person: str | None  # the person the event is about, when it is about one
    details: dict


def _roles(values) -> str:
    held = [str(v) for v in (values if isinstance(values, (list, tuple)) else [values])]
    order = list(ROLE_WORDS)
    held.sort(key=lambda r: order.index(r) if r in order else len(order))
    names = [ROLE_WORDS.get(r, r) for r in held]
    return ", ".join(names) or "no role"


def _unit(details: dict) -> str:
    title = details.get("unit_title") or details.get("unit")
    return f"“{title}”" if title else "a unit"


def _badge(details: dict) -> str:
    return str(details.get("badge_name") or details.get("badge", ""))


def sentence(event: EventFacts) -> str:
    """The event as one plain sentence, e.g. "Asha Assessor accepted Priya Ramdin's evidence for …"."""
    who = event.actor or "The system"
    whom = event.subject_person or "someone"
    d = event.details
    version = f" (version {d['version']})" if d.get("version") else ""
    action = event.action
    if action == "user.created":
        return f"{who} created an account for {whom} as {_roles(d.get('roles') or d.get('role') or 'learner')}."
    if action in ("user.roles_changed", "user.role_changed"):
        return f"{who} changed {whom}'s roles from {_roles(d.get('old'))} to {_roles(d.get('new'))}."
    if action == "user.deactivated":
        return f"{who} deactivated {whom}'s account."
    if action == "user.reactivated":
        return f"{who} reactivated {whom}'s account."
    if action == "user.erased":
        return f"{who} erased the account of {whom}: personal data removed, evidence files deleted."
    if action == "signin.failed":
        return f"A sign-in as {whom} failed: wrong password or unknown email."
    if action == "signin.locked":
        return f"A sign-in as {whom} was refused: too many failed attempts, temporarily locked."
    if action == "assessment.decided":
        outcome = OUTCOME_WORDS.get(d.get("outcome"), str(d.get("outcome", "decided")))
        return f"{who} {outcome} {whom}'s evidence for {_unit(d)}{version}."
    if action == "assessment.claimed":
        return f"{who} opened {whom}'s evidence for {_unit(d)}{version} for marking."
    if action == "assessment.released":
        return f"{who} gave {whom}'s evidence for {_unit(d)}{version} back to the queue."
    if action == "evidence.submitted":
        return f"{who} submitted evidence for {_unit(d)}{version}."
    if action == "evidence.reopened":
        return f"{who} reopened {whom}'s accepted evidence for {_unit(d)} for revision" + (
            f": {d['reason']}" if d.get("reason") else ".")
    if action == "badge.issued":
        return f"{whom} earned the badge “{d.get('badge_name') or d.get('badge', '')}”."
    if action == "badge.revoked":
        return f"{who} revoked {whom}'s badge “{d.get('badge_name') or d.get('badge', '')}”" + (
            f": {d['reason']}" if d.get("reason") else ".")
    if action == "badge.endorsement_requested":
        return f"{who} asked {d.get('endorser') or 'someone'} to endorse their badge “{_badge(d)}”."
    if action == "badge.endorsed":
        role = f" ({d['role']})" if d.get("role") else ""
        return f"{d.get('endorser') or 'Someone'}{role} endorsed {whom}'s badge “{_badge(d)}” through an emailed link."
    if action == "badge.endorsement_approved":
        return f"{who} approved {d.get('endorser') or 'an'}'s endorsement of their badge “{_badge(d)}”: it is shown " \
               f"and signed into the credential."
    if action == "badge.endorsement_withdrawn":
        return f"{who} withdrew {d.get('endorser') or 'an'}'s endorsement of their badge “{_badge(d)}”."
    if action == "badge.renewal_started":
        verb = "renew" if d.get("was") == "expired" else "reissue"
        return f"{who} started to {verb} {whom}'s {d.get('was', '')} badge “{_badge(d)}”: its evidence was reopened" + (
            f": {d['reason']}" if d.get("reason") else ".")
    if action == "badge.renewed":
        return f"{whom}'s badge “{_badge(d)}” was {d.get('how') or 'renewed'}: a new badge supersedes the old one."
    if action == "user.invited":
        return f"{who} invited {whom} to choose a password."
    if action == "user.invitation_accepted":
        return f"{whom} accepted their invitation and chose a password."
    if action == "user.reset_requested":
        return f"A password reset link was emailed to {whom}."
    if action == "user.password_changed":
        how = "with a reset link" if d.get("how") == "reset" else "from their account page"
        return f"{whom} changed their password {how}; their other sign-ins ended."
    if action == "user.email_change_requested":
        return f"{whom} asked to change their email address (a confirmation link was emailed)."
    if action == "user.email_changed":
        return f"{whom} confirmed a new email address."
    if action == "data.downloaded":
        return f"{who} downloaded all their data."
    # An action without its own wording still reads as a sentence, with its details in words.
    words = action.replace(".", " ").replace("_", " ")
    about = f" about {whom}" if event.subject_person else ""
    extra = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(d.items())
                      if not k.endswith("_id") and v not in (None, "", [], {}))
    return f"{who}: {words}{about}" + (f" ({extra})." if extra else ".")
