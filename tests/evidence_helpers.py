"""Helpers for tests that submit and assess evidence through the web pages."""

from __future__ import annotations

import io
import re

from .conftest import csrf_token

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
OPENING = ("I met my student educator after her Form 3 lesson and asked her to speak first. She noticed that "
              "the pupils at the back lost interest during the long explanation, and we agreed she would try "
              "a two-minute pair task next time. I wrote down what I said and did, and what she did next.")
# Long enough for any unit's task (the longest asks for at least 800 words): submitting checks the length.
REFLECTION = "\n\n".join([OPENING] * 15)


def evidence_page(client, slug: str) -> str:
    return client.get(f"/units/{slug}/evidence").get_data(as_text=True)


def revision_of(page: str) -> str:
    match = re.search(r'id="revision" name="revision" type="hidden" value="(\d+)"', page)
    assert match, "no draft form on the page"
    return match.group(1)


def save_evidence(client, slug: str, reflection: str = REFLECTION, links: str = "", files=(), submit=False,
                  revision: str | None = None):
    """Post the evidence form as a browser would, after loading it."""
    page = evidence_page(client, slug)
    data = {
        "csrf_token": csrf_token(client, f"/units/{slug}/evidence"),
        "reflection": reflection,
        "links": links,
        "revision": revision if revision is not None else revision_of(page),
        "files": [(io.BytesIO(content), name) for name, content in files],
    }
    data["submit_for_assessment" if submit else "save"] = "1"
    return client.post(f"/units/{slug}/evidence", data=data, content_type="multipart/form-data")


def assessor_decides(client, version_id: int, levels: dict[str, int], outcome: str, feedback: str = "",
                     comments: dict[str, str] | None = None, claim: bool = True):
    """Claim (open) a version from the queue and post a decision."""
    if claim:
        client.post(f"/assess/{version_id}/claim", data={"csrf_token": csrf_token(client, "/assess")})
    data = {"csrf_token": csrf_token(client, "/assess"), "outcome": outcome, "feedback": feedback}
    for indicator_id, level in levels.items():
        key = indicator_id.replace(".", "_")
        data[f"level_{key}"] = str(level)
        data[f"comment_{key}"] = (comments or {}).get(indicator_id, "")
    return client.post(f"/assess/{version_id}", data=data)


def task_with_minimum(app) -> tuple[str, int, int | None]:
    """A unit whose task states a minimum length: (slug, min_words, max_words)."""
    from lms.content_store import catalogue

    with app.app_context():
        unit = next(u for u in catalogue().task_units if u.task.min_words)
        return unit.slug, unit.task.min_words, unit.task.max_words
