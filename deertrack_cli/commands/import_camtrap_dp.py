"""deertrack import-camtrap-dp: import a Camtrap DP 1.0 package (folder or zip)."""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from pathlib import Path

from deertrack_core.auth import Actor
from deertrack_core.errors import NotFoundError
from deertrack_core.reports.camtrap_dp import import_package

NAME = "import-camtrap-dp"
HELP = (
    "Import a Camtrap DP 1.0 package (a folder holding datapackage.json, or its zip): "
    "deployments, media, observations with bounding boxes, and individuals."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", type=Path, help="package folder or .zip")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")


def run(args: argparse.Namespace) -> int:
    package: Path = args.package
    if package.suffix.lower() == ".zip":
        if not package.is_file():
            raise NotFoundError(f"{package} does not exist.", "Check the path of the zip file.")
        # Media paths in the package are relative to it: keep the unzipped copy beside the zip.
        target = Path(tempfile.mkdtemp(prefix=f"{package.stem}-", dir=package.parent))
        with zipfile.ZipFile(package) as zf:
            zf.extractall(target)
        package = next((p.parent for p in target.rglob("datapackage.json")), target)
    summary = import_package(package, args.url, actor=Actor.console())
    print(
        f"imported {package}: {summary.deployments} deployments, {summary.images} media "
        f"({summary.images_skipped} already there), {summary.detections} detections, "
        f"{summary.deer} individuals"
    )
    return 0
