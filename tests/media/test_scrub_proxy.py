"""The scrub proxy: an all-intra low-resolution copy shown while the playhead moves."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tests.helpers.video import read_frame_number
from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.media.scrub_proxy import (
    INDEX,
    META,
    PACK,
    build_scrub_proxy,
    open_scrub_proxy,
    proxy_dir,
)
from videoseg_desktop.media.video_reader import VideoReader

from .conftest import N_FRAMES


@pytest.fixture(scope="module")
def proxy_folder(tmp_path_factory, bframe_mp4):
    folder = tmp_path_factory.mktemp("scrub")
    seen = []
    with VideoReader(bframe_mp4) as reader:
        assert build_scrub_proxy(reader, folder, on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (N_FRAMES, N_FRAMES)
    return folder


def test_every_frame_shows_its_own_picture(proxy_folder):
    proxy = open_scrub_proxy(proxy_folder, N_FRAMES)
    assert proxy is not None
    try:
        for i in [0, 1, 37, 124, 249, 250, 251, 299, 150, 3]:  # far jumps across the GOP
            assert proxy.nearest(i) == i
            assert read_frame_number(proxy.read(i)) == i
    finally:
        proxy.close()


def test_size_cap_raises_the_stride(tmp_path, bframe_mp4):
    with VideoReader(bframe_mp4) as reader:
        assert build_scrub_proxy(reader, tmp_path, cap_bytes=60 * 1024)
    proxy = open_scrub_proxy(tmp_path, N_FRAMES)
    assert proxy is not None
    try:
        assert len(proxy.frames) < N_FRAMES // 2
        for i in [5, 100, 201, 299]:
            shown = proxy.nearest(i)
            assert shown <= i and i - shown < N_FRAMES // 4
            assert read_frame_number(proxy.read(i)) == shown
    finally:
        proxy.close()


def test_cancel_leaves_nothing(tmp_path, bframe_mp4):
    cancel = threading.Event()

    def stop(done, total):
        if done > 50:
            cancel.set()

    with VideoReader(bframe_mp4) as reader:
        assert not build_scrub_proxy(reader, tmp_path, on_progress=stop, cancel=cancel)
    assert open_scrub_proxy(tmp_path, N_FRAMES) is None
    assert not list(tmp_path.glob("*.part"))


def test_damaged_or_foreign_proxies_are_refused(tmp_path, proxy_folder):
    import shutil

    def copy(name):
        target = tmp_path / name
        shutil.copytree(proxy_folder, target)
        return target

    assert open_scrub_proxy(proxy_folder, N_FRAMES + 1) is None  # another video's length
    truncated = copy("truncated")
    (truncated / INDEX).write_bytes((truncated / INDEX).read_bytes()[:-8])
    assert open_scrub_proxy(truncated, N_FRAMES) is None
    wild = copy("wild")
    table = np.frombuffer((wild / INDEX).read_bytes(), "<i8").copy()
    table[-1] = 1 << 40  # an offset far past the end of the pack
    (wild / INDEX).write_bytes(table.tobytes())
    assert open_scrub_proxy(wild, N_FRAMES) is None
    (copy("no-meta") / META).unlink()
    assert open_scrub_proxy(tmp_path / "no-meta", N_FRAMES) is None
    bad_meta = copy("bad-meta")
    (bad_meta / META).write_text("[1, 2")
    assert open_scrub_proxy(bad_meta, N_FRAMES) is None
    garbage = copy("garbage")
    (garbage / PACK).write_bytes(b"\0" * (garbage / PACK).stat().st_size)
    proxy = open_scrub_proxy(garbage, N_FRAMES)
    assert proxy is not None
    with pytest.raises(MediaError):
        proxy.read(10)
    proxy.close()


def test_proxy_dir_stays_inside_the_cache(tmp_path):
    assert proxy_dir(tmp_path, "../../etc").parent == tmp_path / "scrub"
    assert proxy_dir(tmp_path, "..").name == "media"
