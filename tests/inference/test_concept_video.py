"""Our SAM 3 concept video session against transformers' own Sam3VideoModel session.

Same random tiny model, same frames, same text: the reference preloads the video with
Sam3VideoProcessor and runs propagate_in_video_iterator; ours decodes frames on demand and
prunes the tracker's memory between frames. Ids and masks must be identical on every frame
(the issue asks IoU >= 0.99; pruning keeps the very tensors that are read, so they are equal).
The tiny model reads 3 memories, 4 object pointers and 2 conditioning frames, so a 24-frame
video prunes, spills and re-chooses conditioning frames like a long one does with the real
model.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.tracking import MemoryFrames, one_torch_thread
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, mask_iou


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


def shapes_video(n: int, h: int = 90, w: int = 120) -> list[np.ndarray]:
    """Two coloured blocks drifting over a dark background."""
    frames = []
    for t in range(n):
        im = np.full((h, w, 3), 40, np.uint8)
        im[20 + t % 40 : 50 + t % 40, 10 + (2 * t) % 60 : 40 + (2 * t) % 60] = (220, 60, 60)
        im[50:80, 80 - t % 60 : 110 - t % 60] = (60, 200, 90)
        frames.append(im)
    return frames


@pytest.fixture(scope="module")
def models(sam3_folder):
    from transformers import Sam3VideoModel, Sam3VideoProcessor

    model = Sam3VideoModel.from_pretrained(sam3_folder, local_files_only=True).eval()
    processor = Sam3VideoProcessor.from_pretrained(sam3_folder, local_files_only=True)
    return model, processor


def reference(models, frames, start: int, direction: str) -> dict[int, dict[int, np.ndarray]]:
    """transformers' session, used the documented way; {frame: {obj_id: mask}}."""
    model, processor = models
    session = processor.init_video_session(video=frames, inference_device="cpu")
    processor.add_text_prompt(session, "car")
    runs = []
    if direction in ("forward", "both"):
        runs.append(model.propagate_in_video_iterator(session, start_frame_idx=start))
    if direction == "both":
        runs.append(model.propagate_in_video_iterator(session, start_frame_idx=start, reverse=True))
    if direction == "backward":  # ours includes the start frame, transformers' excludes it
        runs.append(
            model.propagate_in_video_iterator(session, start_frame_idx=start + 1, reverse=True)
        )
    results = {}
    for run in runs:
        for out in run:
            post = processor.postprocess_outputs(session, out)
            results[out.frame_idx] = {
                int(i): post["masks"][k].numpy()
                for k, i in enumerate(post["object_ids"].tolist())
                if post["masks"][k].any()
            }
    return results


def ours(models, frames, start, direction, **options):
    from videoseg_desktop.inference.concept_video import ConceptVideoSession

    model, processor = models
    source = MemoryFrames(frames)
    results, stats = {}, []
    with ConceptVideoSession(model, processor, source, **options) as session:
        session.add_concept("car")

        def on_frame(result):
            results[result.frame] = {i: decode_rle(x.rle) for i, x in result.instances.items()}
            stats.append(session.memory_stats())

        outcome = session.propagate(start, direction, on_frame=on_frame)
        spill = session.spill
        return results, outcome, stats, source, spill.writes, spill.reads


@pytest.mark.parametrize(
    ("n", "start", "direction"), [(24, 0, "forward"), (24, 9, "both"), (22, 17, "backward")]
)
def test_same_ids_and_masks_as_transformers_session(models, n, start, direction):
    frames = shapes_video(n)
    expected = reference(models, frames, start, direction)
    got, outcome, stats, source, *_ = ours(models, frames, start, direction)
    assert not outcome.cancelled
    assert sorted(got) == sorted(expected)
    ids = set()
    for frame, masks in expected.items():
        assert set(got[frame]) == set(masks), f"frame {frame}: ids differ"
        for obj_id, mask in masks.items():
            assert mask_iou(got[frame][obj_id], mask) >= 0.99
            assert np.array_equal(got[frame][obj_id], mask)
        ids.update(masks)
    # The run is not trivial: several instances, some appearing after the first frame tracked.
    order = list(expected)  # in tracking order
    first = {i: next(k for k, f in enumerate(order) if i in expected[f]) for i in ids}
    assert len(ids) >= 2 and len(set(first.values())) >= 2, first
    # Frames are decoded on demand, each about once.
    assert len(source.reads) <= len(got) + 4


def test_memory_stays_bounded_and_the_backward_pass_reads_the_spill(models):
    frames = shapes_video(30)
    got, _, stats, _, writes, reads = ours(models, frames, 12, "both")
    assert len(got) == 30
    # Non-conditioning outputs: at most the tracker's window (4 frames) per object, plus what
    # the backward pass will read (spilled, not in RAM).
    for s in stats:
        assert s["non_cond_outputs"] <= 8 * max(s["objects"], 1)
    assert writes > 0 and reads > 0
    assert stats[-1]["dropped"] > 0


def test_unpruned_session_gives_the_same_result(models):
    frames = shapes_video(16)
    pruned, *_ = ours(models, frames, 5, "both")
    full, *_ = ours(models, frames, 5, "both", prune=False)
    assert pruned.keys() == full.keys()
    for frame in full:
        assert pruned[frame].keys() == full[frame].keys()
        for obj_id in full[frame]:
            assert np.array_equal(pruned[frame][obj_id], full[frame][obj_id])


def test_reading_what_was_pruned_fails_loudly(models):
    """The safety net: a memory plan that drops too much raises instead of changing masks."""
    from videoseg_desktop.inference.concept_memory import PrunedOutputError
    from videoseg_desktop.inference.concept_video import ConceptVideoSession

    model, processor = models
    with ConceptVideoSession(model, processor, MemoryFrames(shapes_video(24))) as session:
        session.add_concept("car")
        session.memory.max_cond = 1  # chooses fewer conditioning frames than the tracker reads
        with pytest.raises(PrunedOutputError, match="pruned"):
            session.propagate(0, "forward")


def test_cancel_reports_the_frames_tracked_and_a_session_tracks_once(models):
    from videoseg_desktop.inference.concept_video import ConceptVideoSession

    model, processor = models
    seen = []
    with ConceptVideoSession(model, processor, MemoryFrames(shapes_video(12))) as session:
        session.add_concept("car")
        outcome = session.propagate(
            0, "forward", on_frame=lambda r: seen.append(r.frame), cancel=lambda: len(seen) >= 2
        )
        assert outcome.cancelled
        # transformers holds frames back for its hot-start check; cancelling hands them out
        assert seen == list(range(outcome.frames_done))
        with pytest.raises(VideoSegError, match="tracks once"):
            session.propagate(0, "forward")


def test_passes_follow_transformers_order():
    from videoseg_desktop.inference.concept_video import concept_passes

    assert concept_passes(3, "both", None, 6) == [(False, range(3, 6)), (True, range(2, -1, -1))]
    assert concept_passes(3, "backward", None, 6) == [(True, range(3, -1, -1))]
    assert concept_passes(0, "both", None, 6) == [(False, range(0, 6))]
    assert concept_passes(1, "forward", 4, 6) == [(False, range(1, 5))]
    with pytest.raises(VideoSegError):
        concept_passes(4, "forward", 2, 6)
    with pytest.raises(VideoSegError):
        concept_passes(9, "forward", None, 6)
