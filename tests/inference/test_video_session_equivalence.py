"""The streaming VideoSession against the unmodified SAM2VideoPredictor, same weights, same frames.

40 DAVIS frames (car-shadow) at image_size 256: longer than the 16 frames of memory the model
reads, so pruning, spilling to disk and reloading are all exercised. Each scenario prints the
smallest per-frame mask IoU and the largest low-resolution logit difference against stock.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.tracking import (
    assert_non_trivial,
    build_stock_predictor,
    compare_tracks,
    davis_frames,
    one_torch_thread,
    stock_propagate,
    stock_state,
)
from videoseg_desktop.core.masks import mask_iou
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.inference.checkpoint import build_predictor
from videoseg_desktop.inference.frame_feed import FrameFeed
from videoseg_desktop.inference.shared_batch import SharedInputMemoryAttention
from videoseg_desktop.inference.video_session import VideoSession

pytestmark = pytest.mark.slow

SEQ = "car-shadow"
# Prompts around the car (from the DAVIS annotation's bounding boxes).
PROMPT_0 = ([Point(500, 189)], Box(313, 88, 654, 281))
PROMPT_20 = ([Point(396, 204)], Box(264, 131, 508, 274))
PROMPT_39 = ([Point(409, 214)], Box(319, 168, 487, 266))
MIN_IOU = 0.99
MAX_LOGIT_DIFF = 1e-4


def _stock_prompt(stock, state, frame, obj_id, prompt, clear_old=True):
    points, box = prompt
    _, obj_ids, logits = stock.add_new_points_or_box(
        state,
        frame,
        obj_id,
        points=[[p.x, p.y] for p in points],
        labels=[int(p.positive) for p in points],
        box=None if box is None else [box.x0, box.y0, box.x1, box.y1],
        clear_old_points=clear_old,
    )
    return (logits[obj_ids.index(obj_id), 0] > 0).numpy()


def _report(name, min_iou, max_diff):
    print(f"\n[{name}] min IoU vs stock {min_iou:.6f}, max logit difference {max_diff:.3g}")
    assert min_iou >= MIN_IOU
    assert max_diff <= MAX_LOGIT_DIFF


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


@pytest.fixture(scope="module")
def clip(davis_root):
    return davis_frames(davis_root, SEQ)


@pytest.fixture(scope="module")
def jpeg_folder(davis_root):
    return davis_root / "JPEGImages" / "480p" / SEQ


@pytest.fixture(scope="module")
def ours_predictor(random_checkpoint):
    return build_predictor("tiny", random_checkpoint, 256, "cpu")


@pytest.fixture(scope="module")
def stock(random_checkpoint):
    return build_stock_predictor(random_checkpoint)


@pytest.fixture(scope="module")
def frame_tensors(clip):
    import torch

    feed = FrameFeed(clip, 256, cache_frames=1)
    return torch.stack([feed[i] for i in range(len(feed))])


@pytest.fixture(scope="module")
def stock_forward(stock, jpeg_folder, frame_tensors):
    """Stock: object 1 prompted on frame 0, tracked forward to the end."""
    state = stock_state(stock, jpeg_folder, frame_tensors)
    click = _stock_prompt(stock, state, 0, 1, PROMPT_0)
    order, results = stock_propagate(stock, state)
    return {"state": state, "click": click, "order": order, "results": results}


@pytest.fixture(scope="module")
def stock_both(stock, jpeg_folder, frame_tensors):
    """Stock: object 2 prompted on frame 20, tracked forward then backward from there."""
    state = stock_state(stock, jpeg_folder, frame_tensors)
    click = _stock_prompt(stock, state, 20, 2, PROMPT_20)
    order, results = stock_propagate(stock, state, start_frame_idx=20)
    back_order, back = stock_propagate(stock, state, start_frame_idx=20, reverse=True)
    for frame, per_obj in back.items():
        results[frame] = per_obj
    return {"click": click, "order": order + back_order, "results": results}


def _collector():
    results, order = {}, []

    def on_frame(result):
        results[result.frame] = result
        order.append(result.frame)

    return results, order, on_frame


def test_forward_then_correction_and_repropagation(
    ours_predictor, stock, clip, stock_forward, tmp_path
):
    n = len(clip)
    with VideoSession(ours_predictor, clip, tmp_path) as session:
        click = session.add_prompts(1, 0, *PROMPT_0)
        assert mask_iou(click.masks[1], stock_forward["click"]) == 1.0

        results, order, collect = _collector()
        held = []

        def on_frame(result):
            collect(result)
            stats = session.memory_stats()
            held.append((stats["objects"][1]["ram_frames"], stats["feed_frames"]))

        session.propagate(0, "forward", on_frame=on_frame)
        assert order == stock_forward["order"] == list(range(n))
        assert_non_trivial(results, 1)
        _report("forward", *compare_tracks(results, stock_forward["results"], 1, range(n)))

        # Memory stays within the window the model reads, while stock keeps every frame.
        assert max(ram for ram, _ in held) <= session.ram_frames < n - 1
        assert max(feed for _, feed in held) <= session.feed.cache_frames
        assert session.memory_stats()["objects"][1]["tracked_frames"] == n - 1
        stock_outputs = stock_forward["state"]["output_dict_per_obj"][0]
        assert len(stock_outputs["non_cond_frame_outputs"]) == n - 1
        before = {f: results[f].logits[1].copy() for f in range(n)}

        # Correct frame 25 (a negative click inside the tracked car) and re-propagate from it.
        correction = ([Point(395, 209, positive=False), Point(300, 200)], None)
        fixed = session.add_prompts(1, 25, *correction)
        stock_fixed = _stock_prompt(stock, stock_forward["state"], 25, 1, correction)
        assert mask_iou(fixed.masks[1], stock_fixed) == 1.0
        assert mask_iou(fixed.masks[1], results[25].masks[1]) < 0.99  # the click changed it

        again, again_order, collect_again = _collector()
        session.propagate(25, "forward", on_frame=collect_again)
        stock_order, stock_again = stock_propagate(
            stock, stock_forward["state"], start_frame_idx=25
        )
        assert again_order == stock_order == list(range(25, n))
        _report("correction", *compare_tracks(again, stock_again, 1, range(25, n)))
        changed = [
            f for f in range(26, n) if not np.array_equal(again[f].masks[1], results[f].masks[1])
        ]
        assert changed, "re-propagation after the correction changed nothing"

        # Frames before the correction keep their memory bit for bit (some come back from disk).
        track = session._objects[1]
        for frame in range(1, 25):
            np.testing.assert_array_equal(
                track.non_cond[frame]["pred_masks"][0, 0].numpy(), before[frame]
            )
        assert 25 in session.prompted_frames(1) and 25 not in track.non_cond
        assert track.non_cond.loads > 0


def test_backward_with_tiny_ram_window(
    ours_predictor, stock, clip, jpeg_folder, frame_tensors, tmp_path
):
    n = len(clip)
    state = stock_state(stock, jpeg_folder, frame_tensors)
    stock_click = _stock_prompt(stock, state, n - 1, 7, PROMPT_39)
    stock_order, stock_results = stock_propagate(stock, state, start_frame_idx=n - 1, reverse=True)

    # A window far smaller than the 15 frames the model reads: every read beyond it comes
    # back from disk, and the results must still be identical.
    with VideoSession(ours_predictor, clip, tmp_path, ram_frames=3) as session:
        click = session.add_prompts(7, n - 1, *PROMPT_39)
        assert mask_iou(click.masks[7], stock_click) == 1.0
        results, order, collect = _collector()
        session.propagate(n - 1, "backward", on_frame=collect)
        assert order == stock_order == list(range(n - 1, -1, -1))
        assert_non_trivial(results, 7)
        _report("backward", *compare_tracks(results, stock_results, 7, range(n)))
        stats = session.memory_stats()["objects"][7]
        assert stats["ram_frames"] <= 3 and stats["loads"] > 0


def test_both_directions(ours_predictor, clip, stock_both, tmp_path):
    n = len(clip)
    with VideoSession(ours_predictor, clip, tmp_path) as session:
        click = session.add_prompts(2, 20, *PROMPT_20)
        assert mask_iou(click.masks[2], stock_both["click"]) == 1.0
        results, order, collect = _collector()
        outcome = session.propagate(20, "both", on_frame=collect)
        assert order == stock_both["order"]  # 20..39, then 20..0
        assert outcome.frames_done == outcome.total == len(order) and not outcome.cancelled
        assert_non_trivial(results, 2)
        _report("forward+backward", *compare_tracks(results, stock_both["results"], 2, range(n)))


def test_second_object_added_after_tracking(
    ours_predictor, clip, stock_forward, stock_both, tmp_path
):
    """Object 2 joins on frame 20 after object 1 was tracked; each must match a stock run alone."""
    n = len(clip)
    with VideoSession(ours_predictor, clip, tmp_path) as session:
        results, _, collect = _collector()
        session.add_prompts(1, 0, *PROMPT_0)
        session.propagate(0, "forward", end_frame=25, on_frame=collect)
        assert sorted(results) == list(range(26))

        click = session.add_prompts(2, 20, *PROMPT_20)
        assert mask_iou(click.masks[2], stock_both["click"]) == 1.0
        latest = {}

        def keep(result):
            for obj_id in result.masks:
                latest.setdefault(obj_id, {})[result.frame] = result

        session.propagate(20, "forward", on_frame=keep)  # both objects, 20..39
        session.propagate(20, "backward", obj_ids=[2], on_frame=keep)  # only the new one
        assert sorted(latest[1]) == list(range(20, n))
        assert sorted(latest[2]) == list(range(n))
        track_1 = {**results, **latest[1]}
        assert_non_trivial(latest[2], 2)
        _report("object 1 of 2", *compare_tracks(track_1, stock_forward["results"], 1, range(n)))
        _report("object 2 of 2", *compare_tracks(latest[2], stock_both["results"], 2, range(n)))
        assert session.remove_object(1)
        assert session.object_ids == [2]


# Extra objects for the batched test: random weights segment any region, so boxes on the
# background give real, different masks.
PROMPT_BG_LEFT = ([Point(150, 120)], Box(50, 50, 250, 200))
PROMPT_BG_RIGHT = ([], Box(600, 250, 800, 450))
PROMPT_BG_LOW = ([Point(200, 400)], Box(100, 330, 330, 470))
MIN_IOU_BATCHED = 0.999


def test_batched_objects_equal_stock_per_object(
    ours_predictor, stock, clip, jpeg_folder, frame_tensors, tmp_path, monkeypatch
):
    """Four objects (two on frame 0, two joining on frame 15) and a correction on frame 25.

    Ours tracks same-layout objects in one batch per frame; stock tracks each object alone.
    Every object on every frame of every pass must match stock (IoU >= 0.999).
    """
    n = len(clip)
    scenario = [  # (objects and their prompts, start frame of the propagation that follows)
        ({1: (0, PROMPT_0), 2: (0, PROMPT_BG_LEFT)}, 0),
        ({3: (15, PROMPT_BG_RIGHT), 4: (15, PROMPT_BG_LOW)}, 15),
        ({2: (25, ([Point(150, 120, positive=False), Point(420, 200)], None))}, 25),
    ]
    state = stock_state(stock, jpeg_folder, frame_tensors)
    stock_passes = []
    for prompts, start in scenario:
        for obj_id, (frame, prompt) in prompts.items():
            _stock_prompt(stock, state, frame, obj_id, prompt)
        stock_passes.append(stock_propagate(stock, state, start_frame_idx=start))

    batch_sizes = []
    run_frame = ours_predictor._run_single_frame_inference

    def spy(**kwargs):
        batch_sizes.append(kwargs["batch_size"])
        return run_frame(**kwargs)

    monkeypatch.setattr(ours_predictor, "_run_single_frame_inference", spy)
    shared_before = SharedInputMemoryAttention.shared_calls
    worst_iou, worst_diff = 1.0, 0.0
    with VideoSession(ours_predictor, clip, tmp_path) as session:
        for (prompts, start), (stock_order, stock_results) in zip(
            scenario, stock_passes, strict=True
        ):
            for obj_id, (frame, (points, box)) in prompts.items():
                session.add_prompts(obj_id, frame, points, box)
            batch_sizes.clear()
            results, order, collect = _collector()
            session.propagate(start, "forward", on_frame=collect)
            assert order == stock_order == list(range(start, n))
            assert max(batch_sizes) >= 2, "no frame was tracked as a batch"
            for obj_id in session.object_ids:
                assert_non_trivial(results, obj_id)
                iou, diff = compare_tracks(results, stock_results, obj_id, order)
                worst_iou, worst_diff = min(worst_iou, iou), max(worst_diff, diff)
        # After the correction object 2 has its own layout (and keeps frame 25): 1 runs
        # alone, 3 and 4 together, on frames 25..39.
        assert sorted(batch_sizes) == [1] * ((n - 25) + (n - 26)) + [2] * (n - 25)
    # Every batch computed the frame's own features once (shared_batch).
    assert SharedInputMemoryAttention.shared_calls > shared_before
    print(
        f"\n[4 objects, batched] min IoU vs stock {worst_iou:.6f}, max logit diff {worst_diff:.3g}"
    )
    assert worst_iou >= MIN_IOU_BATCHED
    assert worst_diff <= 1e-3
