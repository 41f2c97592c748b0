"""SQLAlchemy 2 typed models: the DeerTrack data model (see DESIGN.md).

Times are stored as naive UTC-less local camera times (what the camera says, corrected by the
deployment's clock offset); the deployment's ``timezone`` says where that clock was.
Bounding boxes are normalised ``x, y, w, h`` with a top-left origin, as MegaDetector and
Camtrap DP write them.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigIntPK = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class MatchStatus(enum.StrEnum):
    """Where a detection's identity came from."""

    PENDING = "pending"  # not matched yet
    AUTO = "auto"  # matched by the machine at or above the threshold
    PROPOSED = "proposed"  # below the threshold: a candidate list awaits a reviewer
    NEW = "new"  # the machine created a new individual for it
    CONFIRMED = "confirmed"  # a reviewer agreed with the machine
    CORRECTED = "corrected"  # a reviewer chose another deer (or a new one)
    REJECTED = "rejected"  # a reviewer said it is not a deer (false detection)

    @classmethod
    def reviewed(cls) -> tuple[MatchStatus, ...]:
        return (cls.CONFIRMED, cls.CORRECTED, cls.REJECTED)


class SexAge(enum.StrEnum):
    BUCK = "buck"
    DOE = "doe"
    FAWN = "fawn"
    UNKNOWN = "unknown"


class Deployment(Base):
    """A camera at a station over a period."""

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(primary_key=True)
    station: Mapped[str] = mapped_column(String(200), index=True)
    camera: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    start: Mapped[dt.datetime | None]
    end: Mapped[dt.datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    clock_offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    # start/end were declared (deployments CSV, a person): photos never widen them, and a photo
    # outside them is flagged instead. Otherwise start/end follow the plausible photos.
    span_declared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    images: Mapped[list[Image]] = relationship(back_populates="deployment")

    __table_args__ = (UniqueConstraint("station", "camera", name="uq_deployments_station_camera"),)

    @property
    def label(self) -> str:
        return f"{self.station}/{self.camera}" if self.camera else self.station


class Image(Base):
    """One photo file. ``sha256`` is unique: ingesting the same file twice is a no-op."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    path: Mapped[str] = mapped_column(String(1000), index=True)  # relative to the data root
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the camera's clock said (EXIF DateTimeOriginal or a file-name pattern), uncorrected.
    camera_time: Mapped[dt.datetime | None]
    # camera_time shifted by the deployment's clock offset: the time used everywhere else.
    captured_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # exif | filename | databar (OCR of the burned-in bar) | manual | none
    time_source: Mapped[str] = mapped_column(String(16), default="exif")
    # Why captured_at cannot be trusted (before 1990, in the future, outside the deployment);
    # such photos stay out of effort and activity until their time is corrected.
    time_problem: Mapped[str | None] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    orientation: Mapped[int] = mapped_column(default=1)  # EXIF orientation tag, 1 = upright
    make: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    sequence_id: Mapped[int | None] = mapped_column(index=True)  # burst: same camera, seconds apart
    species_tag: Mapped[str | None] = mapped_column(String(200))  # ground truth from XMP/folders
    individual_tag: Mapped[str | None] = mapped_column(String(200))  # ground truth from XMP
    ingested_at: Mapped[dt.datetime] = mapped_column(default=_now)

    deployment: Mapped[Deployment] = relationship(back_populates="images")
    detections: Mapped[list[Detection]] = relationship(back_populates="image")

    __table_args__ = (Index("ix_images_deployment_captured", "deployment_id", "captured_at"),)


class Deer(Base):
    """An individual animal."""

    __tablename__ = "deer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    sex_age: Mapped[str] = mapped_column(String(16), default=SexAge.UNKNOWN.value)
    notes: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[dt.datetime | None]
    last_seen: Mapped[dt.datetime | None]
    # A soft pointer (no foreign key: deer and detections would reference each other); readers
    # fall back to the deer's best-scoring detection when it is gone.
    exemplar_detection_id: Mapped[int | None]
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("deer.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class Detection(Base):
    """An animal (or person/vehicle) box on an image, and what we know of who it is."""

    __tablename__ = "detections"

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    x: Mapped[float]
    y: Mapped[float]
    w: Mapped[float]
    h: Mapped[float]
    confidence: Mapped[float] = mapped_column(default=1.0)
    category: Mapped[str] = mapped_column(String(16), default="animal", index=True)
    source: Mapped[str] = mapped_column(String(64), default="megadetector")
    species: Mapped[str | None] = mapped_column(String(200))
    # Where ``species`` came from (speciesnet, megadetector, tag, classifier, reviewer), its
    # score, and its taxonomy as ";class;order;family;genus;species;common name;" in lower case
    # (what the species gate matches); see deertrack_core.species.
    species_source: Mapped[str | None] = mapped_column(String(32))
    species_score: Mapped[float | None]
    species_taxonomy: Mapped[str | None] = mapped_column(String(400))
    # A box that recurs at the same place on many photos of one camera (a stump, a rock).
    repeat_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("repeat_groups.id", ondelete="SET NULL"), index=True
    )
    sex_age: Mapped[str] = mapped_column(String(16), default=SexAge.UNKNOWN.value)
    deer_id: Mapped[int | None] = mapped_column(ForeignKey("deer.id"), index=True)
    match_score: Mapped[float | None]
    match_status: Mapped[str] = mapped_column(
        String(16), default=MatchStatus.PENDING.value, index=True
    )
    # Top candidates of the latest match decision: [{"deer_id": int, "score": float}, ...]
    candidates: Mapped[list[Any] | None]
    # Boxes of one animal across the frames of a burst share a track id (one decision for all).
    track_id: Mapped[int | None] = mapped_column(index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    version: Mapped[int] = mapped_column(default=1)
    # How well the animal can be seen (deertrack_core.visibility): a cache computed on demand from
    # the photo, reset when the box changes; never a reason to bump ``version``.
    visibility: Mapped[float | None] = mapped_column(Float)

    image: Mapped[Image] = relationship(back_populates="detections")
    deer: Mapped[Deer | None] = relationship(foreign_keys=[deer_id])

    # Optimistic locking: an UPDATE whose version no longer matches raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}


class Embedding(Base):
    """A detection's embedding under one model, cached so nothing is embedded twice."""

    __tablename__ = "embeddings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    detection_id: Mapped[int] = mapped_column(ForeignKey("detections.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(300))
    dim: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (
        UniqueConstraint("detection_id", "model", name="uq_embeddings_detection_model"),
        Index("ix_embeddings_model", "model"),
    )


