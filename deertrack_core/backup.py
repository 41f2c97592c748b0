"""Backup and restore of a whole DeerTrack archive, online, across SQLite and PostgreSQL.

``backup(OUT)`` writes a folder::

    manifest.json          what is inside: revision, tables (rows, checksum), files and their sha256
    tables/<table>.jsonl.gz  every table in the portable form of deertrack_core.tabledump
    database.sqlite        SQLite: an online copy made with SQLite's backup API
    database.pgdump        PostgreSQL: pg_dump --format=custom of the very same snapshot
    photos.jsonl.gz        every photo: stored path, sha256, size, present on disk then
    photos/                the photos themselves (only with ``with_photos``)
    models/                model files named by the settings (a local open_clip checkpoint)

It is consistent while people keep working: the SQLite tables are read from the backup-API copy,
the PostgreSQL tables in one REPEATABLE READ transaction whose snapshot pg_dump shares. It is
written to a hidden folder and renamed at the end, so a folder named OUT is always complete.

``restore(IN)`` loads the portable tables into an **empty** database of either kind (no tables,
or migrated to the backup's revision with no rows), in one transaction that is checked against
the manifest's row counts and checksums before it commits; PostgreSQL sequences are moved past
the restored ids, then the schema is migrated to this version's head. The native dumps are there
for the standard tools (``sqlite3``, ``pg_restore``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deertrack_core import auth, db, migrate
from deertrack_core.backup_extras import copy_models, photo_manifest, restore_photos, settings_now
from deertrack_core.errors import PermissionDeniedError
from deertrack_core.progress import ProgressCallback, noop
from deertrack_core.tabledump import (
    BackupError,
    TableInfo,
    TableSum,
    insert_table,
    reflect,
    table_sum,
    write_table,
)

log = logging.getLogger(__name__)

FORMAT, VERSION = "deertrack-backup", 1


@dataclass(frozen=True)
class BackupSummary:
    path: str
    kind: str
    revision: str | None
    rows: dict[str, int]
    native: str | None
    photos: int
    photos_missing: int
    photos_copied: int
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RestoreSummary:
    kind: str
    revision: str | None
    rows: dict[str, int]
    upgraded_to: str | None
    photos_restored: int = 0
    photos_skipped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def _revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _dump(conn: Connection, work: Path, progress: ProgressCallback) -> dict[str, Any]:
    """Every table of ``conn`` into ``work/tables``; the manifest's tables and photos."""
    meta, infos = reflect(conn)
    (work / "tables").mkdir()
    tables = []
    for n, info in enumerate(infos):
        progress(n, len(infos) + 1, f"table {info.name}")
        path = work / "tables" / f"{info.name}.jsonl.gz"
        sums = write_table(conn, meta.tables[info.name], info, path)
        tables.append(
            {
                **info.as_dict(),
                "rows": sums.rows,
                "checksum": sums.checksum,
                "file": f"tables/{path.name}",
                "sha256": sha256_of(path),
            }
        )
    return {"revision": _revision(conn), "tables": tables}


def _pg_dump(url: sa.URL, snapshot: str, out: Path) -> None:
    """pg_dump of the exported snapshot (the password goes through the environment)."""
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError("pg_dump is not installed.", "apt-get install postgresql-client")
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    cmd = [exe, "--format=custom", "--no-owner", f"--snapshot={snapshot}", "--file", str(out)]
    done = subprocess.run([*cmd, "--dbname", dsn], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}", "See pg_dump's message.")


def backup(
    out: Path,
    *,
    url: str | None = None,
    with_photos: bool = False,
    actor: auth.Actor | None = None,
    progress: ProgressCallback | None = None,
) -> BackupSummary:
    """Back up the database at ``url`` (and optionally its photos) into the new folder ``out``."""
    progress = progress or noop
    engine = db.get_engine(url)
    db.require_schema(engine)
    auth.require_url(url, actor, auth.ADMIN, "back up the database")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} exists and is not empty.", "Give the name of a new folder.")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    warnings: list[str] = []
    try:
        if engine.dialect.name == "sqlite":
            native, content = _backup_sqlite(engine, work, with_photos, progress)
        else:
            native, content = _backup_postgres(engine, work, with_photos, progress, warnings)
        content["photos"]["sha256"] = sha256_of(work / content["photos"]["manifest"])
        models = copy_models(work / "models")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "kind": engine.dialect.name,
            "source": engine.url.render_as_string(hide_password=True),
            "native": native,
            "settings": settings_now(),
            "models": models,
            **content,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    photos = content["photos"]
    progress(1, 1, "done")
    return BackupSummary(
        path=str(out),
        kind=engine.dialect.name,
        revision=content["revision"],
        rows={t["name"]: t["rows"] for t in content["tables"]},
        native=native["file"] if native else None,
        photos=photos["count"],
        photos_missing=photos["missing"],
        photos_copied=photos["copied"],
        warnings=warnings + photos["warnings"],
    )


