"""The review store: flags kept current by every write, the queue's order, accept/reject/undo,
workflow states, thresholds, and a project from before the review schema."""

import sqlite3

import pytest

from tests.helpers.review import add_media, box_rle, put_track
from videoseg_desktop.core.errors import ProjectError, VideoSegError
from videoseg_desktop.core.records import MaskSource, MediaKind, MediaStatus, ObjectState
from videoseg_desktop.core.review_rules import Flag, ReviewThresholds
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.review_flags import recompute_all
from videoseg_desktop.store.schema import _V_REVIEW, MIGRATIONS, SCHEMA_VERSION, _statements


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "annie")
    with Project.create(tmp_path / "p") as p:
        yield p


def _stored_flags(project):
    return project.db.conn.execute(
        "SELECT object_id, frame, reasons, score, detail FROM review_flags ORDER BY object_id, frame"
    ).fetchall()


def _full_recompute(project):
    with project.db.transaction() as conn:
        recompute_all(conn, project.review.thresholds())
    return _stored_flags(project)


def test_incremental_flags_equal_a_full_recompute_after_every_kind_of_change(project):
    video = add_media(project, "v.mp4", frames=60)
    a = project.objects.add(video.id, name="a")
    b = project.objects.add(video.id, name="b", state=ObjectState.SUGGESTED)
    put_track(project, a.id, range(0, 20), x=lambda f: 10 if f < 12 else 40)  # drift at 12
    put_track(project, a.id, range(25, 30))  # gap 20-24
    put_track(project, b.id, range(5, 8), source=MaskSource.AUTO, score=0.5)
    project.masks.put(a.id, 12, box_rle(10), MaskSource.EDITED)  # a fix in the middle
    project.masks.delete_range(a.id, 26, 28)  # a hole inside the second stretch
    project.masks.put(a.id, 40, box_rle(10), MaskSource.PROPAGATED, score=0.3)
    project.review.accept(video.id, a.id, (0, 3))
    project.objects.set_state(b.id, "normal")
    incremental = _stored_flags(project)
    assert incremental and incremental == _full_recompute(project)


def test_flags_of_a_drifting_track_and_the_queue_item(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id, name="car")
    put_track(project, obj.id, range(0, 10), x=lambda f: 10 if f < 6 else 45)
    items = project.review.items()
    assert [(i.object_name, i.first_frame, i.last_frame) for i in items] == [("car", 5, 6)]
    assert items[0].names == ["drift"] and items[0].score == pytest.approx(0.95)
    flags = project.review.object_flags(obj.id)
    assert [(f.frame, f.reasons) for f in flags] == [(5, Flag.DRIFT), (6, Flag.DRIFT)]
    assert [f.object_id for f in project.review.frame_flags(video.id, 6)] == [obj.id]


def test_queue_order_is_media_then_frame_then_object_and_next_walks_it(project):
    v1 = add_media(project, "one.mp4")
    img = add_media(project, "two.png", MediaKind.IMAGE, 1)
    v3 = add_media(project, "three.mp4")
    late = project.objects.add(v1.id, name="late")
    early = project.objects.add(v1.id, name="early")
    put_track(project, late.id, [2], source=MaskSource.AUTO)
    put_track(project, early.id, [9], source=MaskSource.AUTO)
    put_track(project, early.id, [0], score=0.2)  # low confidence on frame 0
    shape = project.objects.add(img.id, name="shape")
    put_track(project, shape.id, [0], source=MaskSource.CLICKED, score=0.4)
    third = project.objects.add(v3.id, name="x")
    put_track(project, third.id, [1, 2, 3], source=MaskSource.AUTO)
    keys = [(i.media_id, i.first_frame, i.object_name) for i in project.review.items()]
    assert keys == [
        (v1.id, 0, "early"),
        (v1.id, 2, "late"),
        (v1.id, 9, "early"),
        (img.id, 0, "shape"),
        (v3.id, 1, "x"),
    ]
    walked, item = [], project.review.next_item()
    while item is not None:
        walked.append((item.media_id, item.first_frame, item.object_name))
        item = project.review.next_item(item)
    assert walked == keys
    last = project.review.items()[-1]
    assert project.review.previous_item(last).object_name == "shape"
    assert project.review.previous_item(project.review.items()[0]) is None
    assert project.review.flag_counts() == {v1.id: 3, img.id: 1, v3.id: 3}
    assert [m.id for m in project.media.list("flagged")] == [v1.id, img.id, v3.id]


