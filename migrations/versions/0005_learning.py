"""issue 9: model versions, thresholds that follow the evidence, suggestions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Allocated in advance so that parallel work on the open issues keeps one linear history; a revision
whose issue adds no schema stays empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
