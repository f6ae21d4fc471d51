"""Rubric descriptors: Proficient is a short list of checkable conditions, loaded as a list, shown as a
list wherever descriptors appear, and joined into sentences where text is needed."""

from __future__ import annotations

import json
import re

from markupsafe import escape

from lms.domain.content import load_content
from lms.domain.rubrics import Descriptor

from .content_fixtures import ROOT, line_of, make_tree, unit_text
from .conftest import csrf_token, signed_in
from .evidence_helpers import evidence_page, save_evidence

LISTENING = "active-listening-and-rapport"   # COM.3, COM.4, COM.7
PROFICIENT = 2


def _catalogue():
    return load_content(ROOT / "rubrics", ROOT / "modules").catalogue


def _list_items(html: str) -> list[str]:
    return [m for m in re.findall(r"<li>(.*?)</li>", html, re.S)]


def test_every_proficient_descriptor_is_a_list_of_three_to_five_conditions():
    rubric = _catalogue().rubric
    for indicator_id, by_level in rubric.descriptors.items():
        proficient = rubric.descriptor(indicator_id, PROFICIENT)
        assert 3 <= len(proficient.items) <= 5, indicator_id
        assert all(len(item.split()) >= 4 for item in proficient.items), indicator_id


def test_a_descriptor_still_works_as_text():
    rubric = _catalogue().rubric
    listed = rubric.descriptor("COM.4", PROFICIENT)
    # Joined into sentences: every condition, each ending with a full stop, in order.
    assert isinstance(listed, str) and listed.text == str(listed) and type(listed.text) is str
    positions = [listed.index(item) for item in listed.items]
    assert positions == sorted(positions)
    assert all(f"{item}." in listed for item in listed.items)
    assert json.loads(json.dumps({"d": listed})) == {"d": listed.text}
    assert rubric.descriptor_text("COM.4", PROFICIENT) == listed.text
    prose = rubric.descriptor("COM.4", 0)
    assert prose.items == () and not prose.is_list and prose.text.startswith("Good listening is asserted")
    assert Descriptor(["a b c", "d e f."]) == "a b c. d e f."


def test_a_prose_proficient_or_a_vague_quantity_is_reported_with_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rubrics, modules = make_tree(tmp_path, {"listening.md": unit_text()})
    path = rubrics / "descriptors" / "PR.yaml"
    text = path.read_text()
    start = text.index("COM.6:")
    proficient_at = text.index("  proficient:", start)
    accomplished_at = text.index("  accomplished:", start)
    text = (text[:proficient_at] + "  proficient: >-\n    The mentor asks a few good questions in every meeting.\n"
            + text[accomplished_at:])
    path.write_text(text)
    report = load_content(rubrics, modules)
    line = line_of(path, "The mentor asks a few good questions") - 1
    messages = [str(p) for p in report.problems]
    assert f"rubrics/descriptors/PR.yaml:{line}: COM.6 proficient: write it as a list of 3 to 5 conditions an " \
           f"assessor can check (found prose)" in messages
    assert f"rubrics/descriptors/PR.yaml:{line}: COM.6 proficient: say how many instead of 'few'" in messages
    # Quality rules are warnings: the content still loads and the app can run.
    assert report.catalogue is not None


def test_the_evidence_page_shows_each_proficient_condition_as_a_list_item(learner):
    page = evidence_page(learner, LISTENING)
    rubric = _catalogue().rubric
    for indicator_id in ("COM.3", "COM.4", "COM.7"):
        items = rubric.descriptor(indicator_id, PROFICIENT).items
        section = page.split(f'id="rubric-{indicator_id.replace(".", "-")}"', 1)[1].split("</section>", 1)[0]
        assert [str(escape(i)) for i in items] == [i for i in _list_items(section)]
        # Prose levels stay paragraphs.
        assert str(escape(rubric.descriptor(indicator_id, 0))) in section


def test_the_marking_page_shows_each_proficient_condition_as_a_list_item(app, learner, make_user):
    save_evidence(learner, LISTENING, submit=True)
    assessor = signed_in(app, make_user, "marker@example.org", "Marker", "assessor")
    queue = assessor.get("/assess").get_data(as_text=True)
    version_id = re.search(r'/assess/(\d+)', queue.split("Active listening", 1)[1]).group(1)
    assessor.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(assessor, "/assess")})
    page = assessor.get(f"/assess/{version_id}").get_data(as_text=True)
    rubric = _catalogue().rubric
    for indicator_id in ("COM.3", "COM.4", "COM.7"):
        key = indicator_id.replace(".", "_")
        # The radio button points at the list of conditions it stands for.
        assert f'aria-describedby="level-{key}-{PROFICIENT}-desc"' in page
        block = page.split(f'id="level-{key}-{PROFICIENT}-desc"', 1)[1].split("</div>", 1)[0]
        assert _list_items(block) == [str(escape(i)) for i in rubric.descriptor(indicator_id, PROFICIENT).items]


def test_the_calibration_page_shows_each_proficient_condition_as_a_list_item(app, make_user):
    from .test_calibration import _exemplar_at, _start

    client = signed_in(app, make_user, "calibrating@example.org", "Cal", "assessor")
    path = _start(client)
    page = client.get(path).get_data(as_text=True)
    exemplar = _exemplar_at(app, path)
    rubric = _catalogue().rubric
    for indicator_id, _ in exemplar.agreed_levels:
        key = indicator_id.replace(".", "_")
        block = page.split(f'id="level-{key}-{PROFICIENT}-desc"', 1)[1].split("</div>", 1)[0]
        assert _list_items(block) == [str(escape(i)) for i in rubric.descriptor(indicator_id, PROFICIENT).items]
