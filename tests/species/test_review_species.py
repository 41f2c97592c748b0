"""A reviewer's "not a deer" and species picker: audited, undone as a whole, locked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.audit import undo_last
from deertrack_core.errors import ConflictError, ValidationError
from deertrack_core.models import Correction, Deer, Deployment, Detection, Image, MatchStatus
from deertrack_core.species import add_labels
from deertrack_core.species_review import mark_not_target, set_species

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def seed(url) -> tuple[int, int, int]:
    """Two boxes the machine gave one deer, and a box of unknown species."""
    with db.session_scope(url) as s:
        dep = Deployment(station="S1")
        s.add(dep)
        s.flush()
        deer = Deer(name="Deer 1", first_seen=T0, last_seen=T0 + dt.timedelta(hours=1))
        s.add(deer)
        s.flush()
        ids = []
        for i in range(3):
            im = Image(deployment_id=dep.id, path=f"S1/{i}.jpg", sha256=f"{i:064d}",
                       captured_at=T0 + dt.timedelta(hours=i))  # fmt: skip
            s.add(im)
            s.flush()
            det = Detection(image_id=im.id, x=0.1, y=0.1, w=0.3, h=0.3,
                            deer_id=deer.id if i < 2 else None,
                            match_status=MatchStatus.AUTO.value if i < 2 else MatchStatus.PENDING.value)  # fmt: skip
            s.add(det)
            s.flush()
            ids.append(det.id)
        return ids[0], ids[1], deer.id


def test_not_a_deer_withdraws_the_identity_and_undo_restores_it(url):
    a, b, deer_id = seed(url)
    with db.session_scope(url) as s:
        action = mark_not_target(s, [a], user="ana", species="raccoon")
    with db.session_scope(url) as s:
        det = s.get(Detection, a)
        fields = {
            c.field for c in s.scalars(select(Correction).where(Correction.action_id == action))
        }
        deer = s.get(Deer, deer_id)
        assert (det.species, det.species_source, det.deer_id, det.match_status) == (
            "raccoon", "reviewer", None, "pending",
        )  # fmt: skip
        assert det.species_taxonomy == ";mammalia;carnivora;procyonidae;procyon;lotor;raccoon;"
        assert fields == {
            "species",
            "species_source",
            "species_taxonomy",
            "deer_id",
            "match_status",
        }
        assert deer.first_seen == T0 + dt.timedelta(hours=1)  # only b is left
    with db.session_scope(url) as s:
        undone = undo_last(s, user="ana")
    assert undone.action == "not target species"
    with db.session_scope(url) as s:
        det = s.get(Detection, a)
        assert (det.species, det.species_source, det.species_taxonomy, det.deer_id) == (
            None,
            None,
            None,
            deer_id,
        )


def test_a_reviewers_species_is_never_replaced_by_a_machines(url):
    a, _, _ = seed(url)
    with db.session_scope(url) as s:
        set_species(s, [a], "White-tailed deer", user="ana")
        add_labels(
            s, [{"detection_id": a, "source": "speciesnet", "label": "raccoon", "score": 0.99}]
        )
    with db.session_scope(url) as s:
        det = s.get(Detection, a)
        assert (det.species, det.species_source, det.deer_id is not None) == (
            "White-tailed deer",
            "reviewer",
            True,
        )


def test_without_a_name_it_is_recorded_as_another_species(url):
    _, _, _ = seed(url)
    with db.session_scope(url) as s:
        c = s.scalars(select(Detection.id).where(Detection.deer_id.is_(None))).one()
        mark_not_target(s, [c], user="ana")
        assert s.get(Detection, c).species == "other species"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s, a: mark_not_target(s, [a], user="ana", species="white-tailed deer"),
            "is a target",
        ),
        (lambda s, a: set_species(s, [a], "  ", user="ana"), "choose a species"),
        (lambda s, a: set_species(s, [], "elk", user="ana"), "no detections"),
    ],
)
def test_bad_calls_change_nothing(url, call, message):
    a, _, _ = seed(url)
    with db.session_scope(url) as s, pytest.raises(ValidationError, match=message):
        call(s, a)
    with db.session_scope(url) as s:
        assert s.get(Detection, a).species is None


def test_a_stale_version_is_refused(url):
    a, _, _ = seed(url)
    with pytest.raises(ConflictError, match="Someone else changed detection"):
        with db.session_scope(url) as s:
            mark_not_target(s, [a], user="ana", versions={a: 99})
