"""initial schema: deployments, images, detections, deer, embeddings, scores, audit, jobs

Revision ID: 0001
Revises:
Create Date: 2026-11-28 16:29:09.417014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corrections_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_corrections_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index("ix_corrections_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_corrections_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "deer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sex_age", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("exemplar_detection_id", sa.Integer(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into"],
            ["deer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deer_merged_into"), ["merged_into"], unique=False)
        batch_op.create_index(batch_op.f("ix_deer_name"), ["name"], unique=False)

    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=200), nullable=False),
        sa.Column("camera", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("start", sa.DateTime(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("clock_offset_s", sa.Float(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("station", "camera", name="uq_deployments_station_camera"),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployments_station"), ["station"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result_path", sa.String(length=1000), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)

    op.create_table(
        "reid_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("goal", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reid_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reid_settings_set_at"), ["set_at"], unique=False)

    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("camera_time", sa.DateTime(), nullable=True),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.Column("time_source", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("orientation", sa.Integer(), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=True),
        sa.Column("species_tag", sa.String(length=200), nullable=True),
        sa.Column("individual_tag", sa.String(length=200), nullable=True),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_images_captured_at"), ["captured_at"], unique=False)
        batch_op.create_index(
            "ix_images_deployment_captured", ["deployment_id", "captured_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_images_deployment_id"), ["deployment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_images_path"), ["path"], unique=False)
        batch_op.create_index(batch_op.f("ix_images_sequence_id"), ["sequence_id"], unique=False)

    op.create_table(
        "detections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("x", sa.Double(), nullable=False),
        sa.Column("y", sa.Double(), nullable=False),
        sa.Column("w", sa.Double(), nullable=False),
        sa.Column("h", sa.Double(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("species", sa.String(length=200), nullable=True),
        sa.Column("sex_age", sa.String(length=16), nullable=False),
        sa.Column("deer_id", sa.Integer(), nullable=True),
        sa.Column("match_score", sa.Double(), nullable=True),
        sa.Column("match_status", sa.String(length=16), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deer_id"],
            ["deer.id"],
        ),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("detections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detections_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_detections_deer_id"), ["deer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_detections_image_id"), ["image_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_detections_match_status"), ["match_status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_detections_track_id"), ["track_id"], unique=False)

    op.create_table(
        "backfill_progress",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["detection_id"], ["detections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "detection_id"),
    )
    op.create_table(
        "embeddings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["detection_id"], ["detections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("detection_id", "model", name="uq_embeddings_detection_model"),
    )
    with op.batch_alter_table("embeddings", schema=None) as batch_op:
        batch_op.create_index("ix_embeddings_model", ["model"], unique=False)

    op.create_table(
        "reid_similarity_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=False),
        sa.Column("deer_id", sa.Integer(), nullable=False),
        sa.Column("similarity_score", sa.Float(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("threshold_used", sa.Double(), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("calculated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deer_id"], ["deer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["detection_id"], ["detections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "run_id", "detection_id", "deer_id", name="uq_scores_run_detection_deer"
        ),
    )
    with op.batch_alter_table("reid_similarity_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reid_similarity_scores_calculated_at"), ["calculated_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reid_similarity_scores_deer_id"), ["deer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reid_similarity_scores_detection_id"), ["detection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reid_similarity_scores_matched"), ["matched"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reid_similarity_scores_similarity_score"),
            ["similarity_score"],
            unique=False,
        )
        batch_op.create_index(
            "ix_scores_matched_score", ["matched", "similarity_score"], unique=False
        )
        batch_op.create_index("ix_scores_model_run", ["model", "run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reid_similarity_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_scores_model_run")
        batch_op.drop_index("ix_scores_matched_score")
        batch_op.drop_index(batch_op.f("ix_reid_similarity_scores_similarity_score"))
        batch_op.drop_index(batch_op.f("ix_reid_similarity_scores_matched"))
        batch_op.drop_index(batch_op.f("ix_reid_similarity_scores_detection_id"))
        batch_op.drop_index(batch_op.f("ix_reid_similarity_scores_deer_id"))
        batch_op.drop_index(batch_op.f("ix_reid_similarity_scores_calculated_at"))

    op.drop_table("reid_similarity_scores")
    with op.batch_alter_table("embeddings", schema=None) as batch_op:
        batch_op.drop_index("ix_embeddings_model")

    op.drop_table("embeddings")
    op.drop_table("backfill_progress")
    with op.batch_alter_table("detections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detections_track_id"))
        batch_op.drop_index(batch_op.f("ix_detections_match_status"))
        batch_op.drop_index(batch_op.f("ix_detections_image_id"))
        batch_op.drop_index(batch_op.f("ix_detections_deer_id"))
        batch_op.drop_index(batch_op.f("ix_detections_category"))

    op.drop_table("detections")
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_images_sequence_id"))
        batch_op.drop_index(batch_op.f("ix_images_path"))
        batch_op.drop_index(batch_op.f("ix_images_deployment_id"))
        batch_op.drop_index("ix_images_deployment_captured")
        batch_op.drop_index(batch_op.f("ix_images_captured_at"))

    op.drop_table("images")
    with op.batch_alter_table("reid_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reid_settings_set_at"))

    op.drop_table("reid_settings")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_kind"))
        batch_op.drop_index(batch_op.f("ix_jobs_created_at"))

    op.drop_table("jobs")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployments_station"))

    op.drop_table("deployments")
    with op.batch_alter_table("deer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deer_name"))
        batch_op.drop_index(batch_op.f("ix_deer_merged_into"))

    op.drop_table("deer")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrections_entity_id"))
        batch_op.drop_index("ix_corrections_entity")
        batch_op.drop_index(batch_op.f("ix_corrections_changed_at"))
        batch_op.drop_index(batch_op.f("ix_corrections_action_id"))

    op.drop_table("corrections")
