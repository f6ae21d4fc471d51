"""Task texts as versioned snapshots: what a learner's evidence was written against.

A snapshot is identified by its unit slug and a hash of the task's title, instructions and
indicators, so the same text is stored once however many versions of evidence refer to it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .units import EvidenceTask


@dataclass(frozen=True)
class TaskText:
    """The words of one unit's evidence task at one moment."""

    unit_slug: str
    title: str
    instructions: str  # Markdown, as written in the unit file
    indicator_ids: tuple[str, ...]
    # The rest of what the task asks (parts, checklist, length, effort), when the unit gives it.
    details: dict = field(default_factory=dict, compare=False)

    @property
    def content_hash(self) -> str:
        """A SHA-256 over everything the task asks: equal texts, equal hashes."""
        content = {"title": self.title, "instructions": self.instructions, "indicators": list(self.indicator_ids)}
        if self.details:  # absent from the first snapshots, whose tasks had nothing more
            content["details"] = self.details
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_json(self) -> dict:
        """The snapshot as stored in the migration's data file."""
        return {"unit_slug": self.unit_slug, "title": self.title, "instructions": self.instructions,
                "indicator_ids": list(self.indicator_ids), "content_hash": self.content_hash}


def task_text_of(unit_slug: str, task: EvidenceTask) -> TaskText:
    """The snapshot of a unit's task as it is now."""
    details: dict = {}
    if task.parts:
        details["parts"] = [{"prompt": p.prompt, "indicators": list(p.indicator_ids)} for p in task.parts]
    if task.checklist:
        details["checklist"] = list(task.checklist)
    for name in ("effort_hours", "min_words", "max_words"):
        if getattr(task, name) is not None:
            details[name] = getattr(task, name)
    return TaskText(unit_slug, task.title, task.instructions, tuple(task.indicator_ids), details)
