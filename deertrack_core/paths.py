"""Image paths as stored: relative to ``DEERTRACK_DATA_ROOT`` when the photo lies under it
(so an archive can move), absolute otherwise."""

from __future__ import annotations

from pathlib import Path

from deertrack_core import settings


def to_stored(path: Path, root: Path | None = None) -> str:
    """The string stored in ``images.path`` for a file on disk (POSIX separators)."""
    root = (root or settings.data_root()).resolve()
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return resolved.as_posix()


def resolve(stored: str, root: Path | None = None) -> Path:
    """The file on disk for a stored ``images.path``."""
    p = Path(stored)
    if p.is_absolute():
        return p
    return (root or settings.data_root()) / p