class ReidSimilarityScore(Base):
    """One (detection, deer) similarity computed by one matching run. Every score is logged."""

    __tablename__ = "reid_similarity_scores"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    detection_id: Mapped[int] = mapped_column(
        ForeignKey("detections.id", ondelete="CASCADE"), index=True
    )
    deer_id: Mapped[int] = mapped_column(ForeignKey("deer.id", ondelete="CASCADE"), index=True)
    similarity_score: Mapped[float] = mapped_column(Float, index=True)
    matched: Mapped[bool] = mapped_column(Boolean, index=True)
    threshold_used: Mapped[float]
    model: Mapped[str] = mapped_column(String(300))
    run_id: Mapped[str] = mapped_column(String(64))
    calculated_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)

    __table_args__ = (
        # Re-running a run (backfill resumes) never writes the same pair twice.
        UniqueConstraint("run_id", "detection_id", "deer_id", name="uq_scores_run_detection_deer"),
        Index("ix_scores_model_run", "model", "run_id"),
        Index("ix_scores_matched_score", "matched", "similarity_score"),
    )


class Correction(Base):
    """Audit log: one row per field a person changed."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))  # "detection", "deer", "deployment", ...
    entity_id: Mapped[int] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64), default="")  # e.g. "confirm", "merge", "undo"
    # One user action may change many rows (a track); they share an action id so undo can revert
    # them together.
    action_id: Mapped[str] = mapped_column(String(64), index=True, default="")
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_corrections_entity", "entity", "entity_id"),)


class ReidSetting(Base):
    """History of the active re-identification model and threshold. The latest row is active."""

    __tablename__ = "reid_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(300))
    threshold: Mapped[float]
    goal: Mapped[str] = mapped_column(String(64), default="")  # e.g. "precision>=0.95"
    evidence: Mapped[dict[str, Any] | None]  # counts, AUC, metrics at the threshold
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)


class Job(Base):
    """Durable record of a background job; also the SQL job-status store."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(
        String(16), index=True
    )  # queued|processing|completed|failed
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    result_path: Mapped[str | None] = mapped_column(String(1000))
    result: Mapped[dict[str, Any] | None]
    attempt: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    # What the job failed of, kept apart from ``message`` (which a late progress write may change).
    error: Mapped[str | None] = mapped_column(Text)


