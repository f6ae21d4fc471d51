"""Evidence operations: the one place that writes submissions, versions and files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from blinker import Namespace
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from ..audit.services import record as record_event
from ..content_store import catalogue
from ..domain.scoring import Shortfall, required_level
from ..domain.task_texts import task_text_of
from ..domain.units import count_words
from ..extensions import db
from ..models import User, utcnow
from ..notifications.services import notify
from ..record.models import RecordEntry
from ..record.services import best_accepted_levels
from ..storage import blob_store
from .models import (ACCEPTED, DRAFT, NOT_YET, SUBMITTED, EvidenceFile, EvidenceVersion, Reopening, Submission,
                     TaskTextSnapshot)
from .storage import EvidenceStore, UploadRejected

MAX_REFLECTION_CHARS = 30_000
MAX_LINKS = 10
MAX_FILES = 10

#: Sent (sender: the app) when a draft becomes a submission, inside the same transaction, with
#: ``version_id``, ``learner_id``, ``unit_slug`` and ``submitted_at``. Assessment opens its case on it.
evidence_submitted = Namespace().signal("evidence-submitted")
#: Sent (sender: the app) when a new draft version starts from a decided one (a revision after "not yet",
#: or a reopening), inside the same transaction, with ``old_version_id`` and ``new_version_id``. The
#: journal carries the entries attached to the old version into the new one.
revision_started = Namespace().signal("revision-started")


class EvidenceError(Exception):
    """An evidence operation that cannot be done; the message is for the learner."""


class EditConflict(EvidenceError):
    """The draft was saved elsewhere (another tab or device) since this page was loaded."""


@dataclass
class DraftInput:
    """What the learner typed and attached in one save."""

    reflection: str
    links_text: str
    expected_revision: int | None
    uploads: list[FileStorage] = field(default_factory=list)
    # The checklist items the learner ticked; None when the form did not show the checklist.
    checklist_ticked: tuple[str, ...] | None = None


@dataclass
class SaveResult:
    """The outcome of a save: the version, and which uploads were refused and why."""

    version: EvidenceVersion
    rejected: list[str] = field(default_factory=list)
    submitted: bool = False


def store() -> EvidenceStore:
    """The evidence file store of the current app (its blob store: local folder or S3)."""
    return EvidenceStore(blob_store(), Path(current_app.instance_path) / "uploads" / ".incoming",
                         int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024)


def submission_for(learner: User, unit_slug: str) -> Submission | None:
    """The learner's submission for a unit, if any."""
    return db.session.execute(
        db.select(Submission).where(Submission.learner_id == learner.id, Submission.unit_slug == unit_slug)
    ).scalar_one_or_none()


def version_details() -> tuple:
    """Loader options for versions shown in full (evidence/_version.html): the reopening that began
    them, their task text, files, and decision with its levels. One statement beside the versions'
    own (their files), however many versions there are and whether or not any is decided."""
    assessment = EvidenceVersion.assessment  # the decision, declared by lms.assessment as a backref
    return (joinedload(EvidenceVersion.reopening).joinedload(Reopening.reopened_version),
            joinedload(EvidenceVersion.task_text), selectinload(EvidenceVersion.files),
            joinedload(assessment).joinedload(assessment.property.mapper.class_.scores))


def history_options(path) -> tuple:
    """Loader options: from ``path`` (a loader reaching a Submission), every version shown in full."""
    return (path.selectinload(Submission.versions).options(*version_details()),)


def submission_with_history(learner: User, unit_slug: str) -> Submission | None:
    """The learner's submission for a unit with every version as the evidence page shows it."""
    return db.session.execute(
        db.select(Submission).where(Submission.learner_id == learner.id, Submission.unit_slug == unit_slug)
        .options(selectinload(Submission.versions).options(*version_details()))
    ).unique().scalar_one_or_none()


