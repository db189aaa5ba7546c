"""Playback of 1080p30 while a scrub proxy is built: does it stay at 30 fps? Prints JSON.

Generates (as bench_scrub does) a 1920x1080 30 fps h264 video with a keyframe every 250
frames, imports it into a temporary project (frame index built at import, as the app does) and
plays it for ``--seconds`` through the studio's real path: ``PlaybackController`` (its
``FrameDecoder`` thread reading ahead with the exact reader, one frame shown per tick at the
video's rate) on a ``ProjectSession``, offscreen, without painting. Conditions, interleaved
``--repeats`` times (each build starts from frame 0 of an empty proxy):

- ``play_alone``: nothing else runs.
- ``play_build_held``: what the app does: a proxy build is running when playback starts; the
  build holds while the playhead moves (ScrubProxyBuilds.hold) and goes on after.
- ``play_build_low_priority``: the build keeps running during playback on its nice-19 thread.
- ``play_build_normal_priority``: the same without lowering the build thread's priority.
- ``build_alone`` / ``build_alone_normal_priority``: the build with nothing playing (its rate,
  at the build's lowered priority and at normal priority: on a busy machine the lowered
  priority leaves the build only what other processes leave).

Per condition: delivered fps (frames shown / time), late frames (a gap over 1.5 frame periods),
the longest gap, proxy frames built per second meanwhile, and the 1-minute load average.

    python benchmarks/bench_playback.py [--frames 600] [--seconds 4] [--repeats 2] [--nice N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

CONDITIONS = (
    "play_alone",
    "play_build_held",
    "play_build_low_priority",
    "play_build_normal_priority",
    "build_alone",
    "build_alone_normal_priority",
)


class Builds:
    """Starts one build per condition (a fresh builder thread, so its priority can differ)
    and counts the proxy frames it makes."""

    def __init__(self, session, media):
        from videoseg_desktop.ui.project import scrub_builds

        self.module, self.session, self.media = scrub_builds, session, media
        self.frames = 0
        self.builder = None
        self._lower = scrub_builds._lower_priority
        real = scrub_builds.build_scrub_proxy

        def counting(frames, folder, **kw):
            gate = kw.get("gate")

            def counted_gate():
                if gate is not None:
                    gate()
                self.frames += 1

            kw["gate"] = counted_gate
            return real(frames, folder, **kw)

        scrub_builds.build_scrub_proxy = counting

    def start(self, condition: str) -> None:

        m = self.module
        normal = condition.endswith("normal_priority")
        m._lower_priority = _noop if normal else self._lower
        self.builder = m.ScrubProxyBuilds(self.session.project)
        if condition in ("play_build_low_priority", "play_build_normal_priority"):
            self.builder.hold = lambda *_: None  # keeps building while the playhead moves
        self.session.scrub_builds = self.builder
        shutil.rmtree(self.builder.folder(self.media), ignore_errors=True)
        self.frames = 0
        assert self.builder.enqueue([self.media.id]) == 1
        while self.frames < 5:  # running (decoder open, past its first frames)
            spin(5)

    def stop(self) -> None:
        if self.builder is not None:
            self.builder.close()
            shutil.rmtree(self.builder.folder(self.media), ignore_errors=True)
        self.builder = None


def _noop() -> None:
    pass


def spin(ms: int) -> None:
    """Run the event loop for ``ms`` as the app does. (QTest.qWait holds the GIL while it
    waits: the decoder and builder threads would stop at their first line of Python.)"""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def run_condition(condition, session, controller, builds, seconds) -> dict:

    playing = not condition.startswith("build_alone")
    if condition != "play_alone":
        builds.start(condition)
    shown: list[float] = []
    session.set_frame(0)
    on_frame = lambda _f: shown.append(time.perf_counter())  # noqa: E731
    session.frameChanged.connect(on_frame)
    built_before, began = builds.frames, time.perf_counter()
    if playing:
        assert controller.play()
    spin(int(seconds * 1000))
    if playing:
        controller.pause()
    elapsed = time.perf_counter() - began
    built = builds.frames - built_before
    session.frameChanged.disconnect(on_frame)
    builds.stop()
    out = {"build_fps": round(built / elapsed, 1), "load_1min": round(os.getloadavg()[0], 2)}
    if playing:
        gaps = [b - a for a, b in zip(shown, shown[1:], strict=False)]
        period = 1.0 / controller.fps
        out.update(
            fps=round((len(shown) - 1) / (shown[-1] - shown[0]), 1) if len(shown) > 1 else 0.0,
            shown=len(shown),
            late=sum(1 for g in gaps if g > 1.5 * period),
            longest_gap_ms=round(max(gaps) * 1000, 1) if gaps else None,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--nice", type=int, help="the build thread's niceness (default: the app's)")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from bench_scrub import FPS, GOP, H, W, make_video
    from videoseg_desktop.store import Project
    from videoseg_desktop.ui.project import scrub_builds
    from videoseg_desktop.ui.project.project_session import ProjectSession
    from videoseg_desktop.ui.video.playback import PlaybackController

    if args.nice is not None:
        scrub_builds.LOW_PRIORITY = args.nice
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "long_gop_1080p.mp4"
        make_video(video, args.frames)
        project = Project.create(tmp / "project")
        (media,) = project.import_media([video]).added
        session = ProjectSession(project)
        scrub_builds.MIN_FRAMES, min_frames = 10**9, scrub_builds.MIN_FRAMES
        session.set_media(media.id)
        controller = PlaybackController()
        controller.set_session(session)  # (no first-open build: the conditions start theirs)
        scrub_builds.MIN_FRAMES = min_frames
        builds = Builds(session, media)
        runs: dict[str, list[dict]] = {c: [] for c in CONDITIONS}
        for _ in range(args.repeats):
            for condition in CONDITIONS:
                runs[condition].append(
                    run_condition(condition, session, controller, builds, args.seconds)
                )
        controller.close()
        session.close()
        project.close()
    del app

    result = {
        "benchmark": "playback_while_building_scrub_proxy",
        "video": f"{W}x{H} h264, {FPS} fps, keyframe every {GOP}, {args.frames} frames",
        "seconds_per_run": args.seconds,
        "repeats": args.repeats,
        "cpus": os.cpu_count(),
        "goal_fps": FPS,
        "build_niceness": scrub_builds.LOW_PRIORITY,
    }
    for condition, results in runs.items():
        keys = results[0].keys()
        result[condition] = {
            "median": {k: _median([r[k] for r in results]) for k in keys},
            "runs": results,
        }
    print(json.dumps(result, indent=2))


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


if __name__ == "__main__":
    main()
