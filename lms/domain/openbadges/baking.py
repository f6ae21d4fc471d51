"""Baking badge images: Open Badges 2.0 by openbadges-bakery, 3.0 alongside it; and unbaking both.

A baked PNG carries the 2.0 assertion in an iTXt chunk with the keyword ``openbadges`` and the 3.0
credential in one with the keyword ``openbadgecredential``. The two SVG forms bind the prefix
``openbadges`` to different namespaces, so each SVG carries one version: 2.0 in
``<openbadges:assertion>`` (http://openbadges.org), 3.0 in ``<openbadges:credential>`` holding the
credential in CDATA, with xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" on the svg element,
exactly as the Open Badges 3.0 specification shows.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import png
from defusedxml import ElementTree as SafeElementTree
from defusedxml.minidom import parseString
from openbadges_bakery import bake as bakery_bake

OB2_SVG_NS = "http://openbadges.org"
OB3_SVG_NS = "https://purl.imsglobal.org/ob/v3p0"
OB3_PNG_KEYWORD = b"openbadgecredential"
OB2_PNG_KEYWORD = b"openbadges"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BakingError(ValueError):
    """An image that cannot be baked or read; the message says why."""


@dataclass(frozen=True)
class Unbaked:
    """What a baked image carries: the 2.0 assertion (JSON or URL) and/or the 3.0 credential (JSON or JWT)."""

    ob2: str | None
    ob3: str | None


def _itxt(keyword: bytes, text: str) -> tuple[bytes, bytes]:
    # keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text
    return b"iTXt", keyword + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")


def bake_png(image: bytes, ob2_assertion: str | None, ob3_credential: str | None) -> bytes:
    """A copy of the PNG carrying the 2.0 assertion and/or the 3.0 credential."""
    if not image.startswith(PNG_SIGNATURE):
        raise BakingError("the image is not a PNG")
    if ob2_assertion is not None:
        image = _bakery_bake(image, ob2_assertion)
    if ob3_credential is None:
        return image
    chunks = [c for c in png.Reader(bytes=image).chunks()
              if not (c[0] == b"iTXt" and c[1].startswith(OB3_PNG_KEYWORD + b"\x00"))]
    # The credential goes just before the image data, like the bakery's own chunk.
    at = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    chunks.insert(at, _itxt(OB3_PNG_KEYWORD, ob3_credential))
    out = io.BytesIO()
    png.write_chunks(out, chunks)
    return out.getvalue()


def bake_svg2(image: bytes, ob2_assertion: str) -> bytes:
    """A copy of the SVG carrying the 2.0 assertion, baked by openbadges-bakery."""
    return _bakery_bake(image, ob2_assertion)


def _bakery_bake(image: bytes, ob2_assertion: str) -> bytes:
    # Into memory: without an output file the bakery writes a temporary file on disk and reads it back.
    baked = bakery_bake(io.BytesIO(image), ob2_assertion, io.BytesIO())
    return baked.getvalue()


def bake_svg3(image: bytes, ob3_credential: str) -> bytes:
    """A copy of the SVG carrying the 3.0 credential as the specification shows: CDATA inside
    <openbadges:credential>, the prefix declared on the svg element."""
    try:
        document = parseString(image)
    except Exception as exc:  # defusedxml raises several kinds for hostile or broken XML
        raise BakingError(f"the SVG cannot be read: {exc}") from None
    root = document.documentElement
    for old in [n for n in root.childNodes if n.nodeType == n.ELEMENT_NODE and n.localName == "credential"
                and n.namespaceURI == OB3_SVG_NS]:
        root.removeChild(old)
    root.setAttribute("xmlns:openbadges", OB3_SVG_NS)
    element = document.createElementNS(OB3_SVG_NS, "openbadges:credential")
    # "]]>" would end the CDATA section; \u003e is the same character to a JSON reader.
    element.appendChild(document.createCDATASection(ob3_credential.replace("]]>", "]]\\u003e")))
    root.insertBefore(element, root.firstChild)
    return document.toxml("utf-8")


def unbake(data: bytes) -> Unbaked:
    """Read what a baked PNG or SVG carries; raises BakingError for anything else."""
    if data.startswith(PNG_SIGNATURE):
        return _unbake_png(data)
    head = data[:2048].lstrip()
    if head.startswith(b"<") and b"<svg" in data[:4096]:
        return _unbake_svg(data)
    raise BakingError("this is not a PNG or SVG image")


def _itxt_text(content: bytes) -> str:
    keyword, _, rest = content.partition(b"\x00")
    compressed = rest[0]
    _language, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return (zlib.decompress(text) if compressed else text).decode("utf-8")


def _unbake_png(data: bytes) -> Unbaked:
    ob2 = ob3 = None
    try:
        for kind, content in png.Reader(bytes=data).chunks():
            if kind == b"iTXt" and content.startswith(OB2_PNG_KEYWORD + b"\x00") and ob2 is None:
                ob2 = _itxt_text(content)
            elif kind == b"iTXt" and content.startswith(OB3_PNG_KEYWORD + b"\x00") and ob3 is None:
                ob3 = _itxt_text(content)
            elif kind == b"tEXt" and content.startswith(OB2_PNG_KEYWORD + b"\x00") and ob2 is None:
                ob2 = content.partition(b"\x00")[2].decode("latin-1")
    except (png.FormatError, png.ChunkError, IndexError, zlib.error, UnicodeDecodeError) as exc:
        raise BakingError(f"the PNG is damaged: {exc}") from None
    return Unbaked(ob2, ob3)


def _unbake_svg(data: bytes) -> Unbaked:
    try:
        root = SafeElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises several kinds for hostile or broken XML
        raise BakingError(f"the SVG cannot be read: {exc}") from None
    ob2 = ob3 = None
    assertion = root.find(f"{{{OB2_SVG_NS}}}assertion")
    if assertion is not None:
        ob2 = (assertion.text or "").strip() or assertion.get("verify")
    credential = root.find(f"{{{OB3_SVG_NS}}}credential")
    if credential is not None:
        ob3 = credential.get("verify") or (credential.text or "").strip()
    return Unbaked(ob2, ob3)
