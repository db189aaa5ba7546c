"""FrameFeed: frames decoded on demand into exactly the tensors sam2's own video loader makes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.helpers.tracking import MemoryFrames, davis_frames  # noqa: E402
from tests.helpers.video import moving_square_frames  # noqa: E402
from videoseg_desktop.inference.frame_feed import FrameFeed, preprocess_frame  # noqa: E402


def test_tensors_equal_sam2_jpeg_loader_bit_for_bit(davis_root):
    from sam2.utils.misc import load_video_frames

    folder = davis_root / "JPEGImages" / "480p" / "car-shadow"
    stock, height, width = load_video_frames(
        str(folder), 256, offload_video_to_cpu=True, compute_device=torch.device("cpu")
    )
    feed = FrameFeed(davis_frames(davis_root), 256)
    assert (len(feed), feed.video_height, feed.video_width) == (len(stock), height, width)
    for i in range(len(feed)):
        assert feed[i].dtype == torch.float32 and feed[i].shape == (3, 256, 256)
        assert torch.equal(feed[i], stock[i]), f"frame {i} differs"


def test_frames_are_read_only_when_asked_and_the_cache_stays_small():
    source = MemoryFrames(moving_square_frames(30))
    feed = FrameFeed(source, 64, cache_frames=3)
    assert source.reads == [] and len(feed) == 30
    for i in range(30):
        feed[i]
        assert len(feed.cached_indices) <= 3
    assert source.reads == list(range(30))
    assert feed.cached_indices == [27, 28, 29]
    again = feed[28]  # cached: no second decode
    assert source.reads.count(28) == 1 and feed.decoded_count == 30
    assert torch.equal(again, preprocess_frame(source.frames[28], 64))
    feed[0]
    assert feed.cached_indices == [29, 28, 0]  # least recently used went first


def test_different_frames_give_different_tensors():
    feed = FrameFeed(MemoryFrames(moving_square_frames(3)), 64)
    assert not torch.equal(feed[0], feed[1])


def test_prefetch_decodes_once_in_the_background():
    source = MemoryFrames(moving_square_frames(10))
    feed = FrameFeed(source, 64, cache_frames=2)
    feed.prefetch(4)
    feed.prefetch(4)  # already on its way
    feed.prefetch(-1)  # outside the video: ignored
    feed.prefetch(10)
    image = feed[4]
    assert source.reads == [4]
    assert torch.equal(image, preprocess_frame(source.frames[4], 64))
    feed.prefetch(4)  # cached now: nothing to do
    assert source.reads == [4]
    feed.close()
    assert feed.cached_indices == []


@pytest.mark.parametrize("own_preprocess", [False, True])
def test_the_helper_thread_runs_no_torch_operator(own_preprocess):
    """A torch op on the prefetch thread starts a second OpenMP team whose spinning threads
    slowed tracking on 2 cores by 29%: the helper decodes and does NumPy work only, and a
    session's own (torch) preprocessing runs on the thread that asks for the frame."""
    from torch.utils._python_dispatch import TorchDispatchMode

    seen: list[tuple[str, str]] = []

    class Record(TorchDispatchMode):  # active only on the thread that enters it
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append((threading.current_thread().name, str(func)))
            return func(*args, **(kwargs or {}))

    def own(rgb):
        return torch.from_numpy(rgb).permute(2, 0, 1).float() / 255

    source = MemoryFrames(moving_square_frames(6))
    feed = FrameFeed(source, 64, preprocess=own if own_preprocess else None)
    real_load, threads = feed._load, []

    def load_recorded(index):
        threads.append(threading.current_thread().name)
        with Record():
            return real_load(index)

    feed._load = load_recorded
    feed.prefetch(2)
    image = feed[2]
    assert threads and threads[0].startswith("frame-feed")  # decoded on the helper
    assert seen == []
    expected = own(source.frames[2]) if own_preprocess else preprocess_frame(source.frames[2], 64)
    assert torch.equal(image, expected)
    feed.close()


def test_tracking_order_decodes_each_frame_once():
    """Tracking prefetches frame i + 1 before it reads frame i (prefetched a step earlier)."""
    source = MemoryFrames(moving_square_frames(8))
    feed = FrameFeed(source, 64, cache_frames=2)
    feed.prefetch(0)
    for i in range(8):
        feed.prefetch(i + 1)
        feed[i]
    assert sorted(source.reads) == list(range(8))
    assert len(feed.cached_indices) <= 2
    feed.close()


def test_out_of_range_frames_and_bad_pixels_are_refused():
    feed = FrameFeed(MemoryFrames(moving_square_frames(2)), 64)
    with pytest.raises(IndexError):
        feed[2]
    with pytest.raises(IndexError):
        feed[-1]
    with pytest.raises(ValueError):
        preprocess_frame(np.zeros((8, 8, 3), np.float32), 64)
    with pytest.raises(ValueError):
        preprocess_frame(np.zeros((8, 8), np.uint8), 64)
    with pytest.raises(ValueError):
        FrameFeed(MemoryFrames(moving_square_frames(2)), 64, cache_frames=0)


def test_feed_over_a_real_video_file(davis_mp4, tmp_path):
    from videoseg_desktop.core.records import MediaKind
    from videoseg_desktop.media.frames import open_frames

    with open_frames(davis_mp4, MediaKind.VIDEO, tmp_path / "index.npz") as video:
        feed = FrameFeed(video, 256)
        assert (len(feed), feed.video_width, feed.video_height) == (40, 854, 480)
        for i in (0, 39, 17):  # random access, backwards included
            assert torch.equal(feed[i], preprocess_frame(video.read(i), 256))