def _backup_sqlite(engine, work: Path, with_photos: bool, progress) -> tuple[dict, dict]:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.", "Use a database file.")
    copy = work / "database.sqlite"
    progress(0, 1, "copying the database")
    with sqlite3.connect(database) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # SQLite's online backup: a consistent copy while others write
    src.close()
    dst.close()
    snapshot = sa.create_engine(f"sqlite:///{copy}")
    try:
        with snapshot.connect() as conn:
            content = _dump(conn, work, progress)
            content["photos"] = photo_manifest(conn, work, with_photos)
    finally:
        snapshot.dispose()
    return {"file": copy.name, "tool": "sqlite3 backup API", "sha256": sha256_of(copy)}, content


def _backup_postgres(engine, work: Path, with_photos, progress, warnings) -> tuple[dict, dict]:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        native = None
        progress(0, 1, "pg_dump")
        try:
            _pg_dump(engine.url, snapshot, work / "database.pgdump")
            path = work / "database.pgdump"
            native = {"file": path.name, "tool": "pg_dump --format=custom", "sha256": sha256_of(path)}  # fmt: skip
        except BackupError as exc:  # the portable tables are complete without it
            warnings.append(f"no native dump: {exc}")
        content = _dump(conn, work, progress)
        content["photos"] = photo_manifest(conn, work, with_photos)
        conn.rollback()
    return native, content


