"""A portable dump of database tables: one gzipped JSON-lines file per table, and checksums.

The same bytes come out of SQLite and PostgreSQL for the same rows, so a dump taken from one kind
loads into the other, and "nothing lost" is a checksum comparison:

* rows in primary-key order (strings compared bytewise: ``COLLATE "C"`` on PostgreSQL, SQLite's
  own order is bytewise already);
* each row one JSON array of its values in column order: datetimes in ISO form, bytes in
  base64, decimals as strings, and JSON columns as the **text** stored (read with a cast, so JSON
  ``null`` and SQL ``NULL`` stay apart and key order is kept);
* a table's checksum is the SHA-256 of its lines.

Columns are described by a *kind* (int, float, str, bool, datetime, date, bytes, decimal, json),
read from the database itself, so every table is covered, including ones added later.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deertrack_core.errors import DeertrackError

BATCH = 5000
SKIPPED_TABLES = ("alembic_version",)


class BackupError(DeertrackError):
    """A backup cannot be made or restored; nothing was changed."""


def kind_of(column_type: sa.types.TypeEngine) -> str:
    """The portable kind of a column type (reflected from either database)."""
    order: tuple[tuple[type, str], ...] = (
        (sa.JSON, "json"),
        (sa.LargeBinary, "bytes"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Boolean, "bool"),
        (sa.Float, "float"),  # before Numeric: Float is a Numeric
        (sa.Numeric, "decimal"),
        (sa.Integer, "int"),
        (sa.String, "str"),  # Text is a String
    )
    for cls, kind in order:
        if isinstance(column_type, cls):
            return kind
    raise BackupError(
        f"Column type {column_type!r} has no portable form.",
        "Teach deertrack_core.tabledump.kind_of about it.",
    )


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, kind)
    primary_key: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": [list(c) for c in self.columns],
            "primary_key": list(self.primary_key),
        }


def reflect(conn: Connection) -> tuple[sa.MetaData, list[TableInfo]]:
    """The database's tables in dependency order (a table after those it refers to)."""
    meta = sa.MetaData()
    meta.reflect(bind=conn)
    infos = [
        TableInfo(
            t.name,
            tuple((c.name, kind_of(c.type)) for c in t.columns),
            tuple(c.name for c in t.primary_key.columns),
        )
        for t in meta.sorted_tables
        if t.name not in SKIPPED_TABLES
    ]
    return meta, infos


def _select(conn: Connection, table: sa.Table, info: TableInfo) -> sa.Select:
    cols = []
    for name, kind in info.columns:
        col = table.c[name]
        cols.append(sa.cast(col, sa.Text).label(name) if kind == "json" else col)
    postgres = conn.dialect.name == "postgresql"
    order = []
    for name in info.primary_key or tuple(n for n, _ in info.columns):
        col = table.c[name]
        kind = dict(info.columns)[name]
        order.append(col.collate("C") if postgres and kind in ("str", "json") else col)
    return sa.select(*cols).order_by(*order)


def encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime" or kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "decimal":
        return str(value)
    if kind == "bool":
        return bool(value)
    return value


def decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def lines(conn: Connection, table: sa.Table, info: TableInfo) -> Iterator[str]:
    """The table's rows as dump lines, in the canonical order."""
    kinds = [k for _, k in info.columns]
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        _select(conn, table, info)
    )
    for row in result:
        values = [encode(v, k) for v, k in zip(row, kinds, strict=True)]
        yield json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class TableSum:
    rows: int
    checksum: str


def write_table(conn: Connection, table: sa.Table, info: TableInfo, path: Path) -> TableSum:
    digest, rows = hashlib.sha256(), 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as out:
        for line in lines(conn, table, info):
            digest.update(line.encode())
            out.write(line)
            rows += 1
    return TableSum(rows, digest.hexdigest())


def table_sum(conn: Connection, table: sa.Table, info: TableInfo) -> TableSum:
    """Row count and checksum of a table as it is in the database now."""
    digest, rows = hashlib.sha256(), 0
    for line in lines(conn, table, info):
        digest.update(line.encode())
        rows += 1
    return TableSum(rows, digest.hexdigest())


def read_rows(path: Path, info: TableInfo) -> Iterator[list[dict[str, Any]]]:
    """The rows of a dump file in batches of dicts ready to insert (JSON columns as text)."""
    names = [n for n, _ in info.columns]
    kinds = [k for _, k in info.columns]
    batch: list[dict[str, Any]] = []
    with gzip.open(path, "rt", encoding="utf-8") as src:
        for text in src:
            values = json.loads(text)
            if len(values) != len(names):
                raise BackupError(
                    f"{path.name} has a row of {len(values)} values for {len(names)} columns.",
                    "The backup is damaged; use another one.",
                )
            batch.append({n: decode(v, k) for n, v, k in zip(names, values, kinds, strict=True)})
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def insert_table(conn: Connection, target: sa.Table, info: TableInfo, path: Path) -> int:
    """Load a dump file into ``target``; JSON columns take the stored text as it was, and a column
    referring to its own table is filled in a second pass (its rows may come in any order)."""
    kinds = dict(info.columns)
    self_refs = {
        fk.parent.name for fk in target.foreign_keys if fk.column.table.name == target.name
    }
    loose = sa.Table(
        target.name,
        sa.MetaData(),
        *[
            sa.Column(c.name, sa.Text() if kinds[c.name] == "json" else c.type)
            for c in target.columns
        ],
    )
    pk = [loose.c[n] for n in info.primary_key]
    rows = 0
    later: list[dict[str, Any]] = []
    for batch in read_rows(path, info):
        if self_refs:
            for row in batch:
                links = {n: row[n] for n in self_refs if row[n] is not None}
                if links:
                    later.append({**{f"pk_{c.name}": row[c.name] for c in pk}, **links})
                    row.update(dict.fromkeys(links))
        conn.execute(sa.insert(loose), batch)
        rows += len(batch)
    where = [c == sa.bindparam(f"pk_{c.name}") for c in pk]
    for name in self_refs:
        fill = [
            {**{f"pk_{c.name}": r[f"pk_{c.name}"] for c in pk}, "link": r[name]}
            for r in later
            if name in r
        ]
        if fill:
            stmt = sa.update(loose).where(*where).values({name: sa.bindparam("link")})
            conn.execute(stmt, fill)
    return rows
