"""Ingest: photos from folders (EXIF, XMP, layout, deployments CSV), MegaDetector boxes, clocks.

Public API (see notes/CONTRACTS.md): :func:`ingest_folder`, :func:`import_detections`,
:func:`set_clock_offset`, :func:`assign_sequences`.
"""

from deertrack_core.ingest.clock import set_clock_offset
from deertrack_core.ingest.megadetector import ImportSummary, import_detections
from deertrack_core.ingest.sequences import assign_sequences
from deertrack_core.ingest.store import FileProblem, IngestSummary, ingest_folder

__all__ = [
    "FileProblem",
    "ImportSummary",
    "IngestSummary",
    "assign_sequences",
    "import_detections",
    "ingest_folder",
    "set_clock_offset",
]
