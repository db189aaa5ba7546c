"""Pre-labelling runs in the store: suggested objects, the overlap rule, resume, no duplicates."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import write_video
from videoseg_desktop.core.concepts import (
    ConceptFrameResult,
    ConceptPrompt,
    Exemplar,
    FoundInstance,
)
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.prompts import Box
from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.store import Project
from videoseg_desktop.store.prelabel import PrelabelWriter, plan_prelabel
from videoseg_desktop.store.schema import _V_PRELABEL, MIGRATIONS
from videoseg_desktop.store.tracking_inputs import kept_frames, track_conditioning

H, W = 40, 60
MODEL = "sam3@1008"


@pytest.fixture
def project(tmp_path):
    project = Project.create(tmp_path / "p", user="alice")
    for i in range(2):
        path = tmp_path / f"im{i}.png"
        Image.fromarray(np.full((H, W, 3), 30 * i, np.uint8)).save(path)
        project.import_media([path])
    frames = [np.full((H, W, 3), 10 * t, np.uint8) for t in range(6)]
    project.import_media([write_video(frames, tmp_path / "v.mp4")])
    yield project
    project.close()


def box_mask(x0, y0, x1, y1):
    mask = np.zeros((H, W), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def found(x0, y0, x1, y1, score=0.9):
    return FoundInstance.from_mask(box_mask(x0, y0, x1, y1), score)


def test_the_migration_adds_run_records(project):
    version = MIGRATIONS.index(_V_PRELABEL) + 1
    assert project.db.conn.execute("PRAGMA user_version").fetchone()[0] >= version
    item = project.media.list()[0]
    project.prelabels.start(item.id, "k", MODEL)
    with pytest.raises(sqlite3.IntegrityError):  # one row per (media, concept, model)
        project.db.conn.execute(
            "INSERT INTO prelabel_runs (media_id, concept, model, state, started_at)"
            " VALUES (?, 'k', ?, 'done', 'now')",
            (item.id, MODEL),
        )


def test_instances_become_suggested_objects_of_the_concept_label(project):
    item = project.media.list()[0]
    (job,) = plan_prelabel(project, [item], [ConceptPrompt("red car", "car")], MODEL)
    writer = PrelabelWriter(project, job)
    writer.begin()
    report = writer.write_image([found(0, 0, 10, 10, 0.8), found(30, 10, 50, 30, 0.95)])
    assert len(report.created) == 2 and report.found == 2 and report.skipped == 0
    label = project.labels.get("car")
    objects = project.objects.list(item.id)
    assert {o.label_id for o in objects} == {label.id}
    assert {o.state for o in objects} == {ObjectState.SUGGESTED}
    masks = [project.masks.get(o.id, 0) for o in objects]
    assert {m.source for m in masks} == {MaskSource.AUTO} and {m.model for m in masks} == {MODEL}
    assert sorted(m.score for m in masks) == pytest.approx([0.8, 0.95])
    run = project.prelabels.get(item.id, job.key, MODEL)
    assert run.state == "done" and run.found == 2 and run.author == "alice"
    assert sorted(project.prelabels.objects_of(run.id)) == sorted(report.created)
    # Done runs are not planned again: a re-run resumes and never duplicates.
    assert plan_prelabel(project, [item], [ConceptPrompt("red car", "car")], MODEL) == []
    assert len(plan_prelabel(project, [item], [ConceptPrompt("red car", "car")], "other@1008")) == 1


def test_overlapping_instances_are_not_suggested_and_human_masks_stay(project):
    item = project.media.list()[0]
    label = project.labels.add("car")
    human = project.objects.add(item.id, label.id)
    clicked = project.masks.put(
        human.id, 0, encode_rle(box_mask(0, 0, 20, 20)), MaskSource.CLICKED, "tiny"
    )
    (job,) = plan_prelabel(project, [item], [ConceptPrompt("car")], MODEL, redo=True)
    writer = PrelabelWriter(project, job, accept=True)
    writer.begin()
    report = writer.write_image(
        [
            found(1, 1, 20, 20, 0.99),  # the human's object: IoU 0.9
            found(30, 5, 55, 35, 0.9),  # new
            found(31, 5, 55, 35, 0.7),  # the same instance again, lower score
            found(0, 25, 20, 40, 0.6),  # new
        ]
    )
    assert report.skipped == 2 and len(report.created) == 2
    assert project.masks.get(human.id, 0) == clicked
    assert {project.objects.get(o).state for o in report.created} == {ObjectState.NORMAL}


def test_exemplars_count_only_on_their_media():
    on_first = ConceptPrompt(None, "car", (Exemplar(1, 0, Box(0, 0, 5, 5)),))
    assert on_first.for_media(2) is None  # no text: nothing to look for elsewhere
    both = ConceptPrompt("car", None, (Exemplar(1, 0, Box(0, 0, 5, 5)),))
    assert both.for_media(2).exemplars == () and both.for_media(1).exemplars
    assert both.for_media(1).key() != both.for_media(2).key()


def _frames(tracks: dict[int, dict[int, tuple]]) -> list[ConceptFrameResult]:
    frames = sorted({f for per in tracks.values() for f in per})
    return [
        ConceptFrameResult(f, {t: found(*per[f]) for t, per in tracks.items() if f in per})
        for f in frames
    ]


def test_video_tracks_become_object_tracks_and_duplicates_are_dropped(project):
    video = project.media.list()[2]
    label = project.labels.add("car")
    human = project.objects.add(video.id, label.id)
    project.masks.put(human.id, 4, encode_rle(box_mask(40, 0, 60, 20)), MaskSource.EDITED, None)
    (job,) = plan_prelabel(project, [video], [ConceptPrompt("car")], MODEL)
    writer = PrelabelWriter(project, job)
    writer.begin()
    results = _frames(
        {
            1: {f: (0, 0, 10 + f, 10) for f in range(6)},  # a new instance, all frames
            2: {f: (40, 0, 60, 20) for f in range(2, 6)},  # the human's object from frame 4 on
            3: {f: (20, 20, 30, 30) for f in range(3, 6)},  # enters at frame 3
        }
    )
    writer.write_frames(results[:3])  # track 2 already has an object after this batch
    writer.write_frames(results[3:])  # ... which goes when it turns out to be the human's
    run = writer.finish()
    objects = {o.id for o in project.objects.list(video.id)} - {human.id}
    assert len(objects) == 2 and writer.report.skipped == 1
    tracked = {o: [f for f, _ in project.masks.frames_of(o)] for o in objects}
    assert sorted(tracked.values()) == [[0, 1, 2, 3, 4, 5], [3, 4, 5]]
    assert run.state == "done" and run.frames_done == 6 and run.found == 9
    assert [f for f, _ in project.masks.frames_of(human.id)] == [4]


def test_an_interrupted_video_run_is_redone_without_duplicates(project):
    video = project.media.list()[2]
    (job,) = plan_prelabel(project, [video], [ConceptPrompt("car")], MODEL)
    writer = PrelabelWriter(project, job)
    writer.begin()
    writer.write_frames(
        _frames({1: {0: (0, 0, 10, 10), 1: (0, 0, 11, 10)}, 2: {1: (30, 0, 40, 9)}})
    )
    touched = project.prelabels.objects_of(writer.run.id)[1]
    project.objects.set_state(touched, ObjectState.NORMAL)  # accepted by someone meanwhile
    # interrupted: the run is still running, so it is planned again
    (again,) = plan_prelabel(project, [video], [ConceptPrompt("car")], MODEL)
    redo = PrelabelWriter(project, again)
    redo.begin()
    left = {o.id for o in project.objects.list(video.id)}
    assert left == {touched}  # the untouched suggestion went, the accepted one stayed
    redo.write_frames(
        _frames(
            {1: {f: (0, 0, 10, 10) for f in range(6)}, 2: {f: (30, 0, 40, 9) for f in range(6)}}
        )
    )
    redo.finish()
    assert len(project.objects.list(video.id)) == 2  # track 2 overlaps the accepted object


def test_an_auto_track_is_tracked_from_its_first_mask(project):
    video = project.media.list()[2]
    obj = project.objects.add(video.id, state=ObjectState.SUGGESTED)
    for f in (2, 3, 4):
        project.masks.put(
            obj.id, f, encode_rle(box_mask(0, 0, 10 + f, 10)), MaskSource.AUTO, MODEL, 0.9
        )
    cond = track_conditioning(project, obj.id)
    assert [c.frame for c in cond] == [2] and cond[0].mask is not None
    project.masks.put(obj.id, 4, encode_rle(box_mask(0, 0, 9, 9)), MaskSource.CLICKED, "tiny")
    assert [c.frame for c in track_conditioning(project, obj.id)] == [2, 4]
    assert kept_frames(project.masks.frames_of(obj.id)) == {2, 4}


def test_a_search_on_one_video_frame_replaces_only_that_frames_suggestions(project):
    video = project.media.list()[2]
    (job,) = plan_prelabel(project, [video], [ConceptPrompt("car")], MODEL, redo=True)
    first = PrelabelWriter(project, job)
    first.begin(only_frame=1)
    first.write_image([found(0, 0, 10, 10)], 1)
    second = PrelabelWriter(project, job)
    second.begin(only_frame=2)  # another frame: frame 1's suggestion stays
    second.write_image([found(30, 0, 40, 9)], 2)
    assert len(project.objects.list(video.id)) == 2
    third = PrelabelWriter(project, job)
    third.begin(only_frame=2)  # the same frame again: its own untouched suggestion goes
    third.write_image([found(30, 0, 40, 9)], 2)
    frames = sorted(
        r.frame for o in project.objects.list(video.id) for r in project.masks.for_object(o.id)
    )
    assert frames == [1, 2]
