"""Problems found in content files, reported as ``path:line: message``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a content file, located by path and 1-based line."""

    path: str
    line: int
    message: str
    # Errors make content unusable and stop the app; warnings are quality rules that
    # `content check` enforces but a running app can live with.
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def display_path(path: Path | str) -> str:
    """The path as a person would type it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)