def test_accept_clears_flags_records_decisions_and_undo_puts_everything_back(project, monkeypatch):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id, name="pre", state=ObjectState.SUGGESTED)
    put_track(project, obj.id, range(0, 5), source=MaskSource.AUTO, score=0.6)
    before_flags = _stored_flags(project)
    project.db.user = "rita"  # the reviewer
    outcome = project.review.accept(video.id, obj.id, comment="looks right")
    assert outcome.masks == 5 and project.review.items() == []
    assert project.objects.get(obj.id).state is ObjectState.NORMAL
    mask = project.masks.get(obj.id, 2)
    assert mask.accepted_by == "rita" and mask.accepted_at
    (decision,) = project.review.decisions(video.id)
    assert (decision.decision, decision.mask_source, decision.mask_author, decision.masks) == (
        "accept",
        "auto",
        "annie",
        5,
    )
    assert decision.author == "rita" and decision.comment == "looks right"
    assert decision.frames == (0, 4)
    project.review.undo(outcome)
    assert project.objects.get(obj.id).state is ObjectState.SUGGESTED
    assert project.masks.get(obj.id, 2).accepted_by is None
    assert project.review.decisions() == [] and _stored_flags(project) == before_flags


def test_a_new_mask_needs_a_new_review(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id)
    put_track(project, obj.id, [0], source=MaskSource.AUTO)
    project.review.accept(video.id, obj.id)
    assert project.review.items() == []
    put_track(project, obj.id, [0], source=MaskSource.AUTO)  # re-made by the model
    assert project.masks.get(obj.id, 0).accepted_at is None
    assert len(project.review.items()) == 1


def test_reject_removes_masks_and_empty_suggestions_and_undo_restores_them(project):
    video = add_media(project, "v.mp4")
    keep = project.objects.add(video.id, name="keep")
    project.prompts.add(keep.id, 0, "point", (5, 5))
    put_track(project, keep.id, [0], source=MaskSource.CLICKED, score=0.9)
    put_track(project, keep.id, range(1, 10))
    pre = project.objects.add(video.id, name="pre", state=ObjectState.SUGGESTED)
    put_track(project, pre.id, range(3, 6), source=MaskSource.AUTO, score=0.4)
    label = project.labels.add("car")
    project.objects.set_label(pre.id, label.id)
    spec = project.attributes.add_spec(label.id, "parked", "bool")
    project.attributes.set_value(pre.id, spec, True)
    masks_before = list(project.masks.for_object(keep.id)) + list(project.masks.for_object(pre.id))
    flags_before = _stored_flags(project)

    out1 = project.review.reject(video.id, keep.id, (5, 7), comment="drifted")
    assert out1.masks == 3 and [m.frame for m in project.masks.for_object(keep.id)] == [
        0, 1, 2, 3, 4, 8, 9,
    ]  # fmt: skip
    out2 = project.review.reject(video.id, pre.id)
    assert out2.objects_removed_names == ["pre"]
    assert project.objects.find(video.id, "pre") is None
    rejected = [d for d in project.review.decisions() if d.decision == "reject"]
    assert [(d.object_name, d.mask_source, d.masks) for d in rejected] == [
        ("keep", "propagated", 3),
        ("pre", "auto", 3),
    ]
    project.review.undo(out2)
    project.review.undo(out1)
    after = list(project.masks.for_object(keep.id)) + list(project.masks.for_object(pre.id))
    assert after == masks_before
    assert project.objects.get(pre.id).state is ObjectState.SUGGESTED
    assert project.attributes.current(pre.id) == {"parked": True}
    assert project.review.decisions() == [] and _stored_flags(project) == flags_before


def test_nothing_in_scope_is_a_clear_error(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id)
    with pytest.raises(VideoSegError, match="no masks to reject"):
        project.review.reject(video.id, obj.id)
    other = add_media(project, "w.mp4")
    with pytest.raises(VideoSegError, match="not on media"):
        project.review.accept(other.id, obj.id)
    with pytest.raises(VideoSegError, match="no media with id 99"):
        project.review.accept(99)


def test_whole_item_decisions_set_the_workflow_state(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id)
    assert project.media.get(video.id).status is MediaStatus.TODO
    put_track(project, obj.id, [0], source=MaskSource.CLICKED)
    assert project.media.get(video.id).status is MediaStatus.IN_PROGRESS  # first human mask
    put_track(project, obj.id, range(1, 4))
    project.db.user = "rita"
    sent_back = project.review.reject(video.id, comment="ball missing on 3")
    item = project.media.get(video.id)
    assert item.status is MediaStatus.NEEDS_CHANGES and item.status_comment == "ball missing on 3"
    assert item.status_by == "rita" and project.masks.get(obj.id, 2) is not None
    assert [i.detail for i in project.review.items("needs-changes")] == ["ball missing on 3"]
    project.review.undo(sent_back)
    assert project.media.get(video.id).status is MediaStatus.IN_PROGRESS
    project.review.accept(video.id)
    assert project.media.get(video.id).status is MediaStatus.REVIEWED
    assert all(m.accepted_by == "rita" for m in project.masks.for_object(obj.id))
    kinds = [(d.decision, d.mask_author, d.masks) for d in project.review.decisions()]
    assert ("reviewed", "annie", 4) in kinds
    assert project.media.status_counts()[MediaStatus.REVIEWED] == 1
    assert [m.id for m in project.media.list(status="reviewed")] == [video.id]


