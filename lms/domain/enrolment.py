"""Enrolment from a CSV file: reading it and checking every row, without touching the database.

The file has a header row naming the columns name, email, school, and optionally region and cohort
(in any order, any case; extra columns are ignored). It is UTF-8 (a byte order mark is fine) with
commas or semicolons between fields. Rows are numbered as a spreadsheet shows them: the header is
row 1, so the first person is row 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from email_validator import EmailNotValidError, validate_email

COLUMNS = ("name", "email", "school", "region", "cohort")
REQUIRED = ("name", "email", "school")
# Header spellings accepted for each column (compared lowercased, spaces collapsed).
ALIASES = {
    "name": ("name", "full name", "fullname"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
    "school": ("school",),
    "region": ("region", "zone"),
    "cohort": ("cohort",),
}
LIMITS = {"name": 120, "school": 200, "region": 100, "cohort": 120}
MAX_ROWS = 5000

PROBLEM, NOTICE = "problem", "notice"
CREATE, ENROL = "create", "enrol"


@dataclass(frozen=True)
class Finding:
    """Something to tell about one row: a problem (the row is skipped) or a notice (nothing to do)."""

    row: int
    message: str
    kind: str = PROBLEM

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


@dataclass(frozen=True)
class EnrolmentRow:
    """One person as the file gives them (values trimmed)."""

    row: int
    name: str
    email: str
    school: str
    region: str = ""
    cohort: str = ""


@dataclass(frozen=True)
class ParsedFile:
    """The rows of a file, and what is wrong with the file as a whole."""

    rows: tuple[EnrolmentRow, ...]
    problems: tuple[Finding, ...]
    has_cohort_column: bool


@dataclass(frozen=True)
class ExistingAccount:
    """What the database knows about an email in the file."""

    email: str
    active: bool
    cohort: str | None  # the name of the cohort the person is in, if any


@dataclass(frozen=True)
class PlannedRow:
    """A valid row and what confirming will do with it: create the account, or enrol an existing one."""

    row: int
    action: str
    name: str
    email: str
    school: str
    region: str
    cohort: str


@dataclass(frozen=True)
class EnrolmentPlan:
    """Everything a preview shows: the rows that will be applied, the problems and the notices."""

    actions: tuple[PlannedRow, ...]
    problems: tuple[Finding, ...]
    notices: tuple[Finding, ...] = field(default=())

    @property
    def to_create(self) -> tuple[PlannedRow, ...]:
        """Rows that make a new account."""
        return tuple(a for a in self.actions if a.action == CREATE)

    @property
    def to_enrol(self) -> tuple[PlannedRow, ...]:
        """Rows that put an existing account in a cohort."""
        return tuple(a for a in self.actions if a.action == ENROL)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Problems and notices together, in row order."""
        return tuple(sorted(self.problems + self.notices, key=lambda f: (f.row, f.kind != PROBLEM)))

    def fingerprint(self) -> str:
        """A digest of exactly what confirming would do, to tell whether anything changed since the preview."""
        payload = [[a.row, a.action, a.name, a.email, a.school, a.region, a.cohort] for a in self.actions]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def decode(data: bytes) -> tuple[str | None, Finding | None]:
    """The file's text, or a problem naming the row where it stops being UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        return None, Finding(row, "this row is not UTF-8 text. Save the file as “CSV UTF-8” and try again.")


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").strip().lower().split())


def read_csv(text: str) -> ParsedFile:
    """Read the header and rows; problems with the file as a whole name row 1."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        return ParsedFile((), (Finding(1, "the file is empty. The first row names the columns: "
                                          "name, email, school, and optionally region and cohort."),), False)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    header_row = 0
    columns: dict[str, int] = {}
    rows: list[EnrolmentRow] = []
    problems: list[Finding] = []
    last_line = 0
    try:
        for record in reader:
            row_number, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if not header_row:
                header_row = row_number
                wanted = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
                for index, cell in enumerate(record):
                    name = wanted.get(_header_key(cell))
                    if name and name not in columns:
                        columns[name] = index
                missing = [c for c in REQUIRED if c not in columns]
                if missing:
                    return ParsedFile((), (Finding(row_number, f"the header has no {' or '.join(missing)} column. "
                                                               f"The first row names the columns: name, email, "
                                                               f"school, and optionally region and cohort."),),
                                      "cohort" in columns)
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(Finding(row_number, f"a file can hold at most {MAX_ROWS} people; split it in two."))
                break
            values = {name: (record[index].strip() if index < len(record) else "") for name, index in columns.items()}
            rows.append(EnrolmentRow(row_number, values["name"], values["email"], values["school"],
                                     values.get("region", ""), values.get("cohort", "")))
    except csv.Error as exc:
        problems.append(Finding(last_line + 1, f"this row cannot be read as CSV ({exc}). Check its quotation marks."))
    return ParsedFile(tuple(rows), tuple(problems), "cohort" in columns)


