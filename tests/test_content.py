"""Loading and checking the framework and units: plain Python, no app."""

from __future__ import annotations

import os

import pytest

from lms.domain.content import load_content
from lms.domain.framework import load_framework
from lms.domain.units import MAX_WORDS, MIN_WORDS, parse_unit

from .content_fixtures import FILLER, REFERENCE, RESEARCH_SECTION, ROOT, line_of, make_tree, orientation_text, unit_text


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    # Messages show paths relative to the working directory, as a person runs the check.
    monkeypatch.chdir(tmp_path)


def messages(report) -> list[str]:
    return [str(p) for p in report.problems]


# --- the shipped content -------------------------------------------------------------------------

def test_shipped_framework_has_the_papers_shape():
    framework = load_framework(ROOT / "rubrics" / "framework.yaml").framework
    assert [d.title for d in framework.domains] == [
        "Professional Identity", "Professional Knowledge and Skills", "Professional Relationships",
        "Professional Dispositions"]
    assert [len(c.indicators) for c in framework.competencies] == [9, 5, 3, 9, 5, 4, 3]
    assert len(framework.indicators) == 38
    assert framework.indicator("COM.4").statement == "Actively listening to each other during conversations"
    assert framework.indicator("PRS.2").statement.startswith("Adapting and responding creatively")
    assert "Resolving conflicts" in framework.indicator("PRS.2").statement


def test_shipped_content_has_no_problems_and_covers_every_indicator():
    report = load_content(ROOT / "rubrics", ROOT / "modules")
    assert messages(report) == []
    assert report.summary() == (f"content: {report.unit_count} units, 38/38 indicators evidenced, "
                                f"{report.tasks_with_exemplars}/{len(report.catalogue.task_units)} tasks with exemplars, 0 problems")
    catalogue = report.catalogue
    assert len(catalogue.units) >= 16
    per_domain = {d.id: len(catalogue.units_in_domain(d.id)) for d in catalogue.framework.domains}
    assert min(per_domain.values()) >= 3
    # More units where the domain has more indicators.
    assert per_domain["PR"] > per_domain["PI"] >= per_domain["PD"]
    for unit in catalogue.units:
        assert MIN_WORDS <= unit.word_count <= MAX_WORDS, unit.path
        assert unit.outcomes and unit.reflection
    for unit in catalogue.task_units:
        assert unit.task.indicator_ids and unit.task.effort_hours and unit.task.max_words, unit.path
        assert unit.task.parts and unit.task.checklist, unit.path
    for unit in catalogue.units:
        assert unit.key_method and unit.research, unit.path
        assert "Research behind this unit</h2>" in unit.html, unit.path


def test_every_unit_cites_checkable_research_and_the_mcf_paper_where_it_applies():
    catalogue = load_content(ROOT / "rubrics", ROOT / "modules").catalogue
    citing_mcf = [u for u in catalogue.units if any("Bholoa" in r.authors for r in u.research)]
    assert len(citing_mcf) >= 8
    for unit in catalogue.units:
        section = unit.html.split("Research behind this unit</h2>")[1].split("<h2")[0]
        for ref in unit.research:
            assert ref.link or ref.isbn, (unit.path, ref.title)
            # The research section names each work's first author and year in the learner's terms.
            surname = ref.authors.split(",")[0]
            assert surname in section and str(ref.year) in section, (unit.path, surname)


def test_indicators_the_issue_names_have_a_task_part_an_assessor_can_judge():
    catalogue = load_content(ROOT / "rubrics", ROOT / "modules").catalogue
    for indicator_id in ("SDS.3", "SDS.4", "SDS.5", "SDS.7", "SDS.8", "CDM.1", "CDM.4", "COM.3", "COM.7",
                         "COL.4", "PRS.2"):
        [unit] = [u for u in catalogue.units if indicator_id in u.evidenced_ids]
        assert unit.task.parts_asking_for(indicator_id), indicator_id
    prompts = lambda slug, ind: " ".join(p.prompt for p in catalogue.unit(slug).task.parts_asking_for(ind))
    assert "corroboration" in prompts("roles-of-a-mentor", "SDS.3")
    assert "date" in prompts("roles-of-a-mentor", "SDS.4") and "actually changed" in prompts("roles-of-a-mentor", "SDS.4")
    assert "four weeks" in prompts("growing-as-a-mentor", "SDS.5")
    assert "Kreol Morisien" in prompts("mentoring-in-your-school", "SDS.8")
    assert "digest" in prompts("curriculum-and-practicum", "CDM.1")
    for slug, ind in (("active-listening-and-rapport", "COM.3"), ("active-listening-and-rapport", "COM.7"),
                      ("climate-of-trust", "COL.4")):
        assert "own words" in prompts(slug, ind), (slug, ind)
    conflict = catalogue.unit("conflict-and-problem-solving").task.parts_asking_for("PRS.2")
    assert len(conflict) == 2  # a conflict resolved and a challenge adapted to


