"""Export folders and partial files go when their job has expired, and nothing else does."""

from __future__ import annotations

import os
import time

from deertrack_core.jobstatus.expiry import clear_unfinished, sweep_exports


def export_folder(root, job_id, *names):
    folder = root / job_id
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_bytes(b"x" * 10 if not name.endswith(".part") else b"")
    return folder


def age(path, seconds):
    """Set the mtime of ``path`` and everything in it ``seconds`` into the past."""
    moment = time.time() - seconds
    for child in [path, *path.rglob("*")]:
        os.utime(child, (moment, moment), follow_symlinks=False)


def finished_job(store, keep_s=1):
    store.keep_s = keep_s
    job_id = store.create("export").id
    store.claim(job_id)
    store.complete(job_id, attempt=1)
    return job_id


def test_folder_of_an_expired_job_is_deleted(store, tmp_path):
    root = tmp_path / "exports"
    job_id = finished_job(store, keep_s=1)
    folder = export_folder(root, job_id, "report.pdf")
    age(folder, 10)
    time.sleep(1.1)  # the record expires too
    result = sweep_exports(store, keep_s=1, export_dir=root)
    assert not folder.exists()
    assert (result.folders, result.bytes_freed) == (1, 10)


def test_folder_of_a_finished_job_stays_for_its_keep_time(store, tmp_path):
    root = tmp_path / "exports"
    job_id = finished_job(store, keep_s=3600)
    folder = export_folder(root, job_id, "report.pdf")
    age(folder, 7200)  # old files, but the job ended just now: still downloadable
    assert sweep_exports(store, keep_s=3600, export_dir=root).folders == 0
    assert (folder / "report.pdf").exists()


def test_folder_of_a_running_job_stays_with_its_partial_file(store, tmp_path):
    root = tmp_path / "exports"
    job_id = store.create("export").id
    store.claim(job_id)
    folder = export_folder(root, job_id, ".report.abc.part")
    age(folder, 7200)
    assert sweep_exports(store, keep_s=1, export_dir=root).folders == 0
    assert (folder / ".report.abc.part").exists()


def test_failed_job_loses_its_partial_file_at_once(store, tmp_path):
    root = tmp_path / "exports"
    job_id = store.create("export").id
    store.claim(job_id)
    store.fail(job_id, "boom", attempt=1)
    folder = export_folder(root, job_id, ".report.abc.part")
    result = sweep_exports(store, keep_s=3600, export_dir=root)
    assert (result.folders, result.unfinished_files) == (0, 1)
    assert folder.is_dir() and not list(folder.iterdir())


def test_folder_without_a_record_goes_once_its_files_are_old(store, tmp_path):
    root = tmp_path / "exports"
    recent = export_folder(root, "a" * 32, "report.pdf")
    stale = export_folder(root, "b" * 32, "report.pdf")
    age(stale, 120)
    assert sweep_exports(store, keep_s=60, export_dir=root).folders == 1
    assert recent.exists() and not stale.exists()


def test_other_things_in_the_export_folder_are_left_alone(store, tmp_path):
    root = tmp_path / "exports"
    root.mkdir()
    (root / "report-from-the-cli.pdf").write_bytes(b"%PDF")  # deertrack export --out default
    mine = root / "my-notes"
    mine.mkdir()
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "thesis.docx").write_bytes(b"keep")
    (root / ("c" * 32)).symlink_to(outside, target_is_directory=True)
    for path in (root, mine, outside):
        age(path, 10**6)
    assert sweep_exports(store, keep_s=1, export_dir=root).folders == 0
    assert (root / "report-from-the-cli.pdf").exists() and mine.exists()
    assert (outside / "thesis.docx").read_bytes() == b"keep"


def test_clear_unfinished_deletes_what_runs_left_and_never_follows_links(tmp_path):
    root = tmp_path / "exports"
    job_id = "d" * 32
    # a partial file, and a whole one a run renamed just before it was killed (never recorded)
    folder = export_folder(root, job_id, ".report.x1.part", "report.pdf")
    target = tmp_path / "elsewhere.pdf"
    target.write_bytes(b"not ours")
    (folder / "link.pdf").symlink_to(target)
    assert clear_unfinished(job_id, root) == 3
    assert list(folder.iterdir()) == []
    assert target.read_bytes() == b"not ours"


def test_clear_unfinished_refuses_names_that_are_not_job_ids(tmp_path):
    root = tmp_path / "exports"
    export_folder(tmp_path, "x", ".a.part")
    assert clear_unfinished("../x", root) == 0
    assert (tmp_path / "x" / ".a.part").exists()
