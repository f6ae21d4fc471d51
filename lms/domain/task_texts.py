"""Task texts as versioned snapshots: what a learner's evidence was written against.

A snapshot is identified by its unit slug and a hash of the task's title, instructions and
indicators, so the same text is stored once however many versions of evidence refer to it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .units import EvidenceTask


@dataclass(frozen=True)
class TaskText:
    """The words of one unit's evidence task at one moment."""

    unit_slug: str
    title: str
    instructions: str  # Markdown, as written in the unit file
    indicator_ids: tuple[str, ...]

    @property
    def content_hash(self) -> str:
        """A SHA-256 over title, instructions and indicators: equal texts, equal hashes."""
        canonical = json.dumps({"title": self.title, "instructions": self.instructions,
                                "indicators": list(self.indicator_ids)}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_json(self) -> dict:
        """The snapshot as stored in the migration's data file."""
        return {"unit_slug": self.unit_slug, "title": self.title, "instructions": self.instructions,
                "indicator_ids": list(self.indicator_ids), "content_hash": self.content_hash}


def task_text_of(unit_slug: str, task: EvidenceTask) -> TaskText:
    """The snapshot of a unit's task as it is now."""
    return TaskText(unit_slug, task.title, task.instructions, tuple(task.indicator_ids))
