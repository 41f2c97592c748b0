"""The species gate on the review queue and the Individuals gallery: only the target species
(or an unknown one) is offered, and a confirmed static object never is."""

from __future__ import annotations

from sqlalchemy import select

from deertrack_core import individuals, review
from deertrack_core.models import Deer, Detection, RepeatGroup

ELK = ";mammalia;cetartiodactyla;cervidae;cervus;canadensis;elk;"
WTD = ";mammalia;cetartiodactyla;cervidae;odocoileus;virginianus;white-tailed deer;"


def _track_dets(session, track_key: int) -> list[Detection]:
    return review.track_detections(session, track_key)


def _label(dets, taxonomy: str) -> None:
    for d in dets:
        d.species, d.species_source, d.species_taxonomy = "x", "speciesnet", taxonomy


def test_queue_offers_only_the_target_species(archive, session, monkeypatch):
    monkeypatch.delenv("DEERTRACK_TARGET_SPECIES", raising=False)
    before = review.queue(session, 0.85)
    keys = [e.track_key for e in before]
    elk, deer_, static = keys[0], keys[1], keys[2]
    _label(_track_dets(session, elk), ELK)
    _label(_track_dets(session, deer_), WTD)
    group = RepeatGroup(deployment_id=archive.deployments[0], x=0, y=0, w=0.1, h=0.1,
                        status="confirmed")  # fmt: skip
    session.add(group)
    session.flush()
    for d in _track_dets(session, static):
        d.repeat_group_id = group.id
    session.commit()
    after = [e.track_key for e in review.queue(session, 0.85)]
    assert elk not in after and static not in after
    assert deer_ in after
    assert set(after) == set(keys) - {elk, static}
    assert review.queue_size(session) == len(before) - 2
    monkeypatch.setenv("DEERTRACK_TARGET_SPECIES", "elk")
    assert elk in [e.track_key for e in review.queue(session, 0.85)]
    assert deer_ not in [e.track_key for e in review.queue(session, 0.85)]


def test_gallery_counts_and_shows_only_target_sightings(archive, session, monkeypatch):
    monkeypatch.delenv("DEERTRACK_TARGET_SPECIES", raising=False)
    first = archive.deer[0]
    cards = {c.deer_id: c for c in individuals.gallery(session)}
    n = cards[first].sightings
    assert n >= 2 and individuals.deer_count(session) == len(archive.deer)
    dets = session.scalars(select(Detection).where(Detection.deer_id == first)).all()
    _label(dets[:1], ELK)
    session.commit()
    cards = {c.deer_id: c for c in individuals.gallery(session)}
    assert cards[first].sightings == n - 1
    assert len(individuals.sightings(session, first)) == n - 1
    _label(dets, ELK)  # every sighting of this "deer" is an elk: it is not a deer
    session.add(Deer(name="Fresh"))  # a deer without sightings yet is still shown
    session.commit()
    shown = {c.deer_id for c in individuals.gallery(session)}
    assert first not in shown
    assert individuals.deer_count(session) == len(shown) == len(archive.deer)


def test_first_and_last_seen_leave_implausible_times_out(archive, session):
    import datetime as dt

    from deertrack_core.models import Image

    first = archive.deer[0]
    cards = {c.deer_id: c for c in individuals.gallery(session)}
    before = (cards[first].first_seen, cards[first].last_seen)
    det = session.scalars(select(Detection).where(Detection.deer_id == first)).first()
    image = session.get(Image, det.image_id)
    image.captured_at, image.time_problem = dt.datetime(1980, 1, 1), "before 1990"
    session.commit()
    cards = {c.deer_id: c for c in individuals.gallery(session)}
    assert cards[first].first_seen is None or cards[first].first_seen.year > 1990
    assert (cards[first].first_seen, cards[first].last_seen) != (dt.datetime(1980, 1, 1),) * 2
    assert all(
        r.first_seen is None or r.first_seen.year > 1990
        for r in individuals.stations(session, first)
    )
    assert before[0] is not None
