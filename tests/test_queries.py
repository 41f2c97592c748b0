import datetime as dt

from sqlalchemy import select

from deertrack_core.models import Deployment, Image
from deertrack_core.queries import where_photos


def test_where_photos_takes_whole_days_and_cameras(session):
    a, b = Deployment(station="A"), Deployment(station="B")
    times = [
        dt.datetime(2025, 10, 1, 0, 0),
        dt.datetime(2025, 10, 2, 23, 59),
        dt.datetime(2025, 10, 3, 0, 0),
    ]
    for i, when in enumerate(times):
        session.add(
            Image(deployment=a, path=f"a{i}", sha256=f"a{i}".ljust(64, "0"), captured_at=when)
        )
    session.add(Image(deployment=b, path="b", sha256="b".ljust(64, "0"), captured_at=times[0]))
    session.flush()

    def paths(**kw):
        return sorted(session.scalars(where_photos(select(Image.path), **kw)))

    assert paths(start=dt.date(2025, 10, 2), end=dt.date(2025, 10, 2)) == ["a1"]
    assert paths(end=dt.date(2025, 10, 2)) == ["a0", "a1", "b"]
    assert paths(deployment_ids=[b.id]) == ["b"]