def test_plan_your_placement_maps_every_task_and_its_hours():
    catalogue = load_content(ROOT / "rubrics", ROOT / "modules").catalogue
    plan = catalogue.unit("plan-your-placement")
    assert plan.is_orientation and catalogue.units[0] == plan
    linked = {link.target_slug for link in plan.links}
    assert {u.slug for u in catalogue.task_units} <= linked
    total = sum(u.task.effort_hours for u in catalogue.task_units)
    assert f"about {total:g} hours of work on evidence tasks" in plan.html


def test_no_unit_promises_a_deletion_the_app_does_not_perform():
    catalogue = load_content(ROOT / "rubrics", ROOT / "modules").catalogue
    for path in (ROOT / "modules").glob("*.md"):
        text = path.read_text(encoding="utf-8").lower()
        assert "delete the file" not in text and "delete it" not in text, path.name
    # Tasks that let a recording be submitted say what the app does with it: kept, then deleted by the system.
    submitting = [u for u in catalogue.task_units if "recording" in u.task.instructions.lower()
                  and "do not submit the recording" not in u.task.instructions.lower()]
    assert {u.slug for u in submitting} >= {"active-listening-and-rapport", "questioning"}
    for unit in submitting:
        instructions = " ".join(unit.task.instructions.split())
        assert "months after your cohort ends" in instructions and "if you are not in a cohort" in instructions, unit.slug
        assert "deleted by the system" in instructions and "public badge" in instructions, unit.slug


def task(**overrides) -> dict:
    base = {"title": "T", "instructions": "Do it.", "indicators": ["COM.4"], "effort_hours": 2, "max_words": 400,
            "parts": [{"prompt": "Log three moves.", "indicators": ["COM.4"]}], "checklist": ["Log attached"]}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_taught_and_evidenced_indicators_are_kept_apart(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    unit = load_content(rubrics, modules).catalogue.unit("listening")
    assert unit.evidenced_ids == ("COM.4",) and unit.taught_ids == ("COM.7",)
    assert unit.indicator_ids == ("COM.4", "COM.7")
    rubrics, modules = make_tree(tmp_path / "b", {"listening.md": unit_text(teaches=["COM.4"])})
    problems = messages(load_content(rubrics, modules))
    assert any("'COM.4' is evidenced by the task: list it under 'evidence_task.indicators' only" in p
               for p in problems)


def test_the_old_indicators_field_says_what_replaced_it(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(indicators=["COM.4"])})
    problems = messages(load_content(rubrics, modules))
    lines = (modules / "listening.md").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("indicators:"))
    assert any(p.startswith(f"modules/listening.md:{line}: 'indicators' is replaced by two lists") for p in problems)


def test_an_evidenced_indicator_no_part_asks_for_is_flagged_on_its_line(tmp_path):
    text = unit_text(competencies=["COM"], teaches=None, evidence_task=task(indicators=["COM.4", "COM.6"]))
    rubrics, modules = make_tree(tmp_path, {"listening.md": text})
    report = load_content(rubrics, modules)
    line = line_of(modules / "listening.md", "indicators: [COM.4, COM.6]")
    assert f"modules/listening.md:{line}: the task evidences 'COM.6' but none of its parts asks for it: " \
           "add a part whose 'indicators' include it" in messages(report)
    assert report.indicators_evidenced == 2  # still counted: the app can run, content check fails


