"""A deer's first and last sighting come from photos with a plausible time only."""

from __future__ import annotations

import datetime as dt

from deertrack_core.deer import refresh_deployment_deer, refresh_span
from deertrack_core.models import Deer, Deployment, Detection, Image

T0 = dt.datetime(2024, 10, 3, 6, 15)


def _sighting(session, dep, deer, when, problem=None, n=0):
    img = Image(deployment_id=dep.id, path=f"p{n}.jpg", sha256=f"{n:064d}", captured_at=when,
                time_problem=problem)  # fmt: skip
    session.add(img)
    session.flush()
    session.add(Detection(image_id=img.id, x=0.1, y=0.1, w=0.2, h=0.2, deer_id=deer.id))


def test_a_photo_dated_2099_does_not_make_a_deer_last_seen_in_2099(session):
    dep = Deployment(station="North")
    deer = Deer(name="Deer 001")
    session.add_all([dep, deer])
    session.flush()
    _sighting(session, dep, deer, T0, n=1)
    _sighting(session, dep, deer, T0 + dt.timedelta(days=3), n=2)
    _sighting(session, dep, deer, dt.datetime(2099, 1, 1), problem="future", n=3)
    refresh_span(session, [deer.id, None])
    assert (deer.first_seen, deer.last_seen) == (T0, T0 + dt.timedelta(days=3))


def test_refresh_by_deployment_covers_every_deer_seen_there(session):
    dep = Deployment(station="North")
    a, b = Deer(name="A"), Deer(name="B", first_seen=T0, last_seen=T0)
    session.add_all([dep, a, b])
    session.flush()
    _sighting(session, dep, a, T0 + dt.timedelta(hours=1), n=1)
    _sighting(session, dep, b, dt.datetime(1980, 1, 1), problem="before 1990", n=2)
    refresh_deployment_deer(session, dep.id)
    assert a.first_seen == a.last_seen == T0 + dt.timedelta(hours=1)
    assert b.first_seen is None and b.last_seen is None  # its only photo has no plausible time


def _deer_with_a_2099_photo(session):
    """A deer the machine gave three boxes: two plausible, the last on a photo dated 2099."""
    from deertrack_core.models import MatchStatus

    dep = Deployment(station="North")
    deer = Deer(name="Deer 001")
    session.add_all([dep, deer])
    session.flush()
    for n, (when, problem) in enumerate(
        [(T0, None), (T0 + dt.timedelta(days=3), None), (dt.datetime(2099, 1, 1), "future")]
    ):
        _sighting(session, dep, deer, when, problem, n=n + 1)
    session.flush()
    dets = list(session.query(Detection).order_by(Detection.id))
    for d in dets:
        d.match_status = MatchStatus.AUTO.value
    session.flush()
    return deer, dets


def test_withdrawing_a_machine_identity_keeps_the_span_to_plausible_photos(session):
    from deertrack_core.species import withdraw_where

    deer, dets = _deer_with_a_2099_photo(session)
    assert withdraw_where(session, Detection.id == dets[1].id) == 1
    # Left: T0 and the 2099 photo; the span must not reach 2099.
    assert (deer.first_seen, deer.last_seen) == (T0, T0)


def test_not_a_deer_keeps_the_span_to_plausible_photos(session):
    from deertrack_core.species_review import mark_not_target

    deer, dets = _deer_with_a_2099_photo(session)
    mark_not_target(session, [dets[0].id], user="ana", species="raccoon")
    assert (deer.first_seen, deer.last_seen) == (T0 + dt.timedelta(days=3),) * 2
