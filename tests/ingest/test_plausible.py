"""Implausible photo times: the rules, the file-order check, and the corrections that clear them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.errors import ValidationError
from deertrack_core.ingest import ingest_folder, set_clock_offset
from deertrack_core.ingest.plausible import (
    AFTER_END,
    BEFORE_1990,
    BEFORE_START,
    FUTURE,
    out_of_order,
    set_deployment_span,
    set_photo_time,
    time_problem,
)
from deertrack_core.models import Correction, Deployment, Image
from tests.ingest.photos import make_jpeg

NOW = dt.datetime(2025, 6, 1, 12, 0)
T0 = dt.datetime(2024, 10, 3, 6, 15, 0)
D = dt.datetime


@pytest.mark.parametrize(
    ("when", "start", "end", "declared", "expected"),
    [
        (D(2024, 5, 1), None, None, False, None),
        (D(1989, 12, 31, 23), None, None, False, BEFORE_1990),
        (D(2000, 1, 1), None, None, False, None),  # an unset clock in 2000 cannot be told apart
        (D(2025, 6, 2, 11), None, None, False, None),  # within a day: time zones
        (D(2025, 6, 3), None, None, False, FUTURE),
        (D(2024, 9, 30), D(2024, 10, 1), D(2024, 10, 10), True, BEFORE_START),
        (D(2024, 10, 10, 23, 59), D(2024, 10, 1), D(2024, 10, 10), True, None),  # a date: whole day
        (D(2024, 10, 11), D(2024, 10, 1), D(2024, 10, 10), True, AFTER_END),
        (D(2024, 10, 10, 12, 1), D(2024, 10, 1), D(2024, 10, 10, 12), True, AFTER_END),
        (D(2024, 9, 30), D(2024, 10, 1), D(2024, 10, 10), False, None),  # spans from photos
    ],
)
def test_time_problem(when, start, end, declared, expected):
    assert time_problem(when, now=NOW, start=start, end=end, declared=declared) == expected


@pytest.mark.parametrize(
    ("hours", "flagged"),
    [
        ([1, 2, 3, 4], []),
        ([1, 2, 2, 3], []),  # equal times (a burst within one second) keep the order
        ([1, 2, 14, 3, 4], [2]),  # 2 PM read for 2 AM
        ([1, 13, 14, 3, 4, 5], [1, 2]),  # two misreads in a row
        ([9, 1, 2, 3], [0]),  # the first one
        ([], []),
    ],
)
def test_out_of_order_flags_the_fewest_photos(hours, flagged):
    times = [T0 + dt.timedelta(hours=h) for h in hours]
    assert [i for i, bad in enumerate(out_of_order(times)) if bad] == flagged


def _ingest(url, tmp_path) -> int:
    make_jpeg(tmp_path / "S1" / "a.jpg", when=T0)
    make_jpeg(tmp_path / "S1" / "b.jpg", when=T0 + dt.timedelta(days=5))
    make_jpeg(tmp_path / "S1" / "c.jpg", when=dt.datetime(1980, 1, 1))
    ingest_folder(tmp_path / "S1", url=url)
    with db.session_scope(url) as s:
        return s.scalars(select(Image.id).where(Image.path.like("%c.jpg"))).one()


def test_setting_a_photos_time_clears_its_flag_and_is_audited(url, tmp_path):
    odd = _ingest(url, tmp_path)
    with db.session_scope(url) as s:
        assert s.get(Image, odd).time_problem == BEFORE_1990
        dep = s.scalars(select(Deployment)).one()
        assert dep.end == T0 + dt.timedelta(days=5)
        problem = set_photo_time(s, odd, T0 + dt.timedelta(days=9), "ana")
    assert problem is None
    with db.session_scope(url) as s:
        image = s.get(Image, odd)
        audit = s.scalars(select(Correction).where(Correction.entity == "image")).one()
        dep = s.scalars(select(Deployment)).one()
    assert (image.captured_at, image.time_source, image.time_problem) == (
        T0 + dt.timedelta(days=9), "manual", None,
    )  # fmt: skip
    assert (audit.field, audit.old_value, audit.changed_by) == (
        "captured_at",
        "1980-01-01 00:00:00",
        "ana",
    )
    assert dep.end == T0 + dt.timedelta(days=9)  # the corrected photo now counts


def test_a_clock_offset_can_move_a_photo_into_a_plausible_time(url, tmp_path):
    make_jpeg(tmp_path / "S1" / "a.jpg", when=T0)
    make_jpeg(tmp_path / "S1" / "c.jpg", when=dt.datetime(1989, 12, 1))
    ingest_folder(tmp_path / "S1", url=url)
    with db.session_scope(url) as s:
        dep_id = s.scalars(select(Deployment.id)).one()
        assert s.get(Deployment, dep_id).start == T0  # the 1989 photo does not count
        set_clock_offset(s, dep_id, 60 * 86400, "ana")  # the camera ran 60 days slow
    with db.session_scope(url) as s:
        problems = set(s.scalars(select(Image.time_problem)))
        dep = s.get(Deployment, dep_id)
    assert problems == {None}
    assert (dep.start, dep.end) == (dt.datetime(1990, 1, 30), T0 + dt.timedelta(days=60))


def test_declaring_a_deployments_dates_flags_the_photos_outside(url, tmp_path):
    _ingest(url, tmp_path)
    with db.session_scope(url) as s:
        dep_id = s.scalars(select(Deployment.id)).one()
        flagged = set_deployment_span(s, dep_id, D(2024, 10, 1), D(2024, 10, 5), "ana")
    with db.session_scope(url) as s:
        by_name = {i.path[-5:]: i.time_problem for i in s.scalars(select(Image))}
    assert flagged == 2
    assert by_name == {"a.jpg": None, "b.jpg": AFTER_END, "c.jpg": BEFORE_1990}
    with db.session_scope(url) as s, pytest.raises(ValidationError, match="after the start"):
        set_deployment_span(s, dep_id, D(2024, 10, 5), D(2024, 10, 1), "ana")


def _unsure_bar_readings(url, tmp_path) -> list[int]:
    """Three photos whose data-bar AM/PM was unreadable (as ingest stores such readings)."""
    from deertrack_core.ingest.plausible import reflag_times

    for i, hour in enumerate((7, 8, 21)):
        make_jpeg(tmp_path / "S1" / f"RCNX{i:04d}.jpg", when=T0.replace(hour=hour))
    ingest_folder(tmp_path / "S1", url=url)
    with db.session_scope(url) as s:
        for image in s.scalars(select(Image)):
            image.time_source = "databar-ampm"
        s.flush()
        reflag_times(s, set(s.scalars(select(Image.deployment_id))))
        return list(s.scalars(select(Image.id).order_by(Image.path)))


def test_confirming_am_pm_clears_the_flag_swaps_when_asked_and_is_audited(url, tmp_path):
    from deertrack_core.ingest.plausible import AMPM_UNSURE, confirm_ampm, flagged_count

    ids = _unsure_bar_readings(url, tmp_path)
    with db.session_scope(url) as s:
        assert flagged_count(s) == {AMPM_UNSURE: 3}
        assert confirm_ampm(s, ids[:1], user="ana") == 1
        assert confirm_ampm(s, ids[1:2], flip=True, user="ana") == 1
        assert confirm_ampm(s, ids[:1], user="ana") == 0  # already confirmed: left alone
    with db.session_scope(url) as s:
        got = {i.id: (i.captured_at, i.time_source, i.time_problem) for i in s.scalars(select(Image))}
        audit = s.scalars(select(Correction).where(Correction.entity == "image")).all()
    assert got[ids[0]] == (T0.replace(hour=7), "databar", None)
    assert got[ids[1]] == (T0.replace(hour=20), "databar", None)  # 8 AM read: it was 8 PM
    assert got[ids[2]][1:] == ("databar-ampm", AMPM_UNSURE)
    assert {(a.entity_id, a.field, a.changed_by) for a in audit} == {
        (ids[0], "time_source", "ana"), (ids[1], "time_source", "ana"),
        (ids[1], "captured_at", "ana"),
    }  # fmt: skip


def test_confirming_am_pm_needs_an_admin_once_accounts_exist(url, tmp_path):
    from deertrack_core.auth import Actor, add_user
    from deertrack_core.errors import AuthenticationError, PermissionDeniedError
    from deertrack_core.ingest.plausible import confirm_ampm

    ids = _unsure_bar_readings(url, tmp_path)
    with db.session_scope(url) as s:
        add_user(s, "root", "admin", "a-long-password", actor=Actor.console("root"))
        add_user(s, "rita", "reviewer", "a-long-password", actor=Actor.console("root"))
    with db.session_scope(url) as s:
        with pytest.raises(AuthenticationError):
            confirm_ampm(s, ids, user="ana")
        with pytest.raises(PermissionDeniedError):
            confirm_ampm(s, ids, actor=Actor.user("rita", "reviewer"))
        assert confirm_ampm(s, ids, actor=Actor.console("root")) == 3
    with db.session_scope(url) as s:
        assert set(s.scalars(select(Image.time_problem))) == {None}