def test_a_part_asking_for_an_indicator_the_task_does_not_evidence(tmp_path):
    parts = [{"prompt": "Log moves.", "indicators": ["COM.4"]}, {"prompt": "Question.", "indicators": ["COM.6"]}]
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(evidence_task=task(parts=parts))})
    problems = messages(load_content(rubrics, modules))
    assert any("part 2 asks for 'COM.6', which the task does not evidence" in p for p in problems)


def test_task_length_effort_parts_and_checklist_are_loaded(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    t = load_content(rubrics, modules).catalogue.unit("listening").task
    assert (t.effort_hours, t.min_words, t.max_words) == (2, 250, 400)
    assert [p.indicator_ids for p in t.parts] == [("COM.4",)]
    assert t.parts[0].prompt_html == "<p>Log three listening moves.</p>"
    assert t.checklist == ("The log has three moves, each with what your mentee said next",)


def test_an_upload_task_sets_no_minimum(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(evidence_task=task(min_words=None))})
    t = load_content(rubrics, modules).catalogue.unit("listening").task
    assert t.min_words is None and t.max_words == 400


def test_bad_length_and_effort_are_explained(tmp_path):
    bad = task(min_words=500, max_words=300, effort_hours="a weekend")
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(evidence_task=bad)})
    problems = messages(load_content(rubrics, modules))
    assert any("'evidence_task.min_words' (500) is more than 'evidence_task.max_words' (300)" in p for p in problems)
    assert any("'evidence_task.effort_hours' must be a number of hours above 0" in p for p in problems)


def test_a_task_without_effort_is_reported(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(evidence_task=task(effort_hours=None))})
    assert any("missing field 'evidence_task.effort_hours'" in p for p in messages(load_content(rubrics, modules)))


def test_research_references_are_loaded_with_a_link(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    unit = load_content(rubrics, modules).catalogue.unit("listening")
    assert unit.key_method.startswith("Paraphrase")
    [ref] = unit.research
    assert ref.year == 1996 and ref.link == "https://doi.org/10.1037/0033-2909.119.2.254"


@pytest.mark.parametrize("change, message", [
    ({"doi": None}, "reference 1 needs a 'doi', 'isbn' or 'url' so that a reader can find it"),
    ({"year": "recent"}, "reference 1 needs a 'year' of publication as four digits, not 'recent'"),
    ({"published_in": None}, "reference 1 has no 'published_in'"),
    ({"doi": "https://doi.org/10.1037/x"}, "is not a DOI (it starts 10. and has a slash"),
    ({"doi": None, "isbn": "978-0-465-06878-5"}, "is not a valid ISBN (check digit does not match)"),
    ({"doi": None, "url": "www.example.org"}, "is not a web address starting http:// or https://"),
])
def test_a_reference_a_reader_could_not_check_is_reported(tmp_path, change, message):
    ref = {k: v for k, v in {**REFERENCE, **change}.items() if v is not None}
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(research=[ref])})
    problems = messages(load_content(rubrics, modules))
    assert any(message in p for p in problems), problems


def test_a_valid_isbn_is_accepted(tmp_path):
    ref = {k: v for k, v in REFERENCE.items() if k != "doi"} | {"isbn": "978-0-465-06878-4"}
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(research=[ref])})
    report = load_content(rubrics, modules)
    assert not any("listening.md" in p for p in messages(report))
    assert report.catalogue.unit("listening").research[0].link == ""


@pytest.mark.parametrize("missing", ["key_method", "research"])
def test_key_method_and_research_are_required(tmp_path, missing):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(**{missing: None})})
    assert f"modules/listening.md:1: missing field '{missing}'" in messages(load_content(rubrics, modules))


@pytest.mark.parametrize("missing", ["parts", "checklist", "max_words"])
def test_parts_checklist_and_length_are_required(tmp_path, missing):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(evidence_task=task(**{missing: None}))})
    assert any(f"missing field 'evidence_task.{missing}'" in p for p in messages(load_content(rubrics, modules)))


def test_a_unit_without_a_research_section_is_reported_where_the_body_starts(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(body="## Why listen\n\n" + FILLER)})
    line = line_of(modules / "listening.md", "## Why listen")
    assert f"modules/listening.md:{line}: the body has no '## Research behind this unit' section: say in the " \
           "learner's own terms what the research in 'research' found" in messages(load_content(rubrics, modules))


