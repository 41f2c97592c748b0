"""Image paths as stored: relative to ``DEERTRACK_DATA_ROOT`` when the photo lies under it
(so an archive can move), absolute otherwise.

A file name that is not valid UTF-8 (a card written by an old camera, a Latin-1 folder name)
reaches Python with each stray byte as a lone surrogate (PEP 383), which no database can store.
:func:`storable` maps those to the private-use characters U+F780–U+F7FF and :func:`resolve` maps
them back, so such a photo is stored, shown (as an odd glyph) and opened again. Real names never
hold those private-use characters (Apple reserves them for function-key codes).
"""

from __future__ import annotations

import re
from pathlib import Path

from deertrack_core import settings
from deertrack_core.errors import IngestError

_SURROGATE = re.compile("[\udc80-\udcff]")
_ESCAPED = re.compile("[\uf780-\uf7ff]")


def storable(text: str) -> str:
    """``text`` with undecodable file-name bytes as private-use characters (valid UTF-8)."""
    return _SURROGATE.sub(lambda m: chr(ord(m.group()) - 0xDC00 + 0xF700), text)


def from_storable(text: str) -> str:
    """The file-system string of a :func:`storable` one (inverse mapping)."""
    return _ESCAPED.sub(lambda m: chr(ord(m.group()) - 0xF700 + 0xDC00), text)


def is_utf8(text: str) -> bool:
    """Whether a file-system string came from a valid UTF-8 name."""
    return _SURROGATE.search(text) is None


def to_stored(path: Path, root: Path | None = None) -> str:
    """The string stored in ``images.path`` for a file on disk (POSIX separators)."""
    root = (root or settings.data_root()).resolve()
    resolved = Path(path).resolve()
    try:
        return storable(resolved.relative_to(root).as_posix())
    except ValueError:
        return storable(resolved.as_posix())


def resolve(stored: str, root: Path | None = None) -> Path:
    """The file on disk for a stored ``images.path``."""
    p = Path(from_storable(stored))
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
