"""Evidence files: checked by their content, then stored atomically under generated names (lms.storage)."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from ..storage import BlobStore

CHUNK = 1024 * 1024
SNIFF_BYTES = 8192

# What evidence may be, by detected content type: (kind shown to people, extension for downloads).
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALLOWED_TYPES = {
    "application/pdf": ("PDF document", "pdf"),
    DOCX: ("Word document", "docx"),
    "application/msword": ("Word document", "doc"),
    "application/vnd.oasis.opendocument.text": ("OpenDocument text", "odt"),
    "image/jpeg": ("JPEG image", "jpg"),
    "image/png": ("PNG image", "png"),
    "image/gif": ("GIF image", "gif"),
    "image/webp": ("WebP image", "webp"),
    "image/heic": ("HEIC photo", "heic"),
    "audio/mpeg": ("MP3 audio", "mp3"),
    "audio/mp4": ("M4A audio", "m4a"),
    "audio/ogg": ("Ogg audio", "ogg"),
    "audio/x-wav": ("WAV audio", "wav"),
    "video/mp4": ("MP4 video", "mp4"),
    "video/quicktime": ("QuickTime video", "mov"),
    "video/webm": ("WebM video", "webm"),
}
ACCEPTED_DESCRIPTION = "PDF, Word (.docx, .doc), OpenDocument text, images (JPEG, PNG, GIF, WebP, HEIC), " \
                       "audio (MP3, M4A, Ogg, WAV) or video (MP4, MOV, WebM)"


class UploadRejected(ValueError):
    """An upload that cannot be kept; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class StoredFile:
    """A file written to storage: its key, what it is, and its fingerprint."""

    key: str
    content_type: str
    kind: str
    extension: str
    size: int
    sha256: str


def detect_type(head: bytes) -> str | None:
    """The content type the bytes really are, whatever the file is called; None when unknown."""
    kind = filetype.guess(head)
    return kind.mime if kind else None


class EvidenceStore:
    """Evidence files checked by their content, then kept in a blob store (local folder or S3)."""

    def __init__(self, blobs: BlobStore, scratch: Path, max_bytes: int):
        self.blobs = blobs
        self.scratch = Path(scratch)  # local disk where an upload is checked before it is stored
        self.max_bytes = max_bytes

    def open(self, key: str) -> BinaryIO:
        """The stored bytes of ``key`` as a stream; FileNotFoundError when they are gone."""
        return self.blobs.open(key)

    def exists(self, key: str) -> bool:
        """True when the bytes of ``key`` are stored."""
        return self.blobs.exists(key)

    def save(self, stream: BinaryIO, filename: str) -> StoredFile:
        """Check and store one upload; raises UploadRejected with a reason a teacher understands."""
        name = filename or "the file"
        head = stream.read(SNIFF_BYTES)
        if not head:
            raise UploadRejected(f"“{name}” is empty.")
        content_type = detect_type(head)
        if content_type == "application/zip" and name.lower().endswith(".docx"):
            # Some writers order a .docx archive so that its first bytes look like any ZIP;
            # the whole archive is checked for word/document.xml once it is written.
            content_type = DOCX
        if content_type not in ALLOWED_TYPES:
            found = f" It looks like {content_type}." if content_type else ""
            raise UploadRejected(f"“{name}” is not a file type we accept.{found} Please upload {ACCEPTED_DESCRIPTION}.")
        kind, extension = ALLOWED_TYPES[content_type]
        key = secrets.token_hex(16)
        self.scratch.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.scratch, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                chunk = head
                while chunk:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadRejected(f"“{name}” is larger than {self.max_bytes // (1024 * 1024)} MB, "
                                             f"the limit for one file. Try a shorter recording or a smaller export.")
                    digest.update(chunk)
                    out.write(chunk)
                    chunk = stream.read(CHUNK)
                out.flush()
                os.fsync(out.fileno())
            if extension == "docx":
                _check_docx(tmp_name, name)
            self.blobs.put(key, Path(tmp_name))  # atomic: a reader sees the whole file or none
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return StoredFile(key, content_type, kind, extension, size, digest.hexdigest())

    def delete(self, key: str) -> None:
        """Remove stored bytes (when no version refers to them any more)."""
        self.blobs.delete(key)


def _check_docx(path: str, name: str) -> None:
    """A .docx is a ZIP; make sure it really is a readable Word document."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "word/document.xml" not in archive.namelist():
                raise UploadRejected(f"“{name}” is a ZIP archive, not a Word document.")
    except zipfile.BadZipFile:
        raise UploadRejected(f"“{name}” is damaged: it could not be opened as a Word document.") from None
