"""The learner's record: the one place that writes final decisions into it, and the profile read from it.

The decision path (assessment: a single mark, an agreed double mark, a moderation) calls
``record_final_decision`` once a decision is final. Other features react through the
``final_decision`` signal (badges issue achievements on it), so assessment never imports them.
"""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from flask import current_app

from ..content_store import catalogue
from ..domain.scoring import ACCEPTED, IndicatorResult, Profile, ScoredIndicator, best_levels, roll_up
from ..extensions import db
from .models import RecordEntry

_signals = Namespace()

#: Sent (sender: the app) after a final decision is written, inside the same transaction, with
#: ``learner_id``, ``version_id``, ``outcome`` and ``levels``. Receivers may write (e.g. issue
#: badges) and must not commit; an exception in a receiver undoes the whole decision.
final_decision = _signals.signal("final-decision")


def record_final_decision(learner_id: int, version_id: int, outcome: str, levels: dict[str, int],
                          decided_at: datetime) -> list[RecordEntry]:
    """Write a version's final decision into the learner's record and tell the listeners; no commit.

    Call it once per version, when the decision is final (the learner sees it). A second call for
    the same version fails on the unique (version, indicator) constraint at flush.
    """
    entries = [RecordEntry(learner_id=learner_id, version_id=version_id, indicator_id=indicator_id,
                           level=level, outcome=outcome, decided_at=decided_at)
               for indicator_id, level in levels.items()]
    db.session.add_all(entries)
    db.session.flush()
    final_decision.send(current_app._get_current_object(), learner_id=learner_id, version_id=version_id,
                        outcome=outcome, levels=dict(levels))
    return entries


def record_reviewed_decision(learner_id: int, version_id: int, outcome: str, levels: dict[str, int],
                             decided_at: datetime) -> list[RecordEntry]:
    """A review changed a version's final decision: its entries take the new levels and outcome, and the
    listeners are told as for any final decision; no commit. The old values stay in the audit trail."""
    existing = {entry.indicator_id: entry for entry in db.session.execute(
        db.select(RecordEntry).where(RecordEntry.version_id == version_id)).scalars()}
    entries = []
    for indicator_id, level in levels.items():
        entry = existing.get(indicator_id)
        if entry is None:
            entry = RecordEntry(learner_id=learner_id, version_id=version_id, indicator_id=indicator_id)
            db.session.add(entry)
        entry.level, entry.outcome, entry.decided_at = level, outcome, decided_at
        entries.append(entry)
    db.session.flush()
    final_decision.send(current_app._get_current_object(), learner_id=learner_id, version_id=version_id,
                        outcome=outcome, levels=dict(levels))
    return entries


def _scores(learner_id: int) -> list[ScoredIndicator]:
    rows = db.session.execute(
        db.select(RecordEntry.indicator_id, RecordEntry.level, RecordEntry.outcome, RecordEntry.decided_at)
        .where(RecordEntry.learner_id == learner_id)
    ).all()
    framework = catalogue().framework
    return [ScoredIndicator(i, level, outcome, when) for i, level, outcome, when in rows
            if framework.indicator(i) is not None]


def learner_profile(learner_id: int) -> Profile:
    """The learner's competency profile from every final decision on their evidence."""
    cat = catalogue()
    return roll_up(cat.framework, cat.rubric, _scores(learner_id))


def best_accepted_levels(learner_id: int) -> dict[str, IndicatorResult]:
    """Each indicator's best accepted level so far (only indicators with a final decision)."""
    return best_levels(_scores(learner_id))


def accepted_levels_of(version_ids: list[int]) -> dict[str, int]:
    """The best level each indicator was accepted at in these versions (a reopened task's floor)."""
    rows = db.session.execute(
        db.select(RecordEntry.indicator_id, db.func.max(RecordEntry.level))
        .where(RecordEntry.version_id.in_(version_ids), RecordEntry.outcome == ACCEPTED)
        .group_by(RecordEntry.indicator_id)
    ).all() if version_ids else []
    return dict(rows)