class BackfillProgress(Base):
    """Resumable backfill: which detections of a run have all their scores written."""

    __tablename__ = "backfill_progress"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    detection_id: Mapped[int] = mapped_column(
        ForeignKey("detections.id", ondelete="CASCADE"), primary_key=True
    )
    done_at: Mapped[dt.datetime] = mapped_column(default=_now)


class User(Base):
    """A person who signs in to the dashboard or sends API tokens. ``role`` is viewer, reviewer or
    admin (see deertrack_core.auth); a disabled user can neither sign in nor use a token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, with its own salt
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (
        UniqueConstraint("name", name="uq_users_name"),
        CheckConstraint("role IN ('viewer', 'reviewer', 'admin')", name="ck_users_role"),
    )


class ApiToken(Base):
    """A bearer token of one user for the HTTP API. Only its SHA-256 is stored: the token itself
    is shown once, when it is created."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, for lists
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),)


class ModelVersion(Base):
    """A fine-tuned embedder (issue 9): what it was trained on, how, and how it scored.

    ``file`` is the checkpoint's name inside ``DEERTRACK_MODELS_DIR``; readers resolve it under
    that folder and never follow a path stored here. The embedder name of a version is
    ``version:<name>``; promoting one records that name in ``reid_settings``.
    """

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    base_model: Mapped[str] = mapped_column(String(300))
    file: Mapped[str] = mapped_column(String(200))
    # source, individuals (id/name/crops), crop and identity counts, held-out identities
    training_set: Mapped[dict[str, Any]]
    settings: Mapped[dict[str, Any]]
    # before/after rank-1, rank-5, mAP, ROC AUC per evaluation split; training time
    metrics: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)


class Worker(Base):
    """A running worker's heartbeat (the SQL store; with Redis a key with a TTL instead), so the
    dashboard can tell whether anyone will pick up a queued job."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid
    queue: Mapped[str] = mapped_column(String(64), default="")
    threads: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[dt.datetime] = mapped_column(default=_now)
    beat_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)


class SpeciesLabel(Base):
    """One source's species for one detection (SpeciesNet, a MegaDetector classifier, the photo's
    folder/XMP tag, the deer/not-deer classifier); the best one is copied onto the detection."""

    __tablename__ = "species_labels"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    detection_id: Mapped[int] = mapped_column(
        ForeignKey("detections.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    taxonomy: Mapped[str | None] = mapped_column(String(400))
    score: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (
        UniqueConstraint("detection_id", "source", name="uq_species_labels_detection_source"),
    )


class DetectorPass(Base):
    """A detector model has looked at a photo (whether or not it found anything): a second run
    of the same model skips it, and a killed run resumes after the last stored batch."""

    __tablename__ = "detector_passes"

    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    boxes: Mapped[int] = mapped_column(default=0)
    seen_at: Mapped[dt.datetime] = mapped_column(default=_now)


class RepeatGroup(Base):
    """Boxes at nearly the same place on many photos of one camera: a suspected static object."""

    __tablename__ = "repeat_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), index=True
    )
    x: Mapped[float]
    y: Mapped[float]
    w: Mapped[float]
    h: Mapped[float]
    photos: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="suspected", index=True)
    found_at: Mapped[dt.datetime] = mapped_column(default=_now)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None]


class SpeciesClassifier(Base):
    """A target / not-target classifier fitted on a user's own labels over cached embeddings."""

    __tablename__ = "species_classifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(300))  # the embedder whose vectors it reads
    targets: Mapped[str] = mapped_column(String(400))  # DEERTRACK_TARGET_SPECIES when fitted
    weights: Mapped[bytes] = mapped_column(LargeBinary)  # float32 coefficients, then intercept
    dim: Mapped[int]
    positives: Mapped[int]
    negatives: Mapped[int]
    cv_accuracy: Mapped[float]
    cv_folds: Mapped[int]
    trained_by: Mapped[str] = mapped_column(String(100))
    trained_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)


__all__ = [
    "ApiToken",
    "Base",
    "BackfillProgress",
    "Correction",
    "Deer",
    "Deployment",
    "Detection",
    "DetectorPass",
    "Embedding",
    "Image",
    "Job",
    "MatchStatus",
    "ModelVersion",
    "ReidSetting",
    "ReidSimilarityScore",
    "RepeatGroup",
    "SexAge",
    "SpeciesClassifier",
    "SpeciesLabel",
    "User",
    "Worker",
]
