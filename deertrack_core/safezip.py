"""Unpacking an uploaded zip without letting it fill the disk or write outside its folder.

A zip says how big its members are before anything is unpacked, so most attacks are refused from
the central directory alone: too many members, too many bytes (more than the limit or than the
free disk), an expansion ratio no photo archive has (photos barely compress; a zip bomb expands a
thousandfold), a member named outside the folder, a link, a password. The directory can lie, so
the bytes actually written are counted as well, and a member that writes more than it declared
stops the unpacking. Whatever stops it, everything it wrote is removed again.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from deertrack_core import settings
from deertrack_core.errors import IngestError

#: Members smaller than this are not held to the ratio (a small CSV may compress 100:1).
RATIO_FLOOR = 1 << 20
CHUNK = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    max_bytes: int
    max_files: int
    max_ratio: float

    @classmethod
    def from_settings(cls) -> ZipLimits:
        return cls(
            settings.unzip_max_bytes(), settings.unzip_max_files(), settings.unzip_max_ratio()
        )


def _size(data: BinaryIO | Path | str) -> int:
    if isinstance(data, str | Path):
        return os.path.getsize(data)
    here = data.tell()
    end = data.seek(0, os.SEEK_END)
    data.seek(here)
    return end


def _declared_entries(data: BinaryIO | Path | str) -> int | None:
    """The member count of the end-of-central-directory record, read before the directory
    itself is parsed (a directory of millions of entries is itself an attack on memory)."""
    try:
        if isinstance(data, str | Path):
            with open(data, "rb") as fp:
                record = zipfile._EndRecData(fp)  # noqa: SLF001 - the stdlib's own EOCD reader
        else:
            here = data.tell()
            record = zipfile._EndRecData(data)  # noqa: SLF001
            data.seek(here)
    except (OSError, AttributeError):
        return None
    return None if not record else int(record[zipfile._ECD_ENTRIES_TOTAL])  # noqa: SLF001


def _refuse(problem: str, fix: str = "") -> IngestError:
    return IngestError(
        problem, fix or "Upload a zip of the photo folder itself, or copy the photos to the server."
    )


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _check(infos: list[zipfile.ZipInfo], packed: int, folder: Path, limits: ZipLimits) -> int:
    """Refuse the archive from its directory; return the bytes it declares."""
    files = [i for i in infos if not i.is_dir()]
    if len(infos) > limits.max_files:
        raise _refuse(
            f"The zip holds {len(infos)} entries; at most {limits.max_files} are unpacked.",
            "Split it into smaller zips (DEERTRACK_UNZIP_MAX_FILES sets the limit).",
        )
    root = folder.resolve()
    for info in infos:
        name = info.filename
        target = (folder / name).resolve()
        if "\x00" in name or (root not in target.parents and target != root):
            raise _refuse(
                f"The zip holds a path outside its folder: {name[:200]!r}.",
                "Zip the photo folder itself, without absolute or '..' paths.",
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(f"The zip holds a symbolic link: {name[:200]!r}; links are not unpacked.")
        if info.flag_bits & 0x1:
            raise _refuse(
                f"The zip is encrypted ({name[:200]!r}).", "Upload it without a password."
            )
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _refuse(
                f"{name[:200]!r} would expand from {_mib(info.compress_size)} to "
                f"{_mib(info.file_size)} (more than {limits.max_ratio:g} times): that is a zip "
                "bomb, not photos.",
            )
    total = sum(i.file_size for i in files)
    if total > limits.max_bytes:
        raise _refuse(
            f"The zip would expand to {_mib(total)}; at most {_mib(limits.max_bytes)} are unpacked.",
            "Split it, or copy the photos to the server (DEERTRACK_UNZIP_MAX_BYTES sets the limit).",
        )
    if total > RATIO_FLOOR and total > limits.max_ratio * max(packed, 1):
        raise _refuse(
            f"The zip would expand from {_mib(packed)} to {_mib(total)} (more than "
            f"{limits.max_ratio:g} times): that is a zip bomb, not photos.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if total > free:
        raise _refuse(
            f"The zip would expand to {_mib(total)} but the disk has {_mib(free)} free.",
            "Free some space on the server first.",
        )
    return total


def _unpack(zf: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, budget: int) -> int:
    """Write one member; return the bytes written. Stops when it exceeds what it declared."""
    target = folder / info.filename
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    limit = min(info.file_size, budget)
    # O_EXCL|O_NOFOLLOW: never through a link, never over a file another member wrote.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with zf.open(info) as src, os.fdopen(os.open(target, flags, 0o644), "wb") as dst:
        while piece := src.read(CHUNK):
            written += len(piece)
            if written > limit:
                raise _refuse(
                    f"{info.filename[:200]!r} holds more than it declares: a forged zip.",
                )
            dst.write(piece)
    return written


def extract_zip(data: BinaryIO | Path | str, folder: Path, limits: ZipLimits | None = None) -> int:
    """Unpack the zip ``data`` into ``folder`` (new or empty); return the number of files.

    Raises ``IngestError`` naming the problem and leaves nothing of the zip behind when the zip
    is unreadable, too big, too many files, a bomb, or names paths outside ``folder``.
    """
    limits = limits or ZipLimits.from_settings()
    folder = Path(folder)
    entries = _declared_entries(data)
    if entries is not None and entries > limits.max_files:
        raise _refuse(
            f"The zip holds {entries} entries; at most {limits.max_files} are unpacked.",
            "Split it into smaller zips (DEERTRACK_UNZIP_MAX_FILES sets the limit).",
        )
    existed = set(folder.iterdir()) if folder.is_dir() else set()
    try:
        with zipfile.ZipFile(data) as zf:
            infos = zf.infolist()
            budget = _check(infos, _size(data), folder, limits)
            count = 0
            for info in infos:
                budget -= _unpack(zf, info, folder, budget)
                count += not info.is_dir()
            return count
    except zipfile.BadZipFile as exc:
        _remove_new(folder, existed)
        raise IngestError(
            f"The uploaded file is not a readable zip archive ({exc}).",
            "Upload a .zip of the photo folder, or give a folder on the server instead.",
        ) from exc
    except (NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as exc:
        _remove_new(folder, existed)
        raise _refuse(f"The zip cannot be unpacked ({exc}).") from exc
    except BaseException:
        _remove_new(folder, existed)
        raise


def _remove_new(folder: Path, existed: set[Path]) -> None:
    """Remove what unpacking added to ``folder`` (nothing half-written stays behind)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path in existed:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
