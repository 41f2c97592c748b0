"""A synthetic demo season: drawn deer at trail cameras, so a fresh install has something to show.

There is no licence-clear set of deer photos to ship, so the demo generates one (deterministic
for a seed): camera stations over September-January, individual deer with a consistent look,
crepuscular activity, EXIF times, MegaDetector-format boxes, and a reviewed ground-truth subset.
Everything it writes says it is synthetic.
"""

from deertrack_core.demo.load import DemoSummary, demo_present, load_demo
from deertrack_core.demo.season import DemoManifest, TruthBox, generate_season, read_truth

__all__ = [
    "DemoManifest",
    "DemoSummary",
    "TruthBox",
    "demo_present",
    "generate_season",
    "load_demo",
    "read_truth",
]
