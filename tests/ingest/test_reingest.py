"""Re-importing a known folder never invents stations (issue 12: a phantom camera "CAM1")."""

from __future__ import annotations

import datetime as dt

from deertrack_core.ingest import ingest_folder
from tests.ingest.photos import make_jpeg
from tests.ingest.test_ingest import deployments, images

T0 = dt.datetime(2025, 10, 1, 6, 0, 0)


def _season(tmp_path):
    """Station/CAM1/ folders placed by a deployments CSV, like the demo season."""
    root = tmp_path / "season"
    for station in ("Ridge-01", "Creek-02"):
        for i in range(3):
            make_jpeg(root / station / "CAM1" / f"IMG{i}.JPG", when=T0 + dt.timedelta(minutes=i))
    csv = tmp_path / "deployments.csv"
    csv.write_text(
        "station,camera,folder\nRidge-01,CAM1,Ridge-01/CAM1\nCreek-02,CAM1,Creek-02/CAM1\n"
    )
    return root, csv


def test_reimporting_a_known_folder_with_the_default_layout_adds_no_station(url, tmp_path):
    root, csv = _season(tmp_path)
    ingest_folder(root, url=url, deployments_csv=csv)
    before = sorted(d.label for d in deployments(url))
    again = ingest_folder(root, url=url)  # the Import page's default: layout auto, no CSV
    assert (again.ingested, again.duplicates, again.deployments_created) == (0, 6, 0)
    assert sorted(d.label for d in deployments(url)) == before == ["Creek-02/CAM1", "Ridge-01/CAM1"]


def test_a_new_photo_in_a_known_folder_joins_that_folders_deployment(url, tmp_path):
    root, csv = _season(tmp_path)
    ingest_folder(root, url=url, deployments_csv=csv)
    make_jpeg(root / "Ridge-01" / "CAM1" / "IMG9.JPG", when=T0 + dt.timedelta(days=1))
    make_jpeg(root / "Elm-07" / "NEW1.JPG", when=T0)  # a new folder: the layout names it
    summary = ingest_folder(root, url=url)
    assert (summary.ingested, summary.deployments_created) == (2, 1)
    by_id = {d.id: d.label for d in deployments(url)}
    placed = {im.path.rsplit("/", 1)[-1]: by_id[im.deployment_id] for im in images(url)}
    assert placed["IMG9.JPG"] == "Ridge-01/CAM1" and placed["NEW1.JPG"] == "Elm-07"
