"""Every DeerTrack setting in one list: name, default, help.

Settings are read from ``DEERTRACK_*`` environment variables each time :func:`get` is called, so
tests and scripts can change them with ``monkeypatch.setenv`` without reloading anything. A test
checks that every setting here is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


#: The base folder for the embedded defaults (database, queue, exports): the working directory.
_VAR = "var"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DEERTRACK_DATABASE_URL",
        f"sqlite:///{_VAR}/deertrack.db",
        "SQLAlchemy URL of the database. The default is an embedded SQLite file; use "
        "postgresql+psycopg2://user@host/dbname for a shared server.",
    ),
    Setting(
        "DEERTRACK_REDIS_URL",
        "",
        "Redis URL (redis://host:6379/0). Unset: jobs run on an embedded SqliteHuey queue and job "
        "status lives in the database. Set: RedisHuey queue and job status in Redis (1 h TTL).",
    ),
    Setting(
        "DEERTRACK_DATA_ROOT",
        ".",
        "Folder that image paths are stored relative to, so an archive can move; photos outside it "
        "are stored with absolute paths.",
    ),
    Setting(
        "DEERTRACK_DEVICE",
        "auto",
        "Where models run: auto (CUDA when present, else CPU), cpu or cuda.",
    ),
    Setting(
        "DEERTRACK_EMBEDDER",
        "mobilenetv2-imagenet",
        "Re-identification embedder: mobilenetv2-imagenet (offline, CPU) or "
        "open_clip:<model>[:<pretrained tag or checkpoint path>].",
    ),
    Setting(
        "DEERTRACK_MATCH_THRESHOLD",
        "0.90",
        "Cosine similarity at or above which a detection is matched to a known deer "
        "automatically, until a threshold calibrated on reviewed evidence is applied (Threshold "
        "page or deertrack reid --calibrate), which then wins. Deliberately cautious: a false "
        "merge corrupts every count downstream.",
    ),
    Setting(
        "DEERTRACK_NEW_INDIVIDUALS",
        "propose",
        "What matching does below the threshold: propose (leave for review) or create "
        "(create a new individual automatically).",
    ),
    Setting(
        "DEERTRACK_BURST_SECONDS",
        "10",
        "Photos of one camera taken at most this many seconds apart form one sequence (burst).",
    ),
    Setting(
        "DEERTRACK_EXPORT_DIR",
        f"{_VAR}/exports",
        "Folder where export jobs write their reports.",
    ),
    Setting(
        "DEERTRACK_HUEY_PATH",
        f"{_VAR}/huey.db",
        "SQLite file of the embedded job queue (used when DEERTRACK_REDIS_URL is unset).",
    ),
    Setting(
        "DEERTRACK_API_PORT",
        "8001",
        "Port of the HTTP API (deertrack api).",
    ),
    Setting(
        "DEERTRACK_HUEY_IMMEDIATE",
        "",
        "Set to 1 to run background jobs synchronously in the calling process (in-memory queue, "
        "no worker needed); for tests and debugging.",
    ),
    Setting(
        "DEERTRACK_QUEUE_NAME",
        "deertrack",
        "Name of the job queue; also the prefix of the job-status keys in Redis. Workers and "
        "the dashboard must agree on it.",
    ),
    Setting(
        "DEERTRACK_JOB_HEARTBEAT_S",
        "5",
        "Seconds between a running job's heartbeats (written by the worker).",
    ),
    Setting(
        "DEERTRACK_JOB_STALE_S",
        "30",
        "A processing job without a heartbeat for this many seconds has lost its worker (stopped, "
        "killed): a running worker queues it again; with none running it reads as failed after "
        "twice as long.",
    ),
    Setting(
        "DEERTRACK_USER",
        "",
        "Name recorded in the audit trail for changes made from this process (default: the login).",
    ),
    Setting(
        "DEERTRACK_API_HOST",
        "127.0.0.1",
        "Address the HTTP API listens on. Beyond loopback (0.0.0.0, a LAN address) it refuses to "
        "start until a user account exists (deertrack user add NAME --role admin).",
    ),
    Setting(
        "DEERTRACK_DASHBOARD_ADDRESS",
        "127.0.0.1",
        "Address the dashboard listens on (make run passes it to Streamlit). Beyond loopback it "
        "needs user accounts, like the API.",
    ),
    Setting(
        "DEERTRACK_API_MAX_BODY_BYTES",
        str(4 * 1024 * 1024),
        "Largest request body the HTTP API reads (bytes); a bigger one is refused with 413 "
        "before it is parsed.",
    ),
    Setting(
        "DEERTRACK_UNZIP_MAX_BYTES",
        str(20 * 1024**3),
        "Most bytes an uploaded zip may expand to (also never more than the free disk space).",
    ),
    Setting(
        "DEERTRACK_UNZIP_MAX_FILES",
        "100000",
        "Most files an uploaded zip may hold.",
    ),
    Setting(
        "DEERTRACK_UNZIP_MAX_RATIO",
        "50",
        "Largest expansion ratio (bytes unpacked per byte packed) of an uploaded zip and of each "
        "large member; photos barely compress, a zip bomb expands a thousandfold.",
    ),
    Setting(
        "DEERTRACK_MODELS_DIR",
        f"{_VAR}/models",
        "Folder of fine-tuned model versions (deertrack train); checkpoints are only ever read "
        "from inside it.",
    ),
    Setting(
        "DEERTRACK_AUTO_THRESHOLD",
        "off",
        "on: after DEERTRACK_AUTO_THRESHOLD_PAIRS new reviewed same-deer pairs, re-matching "
        "first applies the threshold the calibrator recommends for the recorded goal (recorded "
        "with its evidence like a manual apply). off: only a person applies thresholds.",
    ),
    Setting(
        "DEERTRACK_AUTO_THRESHOLD_PAIRS",
        "50",
        "New reviewed same-deer pairs since the recorded threshold before an automatic refit "
        "may apply a new one (DEERTRACK_AUTO_THRESHOLD=on).",
    ),
    Setting(
        "DEERTRACK_DETECTOR",
        "",
        "Animal detector of deertrack detect: onnx:<path to a YOLO-family .onnx> (MegaDetector "
        "v5/v6 exported to ONNX, YOLOv5/v8, YOLOX). Unset: boxes come from MegaDetector files.",
    ),
    Setting(
        "DEERTRACK_DETECTION_THRESHOLD",
        "0.2",
        "Detector confidence at or above which deertrack detect stores a box.",
    ),
    Setting(
        "DEERTRACK_TARGET_SPECIES",
        "white-tailed deer",
        "Species that enter re-identification, comma-separated: common or scientific names "
        "(Odocoileus virginianus), a genus (Odocoileus) or a family (Cervidae). Animals of other "
        "species are exported as what they are; animals of unknown species are let through.",
    ),
    Setting(
        "DEERTRACK_INGEST_FILE_TIMEOUT_S",
        "60",
        "Seconds ingest waits for one file (a stalled network share) before reporting it and "
        "going on.",
    ),
    Setting(
        "DEERTRACK_DATABAR_OCR",
        "auto",
        "Reading the time from a photo's burned-in data bar when it has no EXIF time: auto "
        "(RapidOCR when installed, else Tesseract when on the PATH), rapidocr, tesseract or off.",
    ),
    Setting(
        "DEERTRACK_JOB_TIMEOUT_S",
        "3600",
        "Longest a job may run (seconds) before it is failed as timed out and its worker restarts "
        "to stop it; per kind in DEERTRACK_JOB_TIMEOUTS.",
    ),
    Setting(
        "DEERTRACK_JOB_TIMEOUTS",
        "ingest=43200,backfill=43200,rematch=21600,detect=86400,train=86400,promote=21600,rollback=21600",
        "Per-kind time limits that replace DEERTRACK_JOB_TIMEOUT_S: kind=seconds, comma "
        "separated (kinds: export, ingest, backfill, rematch, detect, train, promote, rollback, selftest).",
    ),
    Setting(
        "DEERTRACK_JOB_ATTEMPTS",
        "3",
        "Most times a job is started: a job cut off by a dead worker (killed, out of memory, "
        "host lost) is started again on another worker until then, and then failed.",
    ),
    Setting(
        "DEERTRACK_JOB_KEEP_S",
        "3600",
        "How long (seconds) a finished job's record and its export file are kept; then workers "
        "delete both (Redis key TTL, jobs-table rows, export folders).",
    ),
    Setting(
        "DEERTRACK_REDIS_TIMEOUT_S",
        "5",
        "Connect and read timeout (seconds) of every Redis connection: a hung Redis makes the API "
        "answer 503 and the worker wait, never hang. Keep it above 1 (the queue's blocking read).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """Return the current value of a setting (environment first, then the default)."""
    try:
        setting = _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not a DeerTrack setting; known: {', '.join(_BY_NAME)}") from None
    return os.environ.get(name, setting.default)


def database_url() -> str:
    return get("DEERTRACK_DATABASE_URL")


def redis_url() -> str | None:
    return get("DEERTRACK_REDIS_URL") or None


def data_root() -> Path:
    return Path(get("DEERTRACK_DATA_ROOT")).resolve()


def device() -> str:
    return get("DEERTRACK_DEVICE")


def embedder_name() -> str:
    return get("DEERTRACK_EMBEDDER")


def match_threshold() -> float:
    return float(get("DEERTRACK_MATCH_THRESHOLD"))


def new_individuals() -> str:
    return get("DEERTRACK_NEW_INDIVIDUALS")


def burst_seconds() -> float:
    return float(get("DEERTRACK_BURST_SECONDS"))


def export_dir() -> Path:
    return Path(get("DEERTRACK_EXPORT_DIR"))


def huey_path() -> Path:
    return Path(get("DEERTRACK_HUEY_PATH"))


def api_port() -> int:
    return int(get("DEERTRACK_API_PORT"))


def current_user() -> str:
    configured = get("DEERTRACK_USER")
    if configured:
        return configured
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def huey_immediate() -> bool:
    return get("DEERTRACK_HUEY_IMMEDIATE").strip().lower() in ("1", "true", "yes", "on")


def queue_name() -> str:
    return get("DEERTRACK_QUEUE_NAME")


def job_heartbeat_s() -> float:
    return float(get("DEERTRACK_JOB_HEARTBEAT_S"))


def job_stale_s() -> float:
    return float(get("DEERTRACK_JOB_STALE_S"))


def api_host() -> str:
    return get("DEERTRACK_API_HOST")


def dashboard_address() -> str:
    return get("DEERTRACK_DASHBOARD_ADDRESS")


def _positive_int(name: str) -> int:
    from deertrack_core.errors import ConfigurationError

    try:
        value = int(get(name))
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(
            f"{name}={get(name)!r} is not a positive whole number.", f"Unset {name} or fix it."
        )
    return value


def api_max_body_bytes() -> int:
    return _positive_int("DEERTRACK_API_MAX_BODY_BYTES")


def unzip_max_bytes() -> int:
    return _positive_int("DEERTRACK_UNZIP_MAX_BYTES")


def unzip_max_files() -> int:
    return _positive_int("DEERTRACK_UNZIP_MAX_FILES")


def unzip_max_ratio() -> int:
    return _positive_int("DEERTRACK_UNZIP_MAX_RATIO")


def models_dir() -> Path:
    return Path(get("DEERTRACK_MODELS_DIR"))


def auto_threshold() -> bool:
    return get("DEERTRACK_AUTO_THRESHOLD").strip().lower() in ("1", "true", "yes", "on")


def auto_threshold_pairs() -> int:
    return int(get("DEERTRACK_AUTO_THRESHOLD_PAIRS"))


def detector_name() -> str:
    return get("DEERTRACK_DETECTOR").strip()


def detection_threshold() -> float:
    return float(get("DEERTRACK_DETECTION_THRESHOLD"))


def target_species() -> str:
    return get("DEERTRACK_TARGET_SPECIES")


def ingest_file_timeout_s() -> float:
    return float(get("DEERTRACK_INGEST_FILE_TIMEOUT_S"))


def databar_ocr() -> str:
    return get("DEERTRACK_DATABAR_OCR").strip().lower()


def _positive_float(name: str) -> float:
    from deertrack_core.errors import ConfigurationError

    try:
        value = float(get(name))
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigurationError(
            f"{name}={get(name)!r} is not a positive number of seconds.", f"Unset {name} or fix it."
        )
    return value


def job_timeout_s() -> float:
    return _positive_float("DEERTRACK_JOB_TIMEOUT_S")


def job_timeouts() -> str:
    return get("DEERTRACK_JOB_TIMEOUTS")


def job_attempts() -> int:
    return _positive_int("DEERTRACK_JOB_ATTEMPTS")


def job_keep_s() -> int:
    return _positive_int("DEERTRACK_JOB_KEEP_S")


def redis_timeout_s() -> float:
    return _positive_float("DEERTRACK_REDIS_TIMEOUT_S")
