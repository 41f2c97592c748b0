"""issue 12: box edits and the review desk

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Allocated in advance so that parallel work on the open issues keeps one linear history; a revision
whose issue adds no schema stays empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # issue 12, house: a job's error apart from its message (the Redis store already kept it).
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
    # issue 12, desk: cached visibility of a detection (best-visible exemplars first).
    with op.batch_alter_table("detections") as batch:
        batch.add_column(sa.Column("visibility", sa.Float(), nullable=True))
    # issue 12, desk: worker heartbeats (is anyone there to run a queued job?).
    op.create_table(
        "workers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_workers_beat_at", "workers", ["beat_at"])


def downgrade() -> None:
    # Tolerant of a database that reached 0006 before desk's part of it existed (main had only
    # jobs.error here for a while): `deertrack migrate --downgrade --revision 0005` and then
    # `deertrack migrate` bring such a database to the whole of 0006.
    inspector = sa.inspect(op.get_bind())
    if "workers" in inspector.get_table_names():
        op.drop_index("ix_workers_beat_at", table_name="workers")
        op.drop_table("workers")
    if "visibility" in {c["name"] for c in inspector.get_columns("detections")}:
        with op.batch_alter_table("detections") as batch:
            batch.drop_column("visibility")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("error")