def test_orientation_unit_has_no_domain_task_or_progress(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"plan-your-placement.md": orientation_text(),
                                            "listening.md": unit_text(order=2)})
    report = load_content(rubrics, modules)
    assert not any(".md" in p for p in messages(report))
    catalogue = report.catalogue
    plan = catalogue.unit("plan-your-placement")
    assert plan.is_orientation and plan.task is None and plan.domain_id == "" and plan.evidenced_ids == ()
    assert [u.slug for u in catalogue.units] == ["plan-your-placement", "listening"]
    assert [u.slug for u in catalogue.task_units] == ["listening"]
    assert [u.slug for u in catalogue.orientation_units] == ["plan-your-placement"]
    assert plan not in catalogue.units_in_domain("PR")


def test_orientation_unit_may_not_carry_a_task_or_domain(tmp_path):
    text = orientation_text(domain="PR", evidence_task=task())
    rubrics, modules = make_tree(tmp_path, {"plan-your-placement.md": text})
    problems = messages(load_content(rubrics, modules))
    line = line_of(modules / "plan-your-placement.md", "domain: PR")
    assert f"modules/plan-your-placement.md:{line}: an orientation unit has no 'domain': it sits outside the " \
           "domains and has no task" in problems
    assert any("an orientation unit has no 'evidence_task'" in p for p in problems)


def test_unknown_kind(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(kind="workshop")})
    assert any("unknown kind 'workshop' (expected: unit, orientation)" in p
               for p in messages(load_content(rubrics, modules)))


def test_yaml_syntax_error_points_at_the_line(tmp_path):
    text = unit_text().replace("minutes: 20", "minutes: [20")
    rubrics, modules = make_tree(tmp_path, {"listening.md": text})
    problems = messages(load_content(rubrics, modules))
    assert len([p for p in problems if "listening.md" in p]) == 1
    problem = next(p for p in problems if "listening.md" in p)
    reported_line = int(problem.split(":")[1])
    assert abs(reported_line - line_of(modules / "listening.md", "minutes: [20")) <= 1
    assert "YAML syntax error" in problem


def test_file_without_front_matter(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"notes.md": "# Just notes\n"})
    assert "modules/notes.md:1: missing front matter: the file must start with a '---' line, then YAML, " \
           "then '---'" in messages(load_content(rubrics, modules))


def test_duplicate_order_names_both_files(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"a-unit.md": unit_text(), "b-unit.md": unit_text(order=1)})
    problems = messages(load_content(rubrics, modules))
    line = line_of(modules / "b-unit.md", "order:")
    assert f"modules/b-unit.md:{line}: order 1 is also used by modules/a-unit.md" in problems


def test_link_to_a_missing_unit(tmp_path):
    body = "## Links\n\nSee [feedback](constructive-feedback.md) and [the web](https://example.org).\n\n" + FILLER
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(body=body)})
    problems = messages(load_content(rubrics, modules))
    line = line_of(modules / "listening.md", "constructive-feedback.md")
    assert f"modules/listening.md:{line}: link to 'constructive-feedback.md' goes nowhere: there is no such unit" \
        in problems
    assert not any("example.org" in p for p in problems)


def test_link_to_an_existing_unit_is_fine(tmp_path):
    body = "## Links\n\nSee [the other](other-unit.md#part).\n\n" + FILLER
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(body=body),
                                            "other-unit.md": unit_text(order=2)})
    report = load_content(rubrics, modules)
    assert not any("goes nowhere" in p for p in messages(report))
    assert 'href="other-unit#part"' in report.catalogue.unit("listening").html


def test_indicators_no_task_asks_for_are_listed_against_the_framework(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    report = load_content(rubrics, modules)
    line = line_of(rubrics / "framework.yaml", "id: COM.6")
    assert f"rubrics/framework.yaml:{line}: indicator COM.6 is not asked for by any evidence task" \
        in messages(report)
    assert report.summary() == "content: 1 units, 1/38 indicators evidenced, 0/1 tasks with exemplars, 37 problems"
    # Coverage is a quality rule: the app can still run on this content.
    assert report.catalogue is not None


def test_word_count_rule(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"short.md": unit_text(body="## Too short\n\nOnly a few words.")})
    report = load_content(rubrics, modules)
    line = line_of(modules / "short.md", "## Too short")
    assert f"modules/short.md:{line}: body has 6 words; a unit has {MIN_WORDS} to {MAX_WORDS}" in messages(report)


