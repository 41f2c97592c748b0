"""issue 8: detectors, species gate, data-bar times, hardened ingest

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

* deployments.span_declared: start/end given by a person (photos never widen them).
* images.time_problem: why a photo's time cannot be trusted (kept out of effort and activity).
* detections: species_source / species_score / species_taxonomy (the species gate) and
  repeat_group_id (repeat-detection elimination).
* species_labels (one row per detection and source), detector_passes (which model saw which
  photo), repeat_groups (suspected static boxes), species_classifiers (target / not-target).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "repeat_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("x", sa.Double(), nullable=False),
        sa.Column("y", sa.Double(), nullable=False),
        sa.Column("w", sa.Double(), nullable=False),
        sa.Column("h", sa.Double(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repeat_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repeat_groups_deployment_id"), ["deployment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repeat_groups_status"), ["status"], unique=False)

    op.create_table(
        "species_labels",
        sa.Column("id", BigIntPK, nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("taxonomy", sa.String(length=400), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["detection_id"], ["detections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("detection_id", "source", name="uq_species_labels_detection_source"),
    )
    with op.batch_alter_table("species_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_species_labels_detection_id"), ["detection_id"], unique=False
        )

    op.create_table(
        "detector_passes",
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("boxes", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id", "model"),
    )

    op.create_table(
        "species_classifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("targets", sa.String(length=400), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("negatives", sa.Integer(), nullable=False),
        sa.Column("cv_accuracy", sa.Double(), nullable=False),
        sa.Column("cv_folds", sa.Integer(), nullable=False),
        sa.Column("trained_by", sa.String(length=100), nullable=False),
        sa.Column("trained_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("species_classifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_species_classifiers_trained_at"), ["trained_at"], unique=False
        )

    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("span_declared", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_problem", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_images_time_problem"), ["time_problem"], unique=False)

    with op.batch_alter_table("detections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("species_source", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("species_score", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("species_taxonomy", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("repeat_group_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_detections_repeat_group_id"), ["repeat_group_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_detections_repeat_group_id_repeat_groups",
            "repeat_groups",
            ["repeat_group_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("detections", schema=None) as batch_op:
        batch_op.drop_constraint("fk_detections_repeat_group_id_repeat_groups", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_detections_repeat_group_id"))
        batch_op.drop_column("repeat_group_id")
        batch_op.drop_column("species_taxonomy")
        batch_op.drop_column("species_score")
        batch_op.drop_column("species_source")

    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_images_time_problem"))
        batch_op.drop_column("time_problem")

    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("span_declared")

    with op.batch_alter_table("species_classifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_species_classifiers_trained_at"))
    op.drop_table("species_classifiers")
    op.drop_table("detector_passes")
    with op.batch_alter_table("species_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_species_labels_detection_id"))
    op.drop_table("species_labels")
    with op.batch_alter_table("repeat_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repeat_groups_status"))
        batch_op.drop_index(batch_op.f("ix_repeat_groups_deployment_id"))
    op.drop_table("repeat_groups")