# --- restore ----------------------------------------------------------------------------------


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of backup ``src`` after checking every file it lists against its sha256."""
    try:
        manifest = json.loads((Path(src) / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(
            f"{src} is not a DeerTrack backup ({exc}).", "Give a folder made by deertrack backup."
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            f"{src} holds a backup of format {manifest.get('format')!r} version "
            f"{manifest.get('version')!r}; this DeerTrack reads {FORMAT!r} version {VERSION}.",
            "Restore it with the DeerTrack version that made it.",
        )
    files = [(t["file"], t["sha256"]) for t in manifest["tables"]]
    files.append((manifest["photos"]["manifest"], manifest["photos"]["sha256"]))
    for name, sha in files:
        path = Path(src) / name
        if not path.is_file() or sha256_of(path) != sha:
            raise BackupError(
                f"{name} of the backup is missing or damaged (checksum differs).",
                "Use another backup; nothing was restored.",
            )
    return manifest


def _prepare_target(url: str | None, revision: str | None) -> None:
    """Refuse a database that holds anything; create the schema at ``revision`` if it has none."""
    engine = db.get_engine(url)
    where = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        full = [t for t in sorted(tables) if conn.execute(sa.text(f'SELECT 1 FROM "{t}" LIMIT 1')).first()]  # fmt: skip
        current = _revision(conn)
    if full:
        raise BackupError(
            f"The database at {where} is not empty (rows in {', '.join(full[:5])}).",
            "Restore into an empty database: create a new one (createdb NAME, or a new SQLite "
            "file) and give it with --url. Nothing was changed.",
        )
    if not tables:
        if revision is None:
            raise BackupError(
                "The backup does not say which schema revision it has.",
                "Create the tables with `deertrack migrate` first, then restore.",
            )
        try:
            migrate.upgrade(url, revision)
        except Exception as exc:  # noqa: BLE001 - alembic names an unknown revision many ways
            raise BackupError(
                f"Cannot create the schema at revision {revision} ({exc}).",
                "This backup was made by a newer DeerTrack: restore it with that version.",
            ) from exc
    elif current != revision:
        raise BackupError(
            f"The empty database is at schema revision {current}; the backup is at {revision}.",
            "Restore into a database with no tables at all; it gets the backup's schema.",
        )


def _move_sequences(conn: Connection, target: sa.MetaData, infos: list[TableInfo]) -> None:
    """PostgreSQL: the next id of each table comes after the restored ones."""
    quote = conn.dialect.identifier_preparer.quote
    for info in infos:
        if len(info.primary_key) != 1 or dict(info.columns)[info.primary_key[0]] != "int":
            continue
        col = info.primary_key[0]
        seq = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quote(info.name), "c": col}
        ).scalar()
        if seq:
            top = conn.execute(sa.text(f"SELECT MAX({quote(col)}) FROM {quote(info.name)}")).scalar()  # fmt: skip
            conn.execute(
                sa.text("SELECT setval(:s, :v, :called)"),
                {"s": seq, "v": top or 1, "called": top is not None},
            )


def restore(
    src: Path,
    *,
    url: str | None = None,
    photos_to: Path | None = None,
    actor: auth.Actor | None = None,
    progress: ProgressCallback | None = None,
) -> RestoreSummary:
    """Restore backup ``src`` into the empty database at ``url``; all or nothing."""
    progress = progress or noop
    if actor is not None and actor.kind == "user":
        raise PermissionDeniedError(
            "A database is restored on the server, not through the dashboard or the API.",
            "Run `deertrack restore` there.",
        )
    src = Path(src)
    manifest = read_manifest(src)
    revision = manifest.get("revision")
    _prepare_target(url, revision)
    engine = db.get_engine(url)
    infos = {t["name"]: _info(t) for t in manifest["tables"]}
    rows: dict[str, int] = {}
    with engine.begin() as conn:
        target, _ = reflect(conn)
        missing = sorted(set(infos) - set(target.tables))
        for name in set(infos) & set(target.tables):
            if [c.name for c in target.tables[name].columns] != [n for n, _ in infos[name].columns]:  # fmt: skip
                missing.append(f"{name} (columns differ)")
        if missing:
            raise BackupError(
                f"The new schema lacks {', '.join(missing)}.", "Restore with the same version."
            )
        order = [t for t in target.sorted_tables if t.name in infos]
        for n, table in enumerate(order):
            progress(n, 2 * len(order), f"loading {table.name}")
            rows[table.name] = insert_table(conn, table, infos[table.name], src / f"tables/{table.name}.jsonl.gz")  # fmt: skip
        for n, table in enumerate(order):
            progress(len(order) + n, 2 * len(order), f"checking {table.name}")
            _check(conn, table, infos[table.name], manifest)
        if conn.dialect.name == "postgresql":
            _move_sequences(conn, target, list(infos.values()))
    head = migrate.head_revision()
    upgraded = None
    if revision is not None and revision != head:
        migrate.upgrade(url)
        upgraded = head
    restored = skipped = 0
    if photos_to is not None:
        restored, skipped = restore_photos(src, Path(photos_to))
    progress(1, 1, "done")
    return RestoreSummary(engine.dialect.name, revision, rows, upgraded, restored, skipped)


def _info(table: dict[str, Any]) -> TableInfo:
    return TableInfo(
        table["name"], tuple(tuple(c) for c in table["columns"]), tuple(table["primary_key"])
    )


def _check(conn: Connection, table: sa.Table, info: TableInfo, manifest: dict) -> None:
    want = next(t for t in manifest["tables"] if t["name"] == table.name)
    got: TableSum = table_sum(conn, table, info)
    if (got.rows, got.checksum) != (want["rows"], want["checksum"]):
        raise BackupError(
            f"Table {table.name} differs after loading ({got.rows} rows, {want['rows']} in the "
            "backup); nothing was restored.",
            "Report this with the backup's manifest.json.",
        )


def database_sums(url: str | None = None) -> dict[str, TableSum]:
    """Row count and checksum of every table (what a backup records and a restore checks)."""
    with db.get_engine(url).connect() as conn:
        meta, infos = reflect(conn)
        return {i.name: table_sum(conn, meta.tables[i.name], i) for i in infos}


__all__ = ["BackupSummary", "RestoreSummary", "backup", "database_sums", "restore"]