def test_suggested_state_lists_pre_labels(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id, name="s1", state=ObjectState.SUGGESTED)
    put_track(project, obj.id, range(4, 7), source=MaskSource.AUTO, score=0.7)
    (item,) = project.review.items("suggested")
    assert (item.object_name, item.frame_text, item.score, item.frames) == ("s1", "4-6", 0.7, 3)


def test_thresholds_recompute_flags_and_bad_stored_values_are_clear_errors(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id)
    put_track(project, obj.id, [0], score=0.7)
    assert [i.names for i in project.review.items()] == [["low-score"]]
    project.review.set_thresholds(min_score=0.6)
    assert project.review.items() == []
    with pytest.raises(VideoSegError, match="review setting shift"):
        project.review.set_thresholds(shift="far")
    project.settings.set("review.min_score", "lots")  # a damaged or hostile project file
    with pytest.raises(VideoSegError, match="review setting min_score is 'lots'"):
        project.review.items()
    put_track(project, obj.id, [1], score=0.1)  # editing still works meanwhile
    project.settings.set("review.min_score", "0.8")
    assert [i.frame_text for i in project.review.items()] == ["0-1"]  # recomputed


def _make_v3_project(root):
    (root / "media").mkdir(parents=True)
    conn = sqlite3.connect(root / DB_NAME)
    version = MIGRATIONS.index(_V_REVIEW)
    for script in MIGRATIONS[:version]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO media (id, kind, path, original_name, byte_size, sha256, width, height,"
        " frame_count, fps, duration, imported_at, annotated) VALUES"
        " (1, 'video', 'media/v.mp4', 'v.mp4', 1, 'a', 64, 48, 30, 30, 1, 't', 1),"
        " (2, 'image', 'media/i.png', 'i.png', 1, 'b', 64, 48, 1, NULL, NULL, 't', 0)"
    )
    conn.execute(
        "INSERT INTO objects (id, media_id, label_id, name, created_at, state, author)"
        " VALUES (1, 1, NULL, 'o', 't', 'suggested', 'old')"
    )
    rle = box_rle(10)
    for frame in range(3):
        conn.execute(
            "INSERT INTO masks (object_id, frame, height, width, counts, area, bbox_x, bbox_y,"
            " bbox_w, bbox_h, source, model, score, author, updated_at)"
            " VALUES (1, ?, 48, 64, ?, 120, 10, 10, 12, 10, 'auto', 'sam3', 0.9, 'old', 't')",
            (frame, rle["counts"]),
        )
    conn.commit()
    conn.close()


def test_a_v3_project_opens_with_empty_review_data(tmp_path):
    root = tmp_path / "old"
    _make_v3_project(root)
    with Project.open(root, read_only=False) as project:
        assert project.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert project.backup is not None
        assert project.media.get(1).status is MediaStatus.IN_PROGRESS  # it was annotated
        assert project.media.get(2).status is MediaStatus.TODO
        assert project.review.decisions() == []
        assert project.attributes.specs() == [] and project.attributes.values(1) == []
        assert project.effort.for_media(1) == []
        assert project.masks.get(1, 0).accepted_by is None
        assert project.objects.get(1).clicks == 0
        assert _stored_flags(project) == []  # computed on first use...
        (item,) = project.review.items()
        assert item.names == ["auto"] and item.frame_text == "0-2"  # ...here


def test_read_only_project_with_stale_flags_says_so(tmp_path):
    root = tmp_path / "old"
    _make_v3_project(root)
    Project.open(root).close()  # migrated, flags never computed
    with Project.open(root, read_only=True) as project:
        with pytest.raises(ProjectError, match="open it once for writing"):
            project.review.items()
        assert project.review.items("suggested")[0].object_name == "o"


def test_thresholds_defaults():
    assert ReviewThresholds().min_score == 0.75


def test_suggested_counts_per_media(project):
    v1, v2 = add_media(project, "a.mp4"), add_media(project, "b.mp4")
    project.objects.add(v1.id, name="x", state=ObjectState.SUGGESTED)
    project.objects.add(v1.id, name="y", state=ObjectState.SUGGESTED)
    project.objects.add(v2.id, name="z")
    assert project.review.suggested_counts() == {v1.id: 2}
