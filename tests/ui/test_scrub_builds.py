"""Scrub proxies built in the background after import, in the real window: import returns
first, the proxies then appear in cache/scrub one video at a time with a note in the status
bar, the build holds while a video plays, Stop drops what is left, and a read-only project
gets none written."""

from __future__ import annotations

import threading

import pytest

from tests.helpers.video import moving_square_frames, write_video
from tests.helpers.windows import shown_window
from videoseg_desktop.media.scrub_proxy import open_scrub_proxy
from videoseg_desktop.store import Project
from videoseg_desktop.ui.project import scrub_builds

FRAMES = 64  # just over scrub_builds.MIN_FRAMES: short videos get no proxy


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long-videos")
    frames = moving_square_frames(FRAMES, 160, 120)
    return [write_video(frames[k:] + frames[:k], folder / f"clip{k}.mp4", gop=32) for k in (0, 5)]


@pytest.fixture
def window(qtbot, client, tmp_path):
    window = shown_window(qtbot, client)
    with Project.create(tmp_path / "p", name="p") as p:
        p.labels.add("car")
    assert window.open_project(tmp_path / "p")
    yield window
    window.close()


@pytest.fixture
def gated(monkeypatch):
    """Builds wait for ``gated.set()`` before decoding: what happens before is provably not
    waiting for them."""
    go = threading.Event()
    real = scrub_builds.build_scrub_proxy

    def build(*args, **kwargs):
        assert go.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(scrub_builds, "build_scrub_proxy", build)
    return go


def built(window) -> list[int]:
    builds = window.session.scrub_builds
    out = []
    for media in window.session.project.media.list():
        proxy = open_scrub_proxy(builds.folder(media), media.frame_count)
        if proxy is not None:
            out.append(media.id)
            proxy.close()
    return out


def test_import_returns_first_then_proxies_are_built_one_by_one(window, qtbot, long_videos, gated):
    builds, status = window.session.scrub_builds, window.video.scrub_status
    shown = []
    builds.progressed.connect(lambda *_: shown.append(status.label.text()))  # after status's
    window.media_dock.import_paths(long_videos)  # returns while the builds wait
    ids = window.session.project.media.ids()
    assert len(ids) == 2 and built(window) == []
    assert builds.pending() and set(builds.pending()) == set(ids)
    gated.set()
    qtbot.waitUntil(lambda: sorted(built(window)) == sorted(ids), timeout=30000)
    qtbot.waitUntil(lambda: not status.isVisible() and not builds.pending(), timeout=5000)
    assert "Scrub previews: clip0.mp4 0% (+1 more video)" in shown
    assert any(t.startswith("Scrub previews: clip5.mp4") for t in shown)
    scrub = window.session.project.cache_dir / "scrub"
    assert not list(scrub.glob("*/*.part"))  # nothing half-written left behind
    # The open video's preview picked its proxy up once built: scrubbing shows it at once.
    qtbot.waitUntil(lambda: window.video.playback.preview.proxy is not None, timeout=5000)


def test_playback_holds_the_build_until_it_pauses(window, qtbot, long_videos, gated):
    builds, status = window.session.scrub_builds, window.video.scrub_status
    playback = window.video.playback
    window.media_dock.import_paths(long_videos)  # the first video is opened
    assert window.session.media is not None and playback.play()
    assert builds.held
    gated.set()
    qtbot.waitUntil(lambda: status.isVisible(), timeout=10000)
    assert "paused while you play, track or import" in status.label.text()
    qtbot.wait(800)  # held: not one frame was made while playing
    assert built(window) == [] and playback.playing
    parts = list((window.session.project.cache_dir / "scrub").glob("*/frames.jpg-pack*"))
    assert [p.stat().st_size for p in parts] in ([], [0])  # opened, not one frame written
    playback.pause()
    assert not builds.held
    qtbot.waitUntil(lambda: len(built(window)) == 2, timeout=30000)