def normalise_email(email: str) -> str:
    """An email address as accounts store it (trimmed, lowercased)."""
    return email.strip().lower()


def check_rows(parsed: ParsedFile, chosen_cohort: str | None, cohorts: Iterable[str],
               existing: Mapping[str, ExistingAccount]) -> EnrolmentPlan:
    """Check every row against the file, the chosen cohort, the known cohorts and existing accounts.

    ``existing`` maps normalised emails to what the database knows; ``chosen_cohort`` is the cohort
    picked for the whole file (it must be one of ``cohorts``) or None.
    """
    known = {c.casefold(): c for c in cohorts}
    problems = list(parsed.problems)
    notices: list[Finding] = []
    actions: list[PlannedRow] = []
    if not parsed.has_cohort_column and not chosen_cohort and parsed.rows:
        problems.insert(0, Finding(1, "the file has no cohort column: choose the cohort these people join."))
        return EnrolmentPlan((), tuple(problems))
    seen: dict[str, int] = {}
    for row in parsed.rows:
        row_problems = []
        if not row.name:
            row_problems.append("the name is missing.")
        if not row.school:
            row_problems.append("the school is missing.")
        for column, limit in LIMITS.items():
            if len(getattr(row, column)) > limit:
                row_problems.append(f"the {column} is longer than {limit} characters.")
        email = ""
        if not row.email:
            row_problems.append("the email is missing.")
        else:
            try:
                email = normalise_email(validate_email(row.email, check_deliverability=False).normalized)
            except EmailNotValidError as exc:
                row_problems.append(f"“{row.email}” is not a valid email address ({exc}).")
        if email:
            if email in seen:
                row_problems.append(f"{email} is also on row {seen[email]}; each person may appear once.")
            else:
                seen[email] = row.row
        cohort = ""
        if row.cohort:
            cohort = known.get(row.cohort.casefold(), "")
            if not cohort:
                row_problems.append(f"there is no cohort called “{row.cohort}”. Create it first, or correct the name.")
            elif chosen_cohort and cohort != chosen_cohort:
                row_problems.append(f"the cohort “{row.cohort}” differs from the one chosen for this file "
                                    f"(“{chosen_cohort}”).")
        elif chosen_cohort:
            cohort = chosen_cohort
        else:
            row_problems.append("the cohort is missing: fill it in, or choose one cohort for the whole file.")
        account = existing.get(email) if email else None
        if not row_problems and account is not None:
            if account.cohort and account.cohort == cohort:
                notices.append(Finding(row.row, f"{email} is already enrolled in “{cohort}”: nothing to do.", NOTICE))
                continue
            if account.cohort:
                row_problems.append(f"{email} is already in the cohort “{account.cohort}”. "
                                    f"Move them from that cohort's page instead.")
            elif not account.active:
                row_problems.append(f"the account of {email} is deactivated. Reactivate it first.")
        if row_problems:
            problems.append(Finding(row.row, " ".join(row_problems)))
            continue
        actions.append(PlannedRow(row.row, ENROL if account else CREATE, " ".join(row.name.split()), email,
                                  row.school, row.region, cohort))
    return EnrolmentPlan(tuple(actions), tuple(sorted(problems, key=lambda f: f.row)), tuple(notices))