def learner_submissions(learner: User) -> dict[str, Submission]:
    """All the learner's submissions, by unit slug."""
    rows = db.session.execute(db.select(Submission).where(Submission.learner_id == learner.id)
                              .options(selectinload(Submission.versions))).scalars()
    return {s.unit_slug: s for s in rows}


def parse_links(text: str) -> list[str]:
    """One http(s) link per line; raises EvidenceError naming a line that is not one."""
    links = []
    for number, line in enumerate(text.splitlines(), start=1):
        link = line.strip()
        if not link:
            continue
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", link):
            raise EvidenceError(f"Line {number} of the links is not a web address starting with https:// "
                                f"or http://: “{link[:80]}”.")
        links.append(link)
    if len(links) > MAX_LINKS:
        raise EvidenceError(f"Give at most {MAX_LINKS} links.")
    return links


def start_revision(learner: User, unit_slug: str) -> EvidenceVersion:
    """Begin revising evidence returned "not yet": a new draft carrying its text, links and files.

    The returned version stays exactly as it was, with its assessment, for the history.
    """
    submission = submission_for(learner, unit_slug)
    latest = submission.latest if submission else None
    if latest is not None and latest.status == DRAFT:
        return latest  # already revising (a second click, or another tab)
    if latest is None or latest.status != NOT_YET:
        raise EvidenceError("Only evidence returned “not yet” can be revised.")
    version = _next_version(latest)
    db.session.add(version)
    try:
        db.session.flush()
        revision_started.send(current_app._get_current_object(), old_version_id=latest.id, new_version_id=version.id)
        db.session.commit()
    except IntegrityError:  # the same revision was started a moment ago elsewhere
        db.session.rollback()
        return submission_for(learner, unit_slug).latest
    return version


def _next_version(latest: EvidenceVersion) -> EvidenceVersion:
    """A new draft carrying the text, links and files of ``latest``, against the task as it is now."""
    version = EvidenceVersion(submission_id=latest.submission_id, number=latest.number + 1, status=DRAFT,
                              reflection=latest.reflection, links_json=latest.links_json,
                              task_text=current_task_text(latest.submission.unit_slug))
    version.files = [EvidenceFile(original_name=f.original_name, storage_key=f.storage_key,
                                  content_type=f.content_type, kind=f.kind, size=f.size, sha256=f.sha256)
                     for f in latest.files]
    return version


# --- task texts -----------------------------------------------------------------------------------------

def current_task_text(unit_slug: str) -> TaskTextSnapshot | None:
    """The stored snapshot of the unit's task as it reads now, stored on first use (None: no task)."""
    unit = catalogue().unit(unit_slug)
    if unit is None or unit.task is None:
        return None
    text = task_text_of(unit_slug, unit.task)
    for _ in range(3):
        found = db.session.execute(db.select(TaskTextSnapshot).where(
            TaskTextSnapshot.unit_slug == unit_slug, TaskTextSnapshot.content_hash == text.content_hash)
        ).scalar_one_or_none()
        if found is not None:
            return found
        number = (db.session.execute(db.select(db.func.max(TaskTextSnapshot.number))
                                     .where(TaskTextSnapshot.unit_slug == unit_slug)).scalar() or 0) + 1
        snapshot = TaskTextSnapshot(unit_slug=unit_slug, number=number, content_hash=text.content_hash,
                                    title=text.title, instructions=text.instructions,
                                    indicator_ids_json=json.dumps(list(text.indicator_ids)),
                                    details_json=json.dumps(text.details, sort_keys=True))
        try:
            with db.session.begin_nested():
                db.session.add(snapshot)
        except IntegrityError:  # stored a moment ago by another request: read it (or the next number)
            continue
        return snapshot
    raise EvidenceError("The task text could not be recorded just now; please save again.")


