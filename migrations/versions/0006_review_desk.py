"""issue 12: box edits and the review desk

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Allocated in advance so that parallel work on the open issues keeps one linear history; a revision
whose issue adds no schema stays empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
