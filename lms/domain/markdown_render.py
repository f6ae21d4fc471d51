"""Markdown to safe HTML, shared by units and (later) learner-written text."""

from __future__ import annotations

import posixpath
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "smarty"]

# Tags and attributes any rendered Markdown may keep. No script, style, iframe, form, img
# or event handler survives; links keep only http(s), mailto and relative URLs.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align", "scope"},
                      "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def unit_link_target(href: str) -> str | None:
    """The unit slug a relative ``other-unit.md`` link points to, or None for any other link."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("/", "#")):
        return None
    if not parts.path.endswith(".md"):
        return None
    return posixpath.basename(parts.path)[: -len(".md")]


class _UnitLinks(Treeprocessor):
    """Rewrite ``slug.md`` links to ``slug`` so they work between unit pages (/units/<slug>)."""

    def run(self, root):
        for link in root.iter("a"):
            href = link.get("href", "")
            slug = unit_link_target(href)
            if slug is not None:
                fragment = urlsplit(href).fragment
                link.set("href", urlunsplit(("", "", slug, "", fragment)))


class UnitLinksExtension(Extension):
    """Markdown extension registering the unit link rewriter."""

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        md.treeprocessors.register(_UnitLinks(md), "unit_links", 5)


@lru_cache(maxsize=256)
def render_markdown(text: str, *, unit_links: bool = False) -> str:
    """Render Markdown to HTML that is safe to put in a page, whoever wrote the text.

    A pure function of its arguments, so the last few hundred texts shown (reflections, feedback on
    the pages assessors and learners reload) are rendered once per process, not on every request."""
    extensions = list(MARKDOWN_EXTENSIONS)
    if unit_links:
        extensions.append(UnitLinksExtension())
    html = markdown.markdown(text, extensions=extensions, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
