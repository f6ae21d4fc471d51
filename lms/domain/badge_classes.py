"""Badge class definitions (badges/badges.yaml) and their artwork, loaded and checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import yamltext
from .framework import Framework
from .problems import Problem, display_path

BADGES_FILE = "badges.yaml"
ART_DIR = "art"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CREDENTIAL_ID = "MCF"
FIELDS = ("id", "awarded_for", "name", "description", "criteria", "tags", "image")


@dataclass(frozen=True)
class BadgeClassDef:
    """A badge class: what it is called, what earns it (a competency, a domain or the credential), its art."""

    id: str
    kind: str  # "competency", "domain" or "credential"
    target_id: str  # the competency or domain id, or "MCF"
    name: str
    description: str
    criteria: str
    tags: tuple[str, ...]
    svg_path: Path
    png_path: Path


def load_badge_classes(badges_dir: Path, framework: Framework | None) -> tuple[tuple[BadgeClassDef, ...], list[Problem]]:
    """Read and check badges.yaml: one badge per competency, per domain, and one for the credential."""
    badges_dir = Path(badges_dir)
    path = badges_dir / BADGES_FILE
    shown = display_path(path)
    problems: list[Problem] = []
    try:
        located = yamltext.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return (), [Problem(shown, 1, "badge class file not found")]
    except yamltext.YamlSyntaxError as exc:
        return (), [Problem(shown, exc.line, str(exc))]
    raw = located.data.get("badge_classes") if isinstance(located.data, dict) else None
    if not isinstance(raw, list):
        return (), [Problem(shown, located.line("badge_classes"), "'badge_classes' must be a list")]

    badges: list[BadgeClassDef] = []
    seen: set[str] = set()
    awarded: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        key = f"badge_classes[{index}]"

        def problem(field: str, message: str) -> None:
            problems.append(Problem(shown, located.line(f"{key}.{field}" if field else key), message))

        if not isinstance(item, dict):
            problem("", "a badge class must be a mapping")
            continue
        for field in item:
            if field not in FIELDS:
                problem(field, f"unknown field '{field}' (expected: {', '.join(FIELDS)})")
        missing = [f for f in FIELDS if not item.get(f)]
        if missing:
            problem("", f"badge class is missing {', '.join(missing)}")
            continue
        badge_id = str(item["id"])
        if badge_id in seen:
            problem("id", f"duplicate badge class id '{badge_id}'")
            continue
        seen.add(badge_id)
        rule = item["awarded_for"]
        if not (isinstance(rule, dict) and len(rule) == 1 and next(iter(rule)) in ("competency", "domain", "credential")):
            problem("awarded_for", "'awarded_for' must be one of {competency: ID}, {domain: ID}, {credential: MCF}")
            continue
        kind, target = next(iter(rule.items()))
        target = str(target)
        if framework is not None:
            if kind == "competency" and framework.competency(target) is None:
                problem("awarded_for", f"unknown competency '{target}'")
                continue
            if kind == "domain" and framework.domain(target) is None:
                problem("awarded_for", f"unknown domain '{target}'")
                continue
        if kind == "credential" and target != CREDENTIAL_ID:
            problem("awarded_for", f"the credential is '{CREDENTIAL_ID}'")
            continue
        if framework is not None:
            title = (framework.competency(target).title if kind == "competency" else
                     framework.domain(target).title if kind == "domain" else framework.title)
            if title not in str(item["name"]):
                problem("name", f"the name must contain the framework's exact title “{title}”")
        if (kind, target) in awarded:
            problem("awarded_for", f"another badge class is already awarded for {kind} {target}")
            continue
        awarded.add((kind, target))
        svg = badges_dir / ART_DIR / f"{item['image']}.svg"
        png = badges_dir / ART_DIR / f"{item['image']}.png"
        if not svg.is_file() or "<svg" not in svg.read_text(encoding="utf-8", errors="replace")[:500]:
            problem("image", f"artwork {display_path(svg)} is missing or not an SVG")
        if not png.is_file() or png.read_bytes()[:8] != PNG_SIGNATURE:
            problem("image", f"artwork {display_path(png)} is missing or not a PNG")
        tags = item["tags"] if isinstance(item["tags"], list) else [item["tags"]]
        badges.append(BadgeClassDef(badge_id, kind, target, str(item["name"]).strip(),
                                    str(item["description"]).strip(), str(item["criteria"]).strip(),
                                    tuple(str(t) for t in tags), svg, png))

    if framework is not None:
        expected = ({("competency", c.id) for c in framework.competencies}
                    | {("domain", d.id) for d in framework.domains} | {("credential", CREDENTIAL_ID)})
        for kind, target in sorted(expected - awarded):
            problems.append(Problem(shown, located.line("badge_classes"), f"no badge class is awarded for {kind} {target}"))
    return tuple(badges), problems