def test_stop_drops_every_build_left(window, qtbot, long_videos, gated):
    builds, status = window.session.scrub_builds, window.video.scrub_status
    window.media_dock.import_paths(long_videos)
    builds.hold("test", True)  # keeps the first build at its first frame
    gated.set()
    qtbot.waitUntil(lambda: status.isVisible(), timeout=10000)
    status.stop.click()
    assert not status.isVisible()
    builds.hold("test", False)
    qtbot.waitUntil(lambda: not builds.pending(), timeout=10000)
    qtbot.wait(300)
    assert built(window) == []
    assert not list((window.session.project.cache_dir / "scrub").glob("*/frames.jpg-pack*"))


def test_a_read_only_project_gets_no_proxy_written(qtbot, client, tmp_path, long_videos):
    root = tmp_path / "shared"
    with Project.create(root, name="shared") as p:
        p.import_media(long_videos)
    window = shown_window(qtbot, client)
    try:
        assert window.open_project(root, read_only=True)
        session = window.session
        assert session.project.read_only and session.media is not None  # a video is open
        assert session.scrub_builds.enqueue(session.project.media.ids()) == 0
        window.video.playback.scrub_to(30)
        window.video.playback.end_scrub(30)
        qtbot.waitUntil(lambda: session.frame == 30, timeout=10000)
        qtbot.wait(500)
        assert not session.scrub_builds.pending()
        assert not (session.project.cache_dir / "scrub").exists()
        assert not (root / "cache" / "scrub").exists()
    finally:
        window.close()


def test_builds_wait_while_files_are_imported(window, monkeypatch, long_videos):
    from videoseg_desktop.ui.panels import media_browser_dock

    builds, held_during = window.session.scrub_builds, []
    real = media_browser_dock.import_files

    def spy(*args, **kwargs):
        held_during.append(builds.held)
        return real(*args, **kwargs)

    monkeypatch.setattr(media_browser_dock, "import_files", spy)
    window.media_dock.import_paths(long_videos[:1])
    assert held_during == [True] and not builds.held
    builds.cancel()


def test_tracking_holds_the_build(window, long_videos):
    builds, tracking = window.session.scrub_builds, window.video.tracking
    tracking.runningChanged.emit(True)
    assert builds.held
    tracking.runningChanged.emit(False)
    assert not builds.held


def test_the_video_opened_is_built_first(qtbot, tmp_path, long_videos):
    """The first-open fallback: the open video jumps the queue, cancelling the build in
    progress, which is done again after it."""
    from videoseg_desktop.ui.project.scrub_builds import ScrubProxyBuilds

    with Project.create(tmp_path / "p") as project:
        first, second = project.import_media(long_videos).added
        builds = ScrubProxyBuilds(project)
        order = []
        builds.built.connect(order.append)
        builds.hold("test", True)
        assert builds.enqueue([first.id, second.id]) == 2
        qtbot.waitUntil(lambda: builds._current is not None, timeout=5000)
        builds.prefer(second)
        assert builds.pending()[:2] in ([first.id, second.id], [second.id, first.id])
        builds.hold("test", False)
        qtbot.waitUntil(lambda: len(order) == 2, timeout=30000)
        assert order == [second.id, first.id]
        builds.prefer(second)  # built: nothing to do
        assert builds.pending() == []
        builds.close()


def test_a_click_waiting_for_its_mask_makes_the_build_stand_aside(
    window, qtbot, long_videos, gated, monkeypatch
):
    from types import SimpleNamespace

    from videoseg_desktop.ui import main_window

    monkeypatch.setattr(main_window, "USER_ACTIVE_S", 0.3)
    requests = window.client.worker.user_requests
    requests.arrived(SimpleNamespace(request_id=-42, key=None))  # a click the worker has not begun
    try:
        window.media_dock.import_paths(long_videos)
        gated.set()
        frames = []
        window.session.scrub_builds.progressed.connect(lambda _m, done, *_: frames.append(done))
        qtbot.wait(1500)  # unheld, both videos build in well under a second
        assert built(window) == [] and set(frames) <= {0}
    finally:
        requests.started(-42)
    qtbot.waitUntil(lambda: len(built(window)) == 2, timeout=30000)  # 0.3 s after: built
