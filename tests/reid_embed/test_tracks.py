from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from deertrack_core.models import Deployment, Detection, Image
from deertrack_core.reid.tracks import assign_tracks, iou_matrix, link_frames, track_members


def test_iou_of_identical_disjoint_and_half_overlapping_boxes():
    a = np.array([[0.0, 0.0, 0.2, 0.2]])
    b = np.array([[0.0, 0.0, 0.2, 0.2], [0.5, 0.5, 0.1, 0.1], [0.1, 0.0, 0.2, 0.2]])
    assert iou_matrix(a, b)[0] == pytest.approx([1.0, 0.0, 1 / 3])


def test_two_animals_walking_stay_on_their_own_tracks():
    frames = [
        [(0.10, 0.5, 0.2, 0.2), (0.60, 0.5, 0.2, 0.2)],
        [(0.62, 0.5, 0.2, 0.2), (0.13, 0.5, 0.2, 0.2)],  # listed in the other order
        [(0.16, 0.5, 0.2, 0.2), (0.64, 0.5, 0.2, 0.2)],
    ]
    assert link_frames(frames) == [[0, 1], [1, 0], [0, 1]]


def test_a_jump_starts_a_new_track():
    frames = [[(0.1, 0.1, 0.1, 0.1)], [(0.7, 0.7, 0.1, 0.1)]]
    assert link_frames(frames) == [[0], [1]]


def test_one_missed_frame_does_not_split_a_track():
    frames = [[(0.1, 0.1, 0.2, 0.2)], [], [(0.11, 0.1, 0.2, 0.2)]]
    assert link_frames(frames) == [[0], [], [0]]
    assert link_frames(frames, max_gap=1) == [[0], [], [1]]


def _frame(session, dep, seq, second, boxes, name):
    img = Image(
        deployment_id=dep.id,
        path=name,
        sha256=name.rjust(64, "0"),
        captured_at=dt.datetime(2024, 6, 1, 5, 0, second),
        sequence_id=seq,
    )
    session.add(img)
    session.flush()
    dets = [Detection(image_id=img.id, x=b[0], y=b[1], w=b[2], h=b[3]) for b in boxes]
    session.add_all(dets)
    session.flush()
    return [d.id for d in dets]


@pytest.fixture
def burst(session):
    """Sequence 1: three frames, two deer; sequence 2: one frame, one deer; an image with no
    sequence whose box overlaps sequence 1's (must not link)."""
    dep = Deployment(station="S", camera="C")
    session.add(dep)
    session.flush()
    # Inserted out of time order on purpose: linking follows captured_at, not ids.
    f3 = _frame(session, dep, 1, 4, [(0.16, 0.5, 0.2, 0.2), (0.64, 0.5, 0.2, 0.2)], "c")
    f1 = _frame(session, dep, 1, 0, [(0.10, 0.5, 0.2, 0.2), (0.60, 0.5, 0.2, 0.2)], "a")
    f2 = _frame(session, dep, 1, 2, [(0.62, 0.5, 0.2, 0.2), (0.13, 0.5, 0.2, 0.2)], "b")
    lone = _frame(session, dep, 2, 30, [(0.1, 0.5, 0.2, 0.2)], "d")
    free = _frame(session, dep, None, 50, [(0.1, 0.5, 0.2, 0.2)], "e")
    session.commit()
    return f1, f2, f3, lone, free


def _tracks(session):
    return dict(session.execute(select(Detection.id, Detection.track_id)).all())


def test_assign_tracks_links_a_burst_and_counts_saved_decisions(session, burst):
    f1, f2, f3, lone, free = burst
    summary = assign_tracks(session)
    session.commit()
    tracks = _tracks(session)
    assert tracks[f1[0]] == tracks[f2[1]] == tracks[f3[0]]
    assert tracks[f1[1]] == tracks[f2[0]] == tracks[f3[1]]
    assert tracks[f1[0]] != tracks[f1[1]]
    assert summary.detections == 8 and summary.tracks == 4 and summary.decisions_saved == 4
    assert summary.multi_frame_tracks == 2


def test_singletons_get_their_own_id_as_track(session, burst):
    *_, lone, free = burst
    assign_tracks(session)
    session.commit()
    tracks = _tracks(session)
    assert tracks[lone[0]] == lone[0] and tracks[free[0]] == free[0]


def test_track_id_is_the_smallest_member_id_and_stable(session, burst):
    f1, f2, f3, *_ = burst
    assign_tracks(session)
    session.commit()
    first = _tracks(session)
    assert first[f1[0]] == min(f1[0], f2[1], f3[0])
    summary = assign_tracks(session)  # nothing new: nothing relinked
    assert summary.detections == 0
    assign_tracks(session, only_new=False)
    session.commit()
    assert _tracks(session) == first


def test_track_members_groups_detections(session, burst):
    f1, f2, f3, lone, _ = burst
    assign_tracks(session)
    session.commit()
    groups = track_members(session, [f1[0], f2[1], lone[0]])
    assert sorted(groups.values()) == sorted([sorted([f1[0], f2[1]]), [lone[0]]])


def test_a_new_frame_relinks_only_its_own_sequence(session, burst):
    f1, f2, f3, lone, free = burst
    assign_tracks(session)
    session.commit()
    before = _tracks(session)
    dep_id = session.get(Image, session.get(Detection, f1[0]).image_id).deployment_id
    dep = session.get(Deployment, dep_id)
    f4 = _frame(session, dep, 1, 6, [(0.19, 0.5, 0.2, 0.2)], "f")
    session.commit()
    summary = assign_tracks(session)
    session.commit()
    after = _tracks(session)
    assert summary.sequences == 1 and summary.detections == 7
    assert after[f4[0]] == after[f1[0]]
    assert {k: v for k, v in after.items() if k != f4[0]} == before