def test_unit_html_is_sanitised(tmp_path):
    body = "## Hi\n\n<script>alert(1)</script> [x](javascript:alert(1)) <b onclick='x()'>b</b>\n\n" + FILLER
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text(body=body)})
    html = load_content(rubrics, modules).catalogue.unit("listening").html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html


def test_file_name_must_be_a_slug(tmp_path):
    rubrics, modules = make_tree(tmp_path, {"Active Listening.md": unit_text()})
    problems = messages(load_content(rubrics, modules))
    assert any("file name 'Active Listening.md' must be lowercase words" in p for p in problems)


def test_not_utf8(tmp_path):
    rubrics, modules = make_tree(tmp_path, {})
    (modules / "latin.md").write_bytes(unit_text().encode("utf-8") + "caf\xe9\n".encode("latin-1"))
    problems = messages(load_content(rubrics, modules))
    assert any(p.startswith("modules/latin.md:") and "not valid UTF-8" in p for p in problems)


def test_parse_unit_without_a_framework_still_checks_the_file(tmp_path):
    path = tmp_path / "x.md"
    path.write_text(unit_text(minutes=0))
    unit, problems = parse_unit(path, None)
    assert unit is None
    assert any("'minutes' must be a whole number" in p.message for p in problems)


# --- the framework file --------------------------------------------------------------------------

def test_framework_duplicate_id(tmp_path):
    text = (ROOT / "rubrics" / "framework.yaml").read_text().replace("id: COM.5", "id: COM.4", 1)
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()}, framework=text)
    problems = messages(load_content(rubrics, modules))
    line = line_of(rubrics / "framework.yaml", "statement: Providing constructive feedback") - 1
    assert any(p.startswith(f"rubrics/framework.yaml:{line}: duplicate id 'COM.4'") for p in problems)


def test_framework_indicator_missing_statement(tmp_path):
    text = (ROOT / "rubrics" / "framework.yaml").read_text().replace(
        "            statement: Demonstrating respect\n", "")
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()}, framework=text)
    report = load_content(rubrics, modules)
    line = line_of(rubrics / "framework.yaml", "id: COL.4")
    assert f"rubrics/framework.yaml:{line}: missing or empty 'statement'" in messages(report)
    assert report.catalogue is None


def test_no_units_at_all(tmp_path):
    rubrics, modules = make_tree(tmp_path, {})
    assert f"{os.path.relpath(modules)}:1: no unit files (*.md) found" in messages(load_content(rubrics, modules))


# --- badge classes ---------------------------------------------------------------------------------

def test_shipped_badge_classes_cover_every_competency_domain_and_the_credential():
    report = load_content(ROOT / "rubrics", ROOT / "modules", ROOT / "badges")
    assert [str(p) for p in report.problems] == []
    kinds = sorted((b.kind, b.target_id) for b in report.catalogue.badge_classes)
    assert len(kinds) == 7 + 4 + 1 and ("credential", "MCF") in kinds


def test_badge_class_problems_name_the_file_and_line(tmp_path):
    import shutil
    badges = tmp_path / "badges"
    shutil.copytree(ROOT / "badges", badges)
    (badges / "art" / "COL.png").write_bytes(b"not a png")
    text = (badges / "badges.yaml").read_text()
    (badges / "badges.yaml").write_text(text.replace("awarded_for: {competency: PRS}", "awarded_for: {competency: XYZ}"))
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    messages_ = [str(p) for p in load_content(rubrics, modules, badges).problems]
    path = badges / "badges.yaml"
    assert any(m.startswith(f"badges/badges.yaml:{line_of(path, 'competency: XYZ')}: unknown competency 'XYZ'")
               for m in messages_)
    assert any("badges/art/COL.png is missing or not a PNG" in m for m in messages_)
    assert any("no badge class is awarded for competency PRS" in m for m in messages_)
