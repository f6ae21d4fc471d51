"""The Mentoring Competency Framework: domains, competencies and indicators, loaded from data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import yamltext
from .dates import parse_iso
from .problems import Problem, display_path


@dataclass(frozen=True)
class Indicator:
    """An observable behaviour that evidences a competency (e.g. ``COM.4``)."""

    id: str
    statement: str
    competency_id: str
    domain_id: str
    position: int  # 1-based place within its competency


@dataclass(frozen=True)
class Competency:
    """A competency of one domain, with its description and indicators."""

    id: str
    title: str
    description: tuple[str, ...]
    domain_id: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Domain:
    """One of the framework's four professional domains."""

    id: str
    title: str
    summary: str
    source: str
    competencies: tuple[Competency, ...]

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator of every competency of this domain, in framework order."""
        return tuple(i for c in self.competencies for i in c.indicators)


@dataclass(frozen=True)
class Framework:
    """The whole framework, with lookups by identifier."""

    id: str
    title: str
    version: str
    publisher: str
    citation: str
    language: str
    last_changed: datetime
    domains: tuple[Domain, ...]
    path: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_domains", {d.id: d for d in self.domains})
        object.__setattr__(self, "_competencies", {c.id: c for d in self.domains for c in d.competencies})
        object.__setattr__(self, "_indicators", {i.id: i for d in self.domains for i in d.indicators})

    @property
    def competencies(self) -> tuple[Competency, ...]:
        """All competencies in framework order."""
        return tuple(self._competencies.values())

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """All indicators in framework order."""
        return tuple(self._indicators.values())

    def domain(self, domain_id: str) -> Domain | None:
        """The domain with this id, or None."""
        return self._domains.get(domain_id)

    def competency(self, competency_id: str) -> Competency | None:
        """The competency with this id, or None."""
        return self._competencies.get(competency_id)

    def indicator(self, indicator_id: str) -> Indicator | None:
        """The indicator with this id, or None."""
        return self._indicators.get(indicator_id)


NODE_ID = re.compile(r"^[A-Z]{2,5}$")  # domain and competency ids


@dataclass
class FrameworkLoad:
    """The outcome of loading the framework: the framework (None if unusable) and problems."""

    framework: Framework | None
    problems: list[Problem]
    lines: dict[str, int]  # indicator id -> line in the file, for messages about coverage


def load_framework(path: Path) -> FrameworkLoad:
    """Read and validate the framework file; never raises for bad content."""
    shown = display_path(path)
    problems: list[Problem] = []
    try:
        located = yamltext.parse(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return FrameworkLoad(None, [Problem(shown, 1, "framework file not found")], {})
    except UnicodeDecodeError:
        return FrameworkLoad(None, [Problem(shown, 1, "file is not valid UTF-8")], {})
    except yamltext.YamlSyntaxError as exc:
        return FrameworkLoad(None, [Problem(shown, exc.line, str(exc))], {})

    def problem(key: str, message: str) -> None:
        problems.append(Problem(shown, located.line(key), message))

    data = located.data
    if not isinstance(data, dict):
        problem("", "the framework must be a mapping with 'id', 'title' and 'domains'")
        return FrameworkLoad(None, problems, {})

    def text(mapping: dict, key: str, where: str) -> str:
        value = mapping.get(key)
        if not isinstance(value, str) or not value.strip():
            problem(where if key not in mapping else f"{where}.{key}".lstrip("."),
                    f"missing or empty '{key}'")
            return ""
        return value.strip()

    header = {k: text(data, k, "") for k in ("id", "title", "publisher", "citation")}
    version = str(data.get("version", "")).strip()
    language = str(data.get("language", "en")).strip()
    last_changed = parse_iso(data.get("last_changed"))
    if last_changed is None:
        problem("last_changed", "'last_changed' must be a date-time with a time zone, e.g. 2026-01-31T00:00:00+00:00")
        last_changed = datetime.fromisoformat("1970-01-01T00:00:00+00:00")

    seen: dict[str, str] = {}
    indicator_lines: dict[str, int] = {}

    def claim(identifier: str, key: str) -> bool:
        if identifier in seen:
            problem(key, f"duplicate id '{identifier}' (also used at line {seen[identifier]})")
            return False
        seen[identifier] = str(located.line(key))
        return True

    domains: list[Domain] = []
    raw_domains = data.get("domains")
    if not isinstance(raw_domains, list) or not raw_domains:
        problem("domains", "'domains' must be a non-empty list")
        raw_domains = []
    for d_index, raw_domain in enumerate(raw_domains):
        d_key = f"domains[{d_index}]"
        if not isinstance(raw_domain, dict):
            problem(d_key, "a domain must be a mapping")
            continue
        domain_id = text(raw_domain, "id", d_key)
        if domain_id and not NODE_ID.match(domain_id):
            problem(f"{d_key}.id", f"domain id '{domain_id}' must be 2-5 capital letters")
        if domain_id:
            claim(domain_id, f"{d_key}.id")
        competencies: list[Competency] = []
        raw_competencies = raw_domain.get("competencies")
        if not isinstance(raw_competencies, list) or not raw_competencies:
            problem(f"{d_key}.competencies" if "competencies" in raw_domain else d_key,
                    f"domain '{domain_id}' needs a non-empty list of competencies")
            raw_competencies = []
        for c_index, raw_comp in enumerate(raw_competencies):
            c_key = f"{d_key}.competencies[{c_index}]"
            if not isinstance(raw_comp, dict):
                problem(c_key, "a competency must be a mapping")
                continue
            comp_id = text(raw_comp, "id", c_key)
            if comp_id and not NODE_ID.match(comp_id):
                problem(f"{c_key}.id", f"competency id '{comp_id}' must be 2-5 capital letters")
            if comp_id:
                claim(comp_id, f"{c_key}.id")
            description = raw_comp.get("description") or []
            if isinstance(description, str):
                description = [description]
            indicators: list[Indicator] = []
            raw_indicators = raw_comp.get("indicators")
            if not isinstance(raw_indicators, list) or not raw_indicators:
                problem(f"{c_key}.indicators" if "indicators" in raw_comp else c_key,
                        f"competency '{comp_id}' needs a non-empty list of indicators")
                raw_indicators = []
            for i_index, raw_ind in enumerate(raw_indicators):
                i_key = f"{c_key}.indicators[{i_index}]"
                if not isinstance(raw_ind, dict):
                    problem(i_key, "an indicator must be a mapping with 'id' and 'statement'")
                    continue
                ind_id = text(raw_ind, "id", i_key)
                statement = text(raw_ind, "statement", i_key)
                if ind_id and comp_id and not re.fullmatch(rf"{re.escape(comp_id)}\.[1-9][0-9]*", ind_id):
                    problem(f"{i_key}.id", f"indicator id '{ind_id}' must be '{comp_id}.' followed by a number")
                    continue
                if ind_id and claim(ind_id, f"{i_key}.id"):
                    indicator_lines[ind_id] = located.line(f"{i_key}.id")
                    indicators.append(Indicator(ind_id, statement, comp_id, domain_id, len(indicators) + 1))
            competencies.append(Competency(comp_id, text(raw_comp, "title", c_key),
                                           tuple(str(x).strip() for x in description),
                                           domain_id, tuple(indicators)))
        domains.append(Domain(domain_id, text(raw_domain, "title", d_key),
                              str(raw_domain.get("summary", "")).strip(),
                              str(raw_domain.get("source", "")).strip(), tuple(competencies)))

    framework = Framework(header["id"], header["title"], version, header["publisher"], header["citation"],
                          language, last_changed, tuple(domains), shown)
    return FrameworkLoad(None if problems else framework, problems, indicator_lines)
