"""The data model's own guarantees, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from deertrack_core.models import (
    Deer,
    Deployment,
    Detection,
    Embedding,
    Image,
    MatchStatus,
    ReidSimilarityScore,
)


def _image(session, sha="a" * 64, **kw):
    dep = session.query(Deployment).first() or Deployment(station="A", camera="1")
    img = Image(deployment=dep, path=f"A/{sha[:6]}.jpg", sha256=sha, **kw)
    session.add(img)
    session.flush()
    return img


def test_sha256_is_unique(session):
    _image(session)
    with pytest.raises(IntegrityError):
        _image(session)


def test_detection_update_with_stale_version_is_refused(engine, session):
    img = _image(session)
    det = Detection(image=img, x=0.1, y=0.1, w=0.2, h=0.2)
    session.add(det)
    session.commit()

    with Session(engine) as other:
        theirs = other.get(Detection, det.id)
        theirs.match_status = MatchStatus.CONFIRMED.value
        other.commit()

    det.match_status = MatchStatus.REJECTED.value
    with pytest.raises(StaleDataError):
        session.commit()


def test_scores_are_unique_per_run_detection_and_deer(session):
    img = _image(session)
    det = Detection(image=img, x=0, y=0, w=1, h=1)
    deer = Deer(name="D1")
    session.add_all([det, deer])
    session.flush()
    row = dict(
        detection_id=det.id,
        deer_id=deer.id,
        similarity_score=0.5,
        matched=False,
        threshold_used=0.8,
        model="m",
        run_id="r1",
    )
    session.add(ReidSimilarityScore(**row))
    session.flush()
    session.add(ReidSimilarityScore(**row))
    with pytest.raises(IntegrityError):
        session.flush()


def test_one_embedding_per_detection_and_model(session):
    img = _image(session)
    det = Detection(image=img, x=0, y=0, w=1, h=1)
    session.add(det)
    session.flush()
    session.add(Embedding(detection_id=det.id, model="m", dim=2, vector=b"\0" * 8))
    session.flush()
    session.add(Embedding(detection_id=det.id, model="m", dim=2, vector=b"\0" * 8))
    with pytest.raises(IntegrityError):
        session.flush()


def test_times_round_trip_without_timezone_shift(session):
    when = dt.datetime(2025, 10, 3, 6, 41, 12)
    img = _image(session, captured_at=when, camera_time=when)
    session.commit()
    session.expire_all()
    assert session.get(Image, img.id).captured_at == when