def _new_first_version(learner: User, unit_slug: str) -> EvidenceVersion:
    submission = submission_for(learner, unit_slug)
    if submission is None:
        submission = Submission(learner_id=learner.id, unit_slug=unit_slug)
        db.session.add(submission)
    version = EvidenceVersion(submission=submission, number=1, status=DRAFT,
                              task_text=current_task_text(unit_slug))
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError:  # the first save of this evidence, made twice at once (two tabs)
        db.session.rollback()
        raise EditConflict("This evidence was saved from another window a moment ago. Nothing was "
                           "overwritten: reload the page to see the saved draft.") from None
    return version


def save_draft(learner: User, unit_slug: str, data: DraftInput, submit: bool = False) -> SaveResult:
    """Save what the learner typed and attached; with ``submit``, also send it for assessment.

    Valid files are kept even when something else is wrong, so nothing is lost; text is kept by
    the caller re-showing the form. Raises EvidenceError (nothing saved) or EditConflict.
    """
    unit = catalogue().unit(unit_slug)
    if unit is None or unit.task is None:
        raise EvidenceError("There is no such unit, or it asks for no evidence.")
    if len(data.reflection) > MAX_REFLECTION_CHARS:
        raise EvidenceError(f"The reflection is longer than {MAX_REFLECTION_CHARS:,} characters.")
    links = parse_links(data.links_text)

    submission = submission_for(learner, unit_slug)
    latest = submission.latest if submission else None
    now = utcnow()
    if latest is None:
        if data.expected_revision not in (None, 0):
            raise EditConflict("This evidence changed since you opened the page. Reload it to see the saved draft.")
        version = _new_first_version(learner, unit_slug)
        version.reflection, version.links_json, version.updated_at = data.reflection, json.dumps(links), now
        db.session.flush()
    elif latest.status == DRAFT:
        version = latest
        # Compare-and-set on the revision: a save from a stale page changes nothing.
        result = db.session.execute(
            db.update(EvidenceVersion)
            .where(EvidenceVersion.id == version.id, EvidenceVersion.status == DRAFT,
                   EvidenceVersion.revision == data.expected_revision)
            .values(reflection=data.reflection, links_json=json.dumps(links), updated_at=now,
                    revision=EvidenceVersion.revision + 1)
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise EditConflict("Your draft was saved from another window or device after you opened this page. "
                               "Nothing was overwritten: your text is shown below so you can copy what you need, "
                               "then reload the page to see the saved draft.")
        # The draft answers the task as it reads now; frozen from here on once submitted.
        db.session.refresh(version)
        version.task_text = current_task_text(unit_slug)
    elif latest.status == SUBMITTED:
        raise EvidenceError("This evidence was already submitted and is waiting for assessment; "
                            "it cannot be changed now.")
    elif latest.status == ACCEPTED:
        raise EvidenceError("This evidence has been accepted; it cannot be changed.")
    else:
        raise EvidenceError("This evidence was returned “not yet”. Start a revision to change it.")

    if data.checklist_ticked is not None:
        version.checklist_json = json.dumps(checklist_with_ticks(unit.task.checklist, data.checklist_ticked))
    rejected = _attach(version, data.uploads)
    db.session.commit()
    db.session.refresh(version)
    outcome = SaveResult(version, rejected)
    if submit and not rejected:
        if data.checklist_ticked is not None:
            unticked = [item for item, ticked in version.checklist if not ticked]
            if unticked:
                raise EvidenceError(
                    f"Your draft is saved, with your ticks. Before submitting, make sure your evidence is complete "
                    f"and tick every item of the checklist: {len(unticked)} not ticked yet, starting with "
                    f"“{unticked[0]}”.")
        _submit(version)
        outcome.submitted = True
    return outcome


def checklist_with_ticks(items: tuple[str, ...], ticked) -> list[dict]:
    """The task's checklist with the learner's ticks; ticks for items the task no longer has are dropped."""
    chosen = set(ticked)
    return [{"item": item, "ticked": item in chosen} for item in items]


def _attach(version: EvidenceVersion, uploads: list[FileStorage]) -> list[str]:
    files = [u for u in uploads if u and u.filename]
    rejected = []
    room = MAX_FILES - len(version.files)
    evidence_store = store()
    for upload in files:
        if room <= 0:
            rejected.append(f"“{upload.filename}” was not added: a version can hold at most {MAX_FILES} files.")
            continue
        try:
            stored = evidence_store.save(upload.stream, upload.filename)
        except UploadRejected as exc:
            rejected.append(str(exc))
            continue
        name = Path(upload.filename).name[:200] or f"evidence.{stored.extension}"
        db.session.add(EvidenceFile(version_id=version.id, original_name=name, storage_key=stored.key,
                                    content_type=stored.content_type, kind=stored.kind, size=stored.size,
                                    sha256=stored.sha256))
        room -= 1
    return rejected


def expected_length(unit_slug: str) -> tuple[int | None, int | None]:
    """The reflection's expected length in words, as the unit's task states it: (minimum, maximum), None when not set.

    A task that takes its main text as an upload sets no minimum.
    """
    unit = catalogue().unit(unit_slug)
    task = unit.task if unit is not None else None
    if task is None:
        return None, None
    return task.min_words, task.max_words


def _submit(version: EvidenceVersion) -> None:
    words = count_words(version.reflection)
    minimum = expected_length(version.submission.unit_slug)[0]
    if minimum and words < minimum:
        raise EvidenceError(f"Your draft is saved but not submitted: this task asks for at least {minimum} words "
                            f"and the reflection has {words}, so {_more_words(minimum - words)} needed.")
    now = utcnow()
    result = db.session.execute(
        db.update(EvidenceVersion)
        .where(EvidenceVersion.id == version.id, EvidenceVersion.status == DRAFT)
        .values(status=SUBMITTED, submitted_at=now)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise EvidenceError("This draft was already submitted.")
    submission = version.submission
    record_event(submission.learner, "evidence.submitted", f"evidence_version:{version.id}",
                 learner_id=submission.learner_id, unit=submission.unit_slug,
                 unit_title=catalogue().unit(submission.unit_slug).title, version=version.number)
    evidence_submitted.send(current_app._get_current_object(), version_id=version.id,
                            learner_id=version.submission.learner_id, unit_slug=version.submission.unit_slug,
                            submitted_at=now)
    db.session.commit()
    db.session.refresh(version)
    # Evidence for a unit's task means the unit has been worked through: count it on the dashboard.
    from ..learning.services import mark_complete
    mark_complete(version.submission.learner, version.submission.unit_slug)


def _more_words(missing: int) -> str:
    return "1 more word is" if missing == 1 else f"{missing} more words are"


def remove_file(learner: User, file_id: int) -> EvidenceFile:
    """Remove a file from the learner's draft; the bytes go when no version refers to them."""
    evidence_file = db.session.get(EvidenceFile, file_id)
    if evidence_file is None or evidence_file.version.submission.learner_id != learner.id:
        raise LookupError(file_id)
    if evidence_file.version.status != DRAFT:
        raise EvidenceError("Files can only be removed from a draft.")
    key = evidence_file.storage_key
    db.session.delete(evidence_file)
    db.session.commit()
    still_used = db.session.execute(
        db.select(db.func.count()).select_from(EvidenceFile).where(EvidenceFile.storage_key == key)
    ).scalar_one()
    if not still_used:
        store().delete(key)
    return evidence_file


STATUS_LABELS = {
    "not_started": "Not started",
    "draft": "Draft",
    "revising": "Revising",
    "submitted": "Submitted",
    "in_review": "In review",
    "not_yet": "Not yet",
    "accepted": "Accepted",
}


def status_of(submission: Submission | None) -> str:
    """Where the evidence stands, in the learner's terms (a key of STATUS_LABELS)."""
    latest = submission.latest if submission else None
    if latest is None:
        return "not_started"
    return _status(latest.status, latest.number, latest.claim_active())


def _status(status: str, number: int, claimed: bool) -> str:
    if status == DRAFT:
        return "revising" if number > 1 else "draft"
    if status == SUBMITTED:
        return "in_review" if claimed else "submitted"
    return status


def statuses(learner: User) -> dict[str, str]:
    """Where the learner's evidence stands for each unit they started (status_of, by unit slug), read
    in one statement from the latest version of each submission, without loading any evidence text."""
    latest = (db.select(db.func.max(EvidenceVersion.number)).where(EvidenceVersion.submission_id == Submission.id)
              .correlate(Submission).scalar_subquery())
    rows = db.session.execute(
        db.select(Submission.unit_slug, EvidenceVersion.status, EvidenceVersion.number,
                  EvidenceVersion.claimed_by_id, EvidenceVersion.claim_expires_at)
        .join(EvidenceVersion, EvidenceVersion.submission_id == Submission.id)
        .where(Submission.learner_id == learner.id, EvidenceVersion.number == latest).order_by(Submission.id)).all()
    now = utcnow()
    return {slug: _status(status, number, bool(holder and until and until > now))
            for slug, status, number, holder, until in rows}


def file_for_download(user: User, file_id: int) -> EvidenceFile | None:
    """The file if this user is its learner. Assessors download files from the assessment pages,
    under the submission's code, so that a file name never tells them whose evidence it is."""
    evidence_file = db.session.get(EvidenceFile, file_id)
    if evidence_file is None or evidence_file.version.submission.learner_id != user.id:
        return None
    return evidence_file


def download_name(evidence_file: EvidenceFile) -> str:
    """The learner's file name, with the extension of what the file really is."""
    from .storage import ALLOWED_TYPES

    extension = ALLOWED_TYPES.get(evidence_file.content_type, ("", "bin"))[1]
    stem = re.sub(r"[^\w\- .()]+", "_", Path(evidence_file.original_name).stem).strip() or "evidence"
    return f"{stem}.{extension}"


# --- reopening -------------------------------------------------------------------------------------------

def reopen(version_id: int, *, actor: User | None, reason: str) -> EvidenceVersion:
    """Reopen decided evidence for revision: the one mechanism for every caller. Returns the new draft.

    Signature: ``reopen(version_id, *, actor, reason) -> EvidenceVersion``
      - ``version_id``: the latest version of a learner's evidence for a unit, decided "accepted"
        (or "not yet").
      - ``actor``: the User reopening it (a lead assessor deciding a review, ...), or None for the
        system (a migration or command, a renewal).
      - ``reason``: shown to the learner and kept in the audit trail; required.
    What it does, inside the caller's transaction (the caller commits):
      - starts version n+1 as a draft carrying the text, links and files, against the task text as it
        reads now, and records a Reopening (who, why, from which version);
      - leaves the decided version, its decision and its levels in the learner's record untouched: the
        roll-up keeps the levels already accepted, a new version can only raise them, and badges
        already issued for any competency the task evidences are not touched;
      - writes an audit event "evidence.reopened" and notifies the learner (needs a request context
        for the link: in a command, run it under ``lms.cli.public_request_context()``).
    Calling it again while the draft is open returns that draft and records nothing more.
    Raises EvidenceError (nothing changed) when the version is not the latest, is a draft or is
    waiting for assessment, or when the reason is empty.
    """
    reason = (reason or "").strip()
    if not reason:
        raise EvidenceError("Give a reason for reopening: the learner reads it.")
    version = db.session.get(EvidenceVersion, version_id)
    if version is None:
        raise EvidenceError("There is no such evidence version.")
    submission = version.submission
    latest = submission.latest
    if latest.status == DRAFT and latest.number == version.number + 1:
        return latest  # already reopened (or being revised): nothing more to do
    if latest.id != version.id:
        raise EvidenceError(f"Only the latest version can be reopened; version {latest.number} is newer.")
    if version.status not in (ACCEPTED, NOT_YET):
        raise EvidenceError("Only decided evidence can be reopened; this version is "
                            f"{'a draft' if version.status == DRAFT else 'waiting for assessment'}.")
    draft = _next_version(version)
    try:
        with db.session.begin_nested():  # one open version per submission: a concurrent reopening wins
            db.session.add(draft)
    except IntegrityError:
        db.session.expire(submission)
        return submission.latest
    revision_started.send(current_app._get_current_object(), old_version_id=version.id, new_version_id=draft.id)
    unit = catalogue().unit(submission.unit_slug)
    db.session.add(Reopening(submission_id=submission.id, reopened_version_id=version.id, new_version_id=draft.id,
                             actor_id=actor.id if actor else None, reason=reason))
    record_event(actor, "evidence.reopened", f"evidence_version:{version.id}", learner_id=submission.learner_id,
                 unit=submission.unit_slug, unit_title=unit.title if unit else submission.unit_slug,
                 version=version.number, new_version=draft.number, reason=reason)
    title = unit.title if unit else submission.unit_slug
    notify(submission.learner_id,
           f"Your evidence for “{title}” was reopened so that you can revise it (version {draft.number}). "
           f"Your accepted levels stay. Why: {reason}",
           url_for("evidence.submission", slug=submission.unit_slug))
    return draft


@dataclass(frozen=True)
class StuckEvidence:
    """Accepted evidence holding an indicator below its rule that the learner has not reached elsewhere."""

    version: EvidenceVersion
    shortfalls: tuple[Shortfall, ...]


def stuck_evidence() -> list[StuckEvidence]:
    """Latest versions accepted with an indicator below its competency rule, still short in the learner's
    best levels: accepted before "accepted" meant every indicator reaches its rule (a dead end)."""
    cat = catalogue()
    framework, rubric = cat.framework, cat.rubric
    highest_rule = max(r.every_indicator_at_least for r in rubric.rules.values())
    rows = db.session.execute(
        db.select(RecordEntry.version_id, RecordEntry.indicator_id, RecordEntry.level, RecordEntry.learner_id)
        .join(EvidenceVersion, EvidenceVersion.id == RecordEntry.version_id)
        .where(RecordEntry.outcome == ACCEPTED, RecordEntry.level < highest_rule,
               EvidenceVersion.status == ACCEPTED)
        .order_by(RecordEntry.learner_id, RecordEntry.version_id, RecordEntry.id)
    ).all()
    found: dict[int, list[Shortfall]] = {}
    best_by_learner: dict[int, dict] = {}
    for version_id, indicator_id, level, learner_id in rows:
        if framework.indicator(indicator_id) is None:
            continue
        needed = required_level(framework, rubric, indicator_id)
        if level >= needed:
            continue
        best = best_by_learner.setdefault(learner_id, best_accepted_levels(learner_id))
        reached = best.get(indicator_id)
        if reached is not None and reached.level is not None and reached.level >= needed:
            continue  # another task raised it: not stuck
        found.setdefault(version_id, []).append(Shortfall(indicator_id, level, needed))
    result = []
    for version_id, short in found.items():
        version = db.session.get(EvidenceVersion, version_id)
        if version.submission.latest.id == version.id:
            result.append(StuckEvidence(version, tuple(short)))
    return result


def reopen_stuck(dry_run: bool = False) -> list[StuckEvidence]:
    """Reopen every stuck accepted version for revision (see ``stuck_evidence``); commits each."""
    rubric = catalogue().rubric
    stuck = stuck_evidence()
    if dry_run:
        return stuck
    for item in stuck:
        named = ", ".join(f"{s.indicator_id} ({rubric.level(s.level).label}, needs {rubric.level(s.required).label})"
                          for s in item.shortfalls)
        reopen(item.version.id, actor=None,
               reason=f"This evidence was accepted with {named}, below the level its competency needs, so that "
                      f"competency could not be completed. Revise and resubmit it to raise "
                      f"{'this indicator' if len(item.shortfalls) == 1 else 'these indicators'}.")
        db.session.commit()
    return stuck
