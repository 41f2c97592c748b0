"""Image paths as stored: relative to ``DEERTRACK_DATA_ROOT`` when the photo lies under it
(so an archive can move), absolute otherwise."""

from __future__ import annotations

from pathlib import Path

from deertrack_core import settings
from deertrack_core.errors import IngestError


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


def within_data_root(path: Path, what: str, root: Path | None = None) -> Path:
    """``path`` resolved (links followed), or ``IngestError`` when it lies outside the data root.

    Folders and files named through a server (the dashboard, the API, a job) must pass this, so
    nobody can make the server read its other files."""
    root = (root or settings.data_root()).resolve()
    resolved = Path(path).expanduser().resolve()
    if resolved == root or root in resolved.parents:
        return resolved
    raise IngestError(
        f"{what} {path} is outside the data root {root}.",
        f"Move or copy it under DEERTRACK_DATA_ROOT ({root}); a link pointing outside is not "
        "followed. Or have the server's admin set DEERTRACK_DATA_ROOT to a folder that holds it.",
    )


def links_outside(files: list[Path], root: Path | None = None) -> set[Path]:
    """The files among ``files`` that are symbolic links to something outside the data root."""
    root = (root or settings.data_root()).resolve()
    out = set()
    for f in files:
        if f.is_symlink():
            target = f.resolve()
            if root not in target.parents:
                out.add(f)
    return out
