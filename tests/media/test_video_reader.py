"""Frame-accurate random access: every read must equal the sequential decode, bit for bit."""

from __future__ import annotations

import random
import threading

import av
import numpy as np
import pytest

from tests.helpers.video import read_frame_number
from tests.media.conftest import N_FRAMES, decode_all
from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.media.frame_index import build_frame_index
from videoseg_desktop.media.video_reader import VideoReader


def test_reference_decode_is_in_frame_order(bframe_reference):
    # Guards the other tests: the reference itself must be frames 0..N-1 in order.
    assert [read_frame_number(f) for f in bframe_reference] == list(range(N_FRAMES))


def test_random_access_matches_sequential_decode(bframe_mp4, bframe_reference):
    order = list(range(N_FRAMES))
    random.Random(7).shuffle(order)
    with VideoReader(bframe_mp4, cache_size=4) as reader:
        assert len(reader) == N_FRAMES
        for i in order:
            frame = reader.read(i)
            assert frame.dtype == np.uint8 and frame.shape == bframe_reference[i].shape
            assert np.array_equal(frame, bframe_reference[i]), f"frame {i} differs"


def test_backward_and_boundary_reads(bframe_mp4, bframe_reference):
    # Last frame, first frame, around the second keyframe (250), stepping backwards.
    wanted = [N_FRAMES - 1, 0, 251, 250, 249, 248, 1, 299, 150, 149]
    with VideoReader(bframe_mp4, cache_size=2) as reader:
        for i in wanted:
            assert np.array_equal(reader.read(i), bframe_reference[i]), f"frame {i} differs"


def test_sequential_reads_do_not_seek_again(bframe_mp4, bframe_reference):
    with VideoReader(bframe_mp4) as reader:
        reader.read(10)
        seeks = reader.seeks
        for i in range(11, 120):
            assert np.array_equal(reader.read(i), bframe_reference[i])
        assert reader.seeks == seeks
        # A short jump forward inside the same keyframe interval decodes on, no seek.
        assert np.array_equal(reader.read(140), bframe_reference[140])
        assert reader.seeks == seeks


def test_stepping_back_a_few_frames_uses_the_cache(bframe_mp4, bframe_reference):
    with VideoReader(bframe_mp4, cache_size=8) as reader:
        reader.read(200)
        seeks = reader.seeks
        for i in range(199, 193, -1):
            assert np.array_equal(reader.read(i), bframe_reference[i])
        assert reader.seeks == seeks


def test_iter_frames_yields_the_range(bframe_mp4, bframe_reference):
    with VideoReader(bframe_mp4) as reader:
        frames = list(reader.iter_frames(245, 260))
        assert reader.seeks == 1
    assert len(frames) == 15
    for i, frame in zip(range(245, 260), frames, strict=True):
        assert np.array_equal(frame, bframe_reference[i])


def test_read_returns_a_copy_the_caller_may_modify(bframe_mp4, bframe_reference):
    with VideoReader(bframe_mp4) as reader:
        first = reader.read(3)
        first[:] = 0
        assert np.array_equal(reader.read(3), bframe_reference[3])


def test_reader_properties_and_errors(bframe_mp4):
    reader = VideoReader(bframe_mp4, index=build_frame_index(bframe_mp4))
    assert (reader.width, reader.height) == (256, 192)
    assert reader.fps == pytest.approx(30.0)
    assert reader.frame_time(30) == pytest.approx(1.0)
    with pytest.raises(IndexError):
        reader.read(N_FRAMES)
    with pytest.raises(IndexError):
        reader.read(-1)
    reader.close()
    with pytest.raises(MediaError, match="closed"):
        reader.read(0)


def test_concurrent_readers_on_one_reader_stay_exact(bframe_mp4, bframe_reference):
    errors: list[str] = []
    with VideoReader(bframe_mp4, cache_size=4) as reader:

        def work(seed: int) -> None:
            rng = random.Random(seed)
            for _ in range(15):
                i = rng.randrange(N_FRAMES)
                if not np.array_equal(reader.read(i), bframe_reference[i]):
                    errors.append(f"frame {i}")

        threads = [threading.Thread(target=work, args=(s,)) for s in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_davis_sequence_random_access(davis_mp4):
    reference = decode_all(davis_mp4)
    assert len(reference) == 40
    order = list(range(40))
    random.Random(3).shuffle(order)
    with VideoReader(davis_mp4, cache_size=2) as reader:
        assert (reader.width, reader.height) == (854, 480)
        for i in order:
            assert np.array_equal(reader.read(i), reference[i]), f"DAVIS frame {i} differs"


@pytest.mark.parametrize(("suffix", "damage"), [(".mp4", "key"), (".mp4", "p"), (".avi", "p")])
def test_damaged_packet_never_yields_a_wrong_picture(tmp_path, suffix, damage):
    # Damage one packet (a keyframe, or a P-frame mid-interval). Every read must then either
    # return exactly the undamaged picture or raise MediaError: concealed, broken pictures
    # and misnumbered frames (AVI counts decoder output) are never handed out.
    from tests.helpers.video import numbered_frames, write_video

    path = write_video(numbered_frames(60), tmp_path / f"ok{suffix}", gop=12, bframes=2)
    reference = decode_all(path)
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    hit = [p for p in packets if p.is_keyframe][2] if damage == "key" else packets[30]
    data = bytearray(path.read_bytes())
    start, end = hit.pos + hit.size // 3, hit.pos + hit.size
    data[start:end] = (np.arange(end - start) * 7919 % 251).astype(np.uint8).tobytes()
    damaged = tmp_path / f"damaged{suffix}"
    damaged.write_bytes(bytes(data))
    failed = []
    with VideoReader(damaged, cache_size=4) as reader:
        assert len(reader) == 60
        for i in np.random.default_rng(0).permutation(60).tolist():
            try:
                frame = reader.read(i)
            except MediaError as exc:
                assert f"frame {i} cannot be decoded" in str(exc)
                failed.append(i)
                continue
            assert np.array_equal(frame, reference[i]), f"frame {i} is wrong"
    # Only pictures near the damage (one keyframe interval of 12) are lost.
    assert failed and max(failed) - min(failed) < 16
    assert set(range(12)).isdisjoint(failed) and set(range(36, 60)).isdisjoint(failed)
