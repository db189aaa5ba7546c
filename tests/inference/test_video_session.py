"""VideoSession behaviour: cancel, progress, mask prompts, prompt edits, errors and clean-up."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from tests.helpers.tracking import (
    MemoryFrames,
    build_stock_predictor,
    compare_tracks,
    davis_frames,
    davis_mask,
    one_torch_thread,
    stock_propagate,
    stock_state,
)
from tests.helpers.video import moving_square_frames
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, mask_iou
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.inference.checkpoint import build_predictor
from videoseg_desktop.inference.frame_feed import FrameFeed
from videoseg_desktop.inference.video_session import Progress, VideoSession

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


@pytest.fixture(scope="module")
def predictor(random_checkpoint):
    return build_predictor("tiny", random_checkpoint, 256, "cpu")


@pytest.fixture(scope="module")
def stock(random_checkpoint):
    return build_stock_predictor(random_checkpoint)


@pytest.fixture
def squares():
    return MemoryFrames(moving_square_frames(10, w=160, h=120))


@pytest.fixture
def short_davis(davis_root, tmp_path):
    """The first 8 car-shadow frames, and a JPEG folder of them for stock init_state."""
    clip = davis_frames(davis_root)
    clip = MemoryFrames(clip.frames[:8])
    folder = tmp_path / "jpeg"
    folder.mkdir()
    for i, rgb in enumerate(clip.frames):
        Image.fromarray(rgb).save(folder / f"{i:05d}.jpg")
    return clip, folder


def test_cancel_stops_between_frames_and_tracking_can_resume(predictor, squares, tmp_path):
    cancel = threading.Event()
    seen, progress = [], []

    def on_frame(result):
        seen.append(result.frame)
        if len(seen) == 3:
            cancel.set()

    with VideoSession(predictor, squares, tmp_path) as session:
        session.add_prompts(1, 0, [Point(35, 85)])
        outcome = session.propagate(
            0, "forward", on_frame=on_frame, cancel=cancel, on_progress=progress.append
        )
        assert outcome.cancelled and outcome.frames_done == 3 and outcome.total == 10
        assert seen == [0, 1, 2]
        assert [p.done for p in progress] == [1, 2, 3] and {p.total for p in progress} == {10}
        assert all(p.fps > 0 and p.eta_s > 0 for p in progress)

        rest, progress = [], []
        outcome = session.propagate(
            3, "forward", on_frame=lambda r: rest.append(r.frame), on_progress=progress.append
        )
        assert not outcome.cancelled and rest == list(range(3, 10))
        assert progress[-1] == Progress(7, 7, progress[-1].fps, 0.0)
        # A callable works as a cancel flag too; cancelled before the first frame, nothing runs.
        outcome = session.propagate(9, "backward", cancel=lambda: True)
        assert outcome.cancelled and outcome.frames_done == 0


def test_mask_prompt_matches_stock_add_new_mask(
    predictor, stock, short_davis, davis_root, tmp_path
):
    import torch

    clip, folder = short_davis
    truth = davis_mask(davis_root, 0)
    feed = FrameFeed(clip, 256)
    state = stock_state(stock, folder, torch.stack([feed[i] for i in range(len(clip))]))
    _, _, stock_logits = stock.add_new_mask(state, 0, 5, truth)
    _, stock_results = stock_propagate(stock, state)

    with VideoSession(predictor, clip, tmp_path) as session:
        result = session.add_mask(5, 0, truth)
        assert mask_iou(result.masks[5], (stock_logits[0, 0] > 0).numpy()) == 1.0
        assert mask_iou(result.masks[5], truth) > 0.9  # a mask prompt is taken nearly as is
        ours = {}
        session.propagate(0, "forward", on_frame=lambda r: ours.__setitem__(r.frame, r))
    min_iou, max_diff = compare_tracks(ours, stock_results, 5, range(len(clip)))
    print(f"\n[mask prompt] min IoU vs stock {min_iou:.6f}, max logit difference {max_diff:.3g}")
    assert min_iou >= 0.99 and max_diff <= 1e-4


def test_adding_points_to_a_frame_matches_stock(predictor, stock, short_davis, tmp_path):
    import torch

    clip, folder = short_davis
    feed = FrameFeed(clip, 256)
    state = stock_state(stock, folder, torch.stack([feed[i] for i in range(len(clip))]))
    stock.add_new_points_or_box(
        state, 3, 1, points=[[500, 190]], labels=[1], box=[313, 88, 654, 281]
    )
    _, _, logits = stock.add_new_points_or_box(
        state, 3, 1, points=[[600, 150]], labels=[0], clear_old_points=False
    )
    with VideoSession(predictor, clip, tmp_path) as session:
        session.add_prompts(1, 3, [Point(500, 190)], Box(313, 88, 654, 281))
        result = session.add_prompts(1, 3, [Point(600, 150, positive=False)], clear_old=False)
        assert mask_iou(result.masks[1], (logits[0, 0] > 0).numpy()) == 1.0
        assert session._objects[1].point_inputs[3]["point_labels"].tolist() == [[2, 3, 1, 0]]
        assert [decode_rle(r).sum() for r in result.rles().values()] == [result.masks[1].sum()]


def test_clearing_prompts_keeps_the_frame_as_tracked_memory(predictor, squares, tmp_path):
    with VideoSession(predictor, squares, tmp_path) as session:
        session.add_prompts(1, 0, [Point(35, 85)])
        session.add_prompts(1, 5, [Point(70, 85)])
        assert session.prompted_frames(1) == [0, 5]
        session.propagate(0, "forward", end_frame=6)
        session.clear_prompts(1, 5)
        assert session.prompted_frames(1) == [0]
        assert 5 in session._objects[1].non_cond
        session.clear_prompts(1, 0)
        session.clear_prompts(99, 0)  # unknown objects: nothing to do
        with pytest.raises(VideoSegError, match="add a prompt"):
            session.propagate(0, "forward")
        with pytest.raises(VideoSegError, match="object 1 has no prompts"):
            session.propagate(0, "forward", obj_ids=[1])


def test_backward_from_the_first_frame_tracks_nothing(predictor, squares, tmp_path):
    with VideoSession(predictor, squares, tmp_path) as session:
        session.add_prompts(1, 0, [Point(35, 85)])
        outcome = session.propagate(0, "backward")
        assert (outcome.frames_done, outcome.total, outcome.cancelled) == (0, 0, False)


def test_bad_requests_are_refused(predictor, squares, tmp_path):
    with VideoSession(predictor, squares, tmp_path) as session:
        with pytest.raises(VideoSegError, match="add a prompt"):
            session.propagate(0)
        with pytest.raises(VideoSegError, match="outside the video"):
            session.add_prompts(1, 10, [Point(1, 1)])
        with pytest.raises(ValueError):
            session.add_prompts(1, 0, [])
        with pytest.raises(ValueError):
            session.add_prompts(1, 0, [Point(1, 1)], Box(0, 0, 5, 5), clear_old=False)
        with pytest.raises(ValueError):
            session.add_mask(1, 0, np.zeros((10, 10), bool))
        session.add_prompts(1, 4, [Point(35, 85)])
        with pytest.raises(ValueError):
            session.propagate(4, "sideways")
        with pytest.raises(ValueError):
            session.propagate(4, "both", end_frame=6)
        with pytest.raises(VideoSegError, match="not forward"):
            session.propagate(4, "forward", end_frame=2)
        with pytest.raises(VideoSegError, match="not backward"):
            session.propagate(4, "backward", end_frame=6)
        with pytest.raises(VideoSegError, match="object 2"):
            session.propagate(4, obj_ids=[1, 2])
    with pytest.raises(VideoSegError, match="no frames"):
        VideoSession(predictor, _Empty(), tmp_path)


class _Empty:
    width, height = 16, 16

    def __len__(self):
        return 0

    def read(self, i):
        raise IndexError(i)


def test_spilled_memory_is_deleted_with_its_object_and_session(predictor, squares, tmp_path):
    session = VideoSession(predictor, squares, tmp_path / "cache", ram_frames=2)
    session.add_prompts(1, 0, [Point(35, 85)])
    session.add_prompts(2, 0, [Point(120, 20)])
    session.propagate(0, "forward", end_frame=5)
    files = sorted(session.spill_root.iterdir())
    assert len(files) == 2 and all(f.stat().st_size > 0 for f in files)
    assert session.remove_object(1) and not session.remove_object(1)
    assert len(list(session.spill_root.iterdir())) == 1
    session.close()
    assert not session.spill_root.exists() and (tmp_path / "cache").is_dir()

    with VideoSession(predictor, squares) as temporary:  # no folder given: system temp
        root = temporary.spill_root
        assert root.is_dir()
    assert not root.exists()


def test_engine_sessions_clean_masks_and_use_the_engine_precision_and_lock(
    random_checkpoint, squares, tmp_path
):
    import contextlib

    from videoseg_desktop.inference.engine import SamEngine
    from videoseg_desktop.inference.postprocess import PostProcessing

    engine = SamEngine.load("tiny", random_checkpoint, image_size=256, device="cpu")
    entered, engine_autocast = [], engine.autocast

    @contextlib.contextmanager
    def counting_autocast():
        entered.append(engine.model_lock._is_owned())
        with engine_autocast():
            yield

    engine.autocast = counting_autocast
    clicks = [Point(35, 85), Point(150, 10, positive=False)]
    with VideoSession.for_engine(engine, squares, tmp_path) as session:
        cleaned = session.add_prompts(1, 0, clicks)
        session.propagate(0, "forward", end_frame=1)
    assert entered and all(entered)  # every model call ran under the lock and the autocast
    with VideoSession(engine.predictor, squares, tmp_path) as raw_session:
        raw = raw_session.add_prompts(1, 0, clicks)
    np.testing.assert_array_equal(cleaned.logits[1], raw.logits[1])
    np.testing.assert_array_equal(cleaned.masks[1], PostProcessing().apply(raw.masks[1]))
