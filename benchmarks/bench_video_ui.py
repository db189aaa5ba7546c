"""The video studio's own costs, measured on the real window (offscreen unless a display is set).
Prints JSON.

* ``playback_1080p``: frame rate reached playing a 1080p h264 clip at its own 30 fps with a mask
  overlay on every frame: frames decoded ahead on the decoder thread (what the studio does)
  against decoding each frame on the GUI thread when it is due (the naive way), same run.
* ``open_long_video``: a 10-minute video (640x360 by default, 18,000 frames; the frame index is
  built once at import, as the app does): from choosing it in the media browser to its first
  frame shown with the timeline filled; then scrubbing: GUI-thread time per random jump, and
  the latency of a scrub through the decoder thread.
* ``tracking_responsiveness``: while a propagation runs on the worker (random weights at
  ``--image-size``, masks streamed into the store and painted), a QTimer ticks every 5 ms; the
  longest gap between ticks is the longest the window froze. Also tracking frames/s and the
  process's resident memory before and after.

Random weights: timings depend on the architecture and input size, not on the weights.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_clip(out: Path, frames: int, width: int, height: int, preset: str, moving: bool) -> Path:
    import numpy as np
    from tests.helpers.video import write_video

    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([(xx * 255 // width), (yy * 255 // height), np.full_like(xx, 90)], -1)
    base = base.astype(np.uint8)

    def generate():
        for i in range(frames):
            frame = np.roll(base, 4 * i, axis=1) if moving else base.copy()
            x = (40 + 9 * i) % (width - 200)
            frame[height // 3 : height // 3 + 160, x : x + 160] = (230, 60, 50)
            yield frame

    return write_video(generate(), out, fps=30, gop=60, options={"preset": preset})


def make_static_clip(out: Path, frames: int, width: int, height: int) -> Path:
    """A long clip made fast: one picture encoded ``frames`` times (ultrafast, 30 fps)."""
    import av
    import numpy as np

    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([(xx * 255 // width), (yy * 255 // height), np.full_like(xx, 90)], -1)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "60"}
        picture = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24")
        picture = picture.reformat(format="yuv420p")
        for i in range(frames):
            picture.pts = i
            for packet in stream.encode(picture):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def blob_rle(frame: int, width: int, height: int):
    import numpy as np

    from videoseg_desktop.core.masks import encode_rle

    mask = np.zeros((height, width), bool)
    x = (40 + 9 * frame) % (width - 200)
    mask[height // 3 : height // 3 + 160, x : x + 160] = True
    return encode_rle(mask)


def wait(app, predicate, timeout: float = 900.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark step timed out")
        app.processEvents()
        time.sleep(0.0005)


def run_until(signal, predicate, timeout_s: float = 900.0) -> None:
    """Run the real event loop (as the app does) until ``signal`` fires and ``predicate`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(lambda *_a: predicate() and loop.quit())
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not predicate():
        loop.exec()
    if not predicate():
        raise TimeoutError("benchmark step timed out")


def bench_playback(app, window, media_id: int, frames: int) -> dict:
    session, playback = window.session, window.video.playback
    session.set_media(media_id, 0)
    gui, show = [], session.show_frame

    def timed_show(frame, rgb):  # the GUI thread's work per frame, painting included
        start = time.perf_counter()
        show(frame, rgb)
        window.canvas.viewport().repaint()
        gui.append(time.perf_counter() - start)

    session.show_frame = timed_show
    playback.play()
    run_until(playback.playingChanged, lambda: not playback.playing)
    session.show_frame = show
    ahead = playback.stats()
    ahead["stalls"] = playback.stalls

    # The decoder thread alone, frames taken as soon as they are ready (no GUI work).
    decoder = playback.decoder
    decoder.start_playing(0, 0, frames - 1, False)
    start, taken = time.perf_counter(), 0
    while taken < frames:
        taken += decoder.take() is not None
        time.sleep(0.0005)
    decoder_fps = frames / (time.perf_counter() - start)
    decoder.stop_playing()

    # The naive way: decode on the GUI thread when the frame is due.
    session.set_media(media_id, 0)
    shown, period, naive_gui = 0, 1.0 / playback.fps, []
    start = due = time.perf_counter()
    for frame in range(1, frames):
        while time.perf_counter() < due:
            app.processEvents()
        busy = time.perf_counter()
        session.set_frame(frame)
        window.canvas.viewport().repaint()
        naive_gui.append(time.perf_counter() - busy)
        app.processEvents()
        shown += 1
        due = max(due + period, time.perf_counter() - period)
    naive_s = time.perf_counter() - start
    return {
        "video_fps": playback.fps,
        "frames": frames,
        "decode_ahead_fps": round(ahead["fps"], 2),
        "decode_ahead_stalled_ticks": ahead["stalls"],
        "gui_thread_decode_fps": round(shown / naive_s, 2),
        "ratio": round(ahead["fps"] / (shown / naive_s), 2),
        "gui_ms_per_frame_median": round(statistics.median(gui) * 1000, 1),
        "gui_thread_decode_gui_ms_per_frame_median": round(statistics.median(naive_gui) * 1000, 1),
        "decoder_thread_alone_fps": round(decoder_fps, 1),
    }


def bench_open_long(app, window, long_id: int, other_id: int, jumps: int) -> dict:
    session, presenter = window.session, window.presenter
    opens, shown = [], []
    presenter.imageShown.connect(lambda m, f: shown.append(m))
    for _ in range(3):
        session.set_media(other_id)
        app.processEvents()
        shown.clear()
        start = time.perf_counter()
        window.media_dock.view.setCurrentIndex(
            window.media_dock.model.index(window.media_dock.model.row_of(long_id), 0)
        )
        wait(app, lambda: long_id in shown and window.video.dock.overview.frame_count > 0)
        window.repaint()
        opens.append(time.perf_counter() - start)
    media = session.media
    rng = random.Random(0)
    targets = [rng.randrange(media.frame_count) for _ in range(jumps)]
    blocked = []
    for frame in targets:  # synchronous jumps: the GUI thread decodes
        start = time.perf_counter()
        session.set_frame(frame)
        window.canvas.viewport().repaint()
        blocked.append(time.perf_counter() - start)
    scrub = []
    playback = window.video.playback
    for frame in targets:  # through the decoder thread: the GUI stays free meanwhile
        start = time.perf_counter()
        playback.scrub_to(frame)
        wait(app, lambda frame=frame: session.frame == frame)
        scrub.append(time.perf_counter() - start)
    playback.end_scrub(session.frame)
    return {
        "frames": media.frame_count,
        "size": f"{media.width}x{media.height}",
        "open_to_first_frame_s": [round(s, 3) for s in opens],
        "jump_gui_thread_ms_median": round(statistics.median(blocked) * 1000, 1),
        "jump_gui_thread_ms_max": round(max(blocked) * 1000, 1),
        "scrub_latency_ms_median": round(statistics.median(scrub) * 1000, 1),
    }


def bench_tracking(app, window, media_id: int, frames: int) -> dict:
    from PySide6.QtCore import QTimer

    from videoseg_desktop.ui.inference.inference_worker import READY

    session, project, client = window.session, window.session.project, window.client
    session.set_media(media_id, 0)
    if client.state != READY:
        client.load_model()
        wait(app, lambda: client.state == READY)
    media = session.media
    obj = project.objects.add(media_id)
    x = 40 + 80
    project.prompts.add(obj.id, 0, "point", (x, media.height // 3 + 80), True)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    rss_before = rss_mb()
    tracking = window.video.tracking
    rss_at: dict[int, float] = {}
    tracking.progressed.connect(lambda done, *_: rss_at.setdefault(done, rss_mb()))
    tracking.propagate("forward", start=0, end=frames - 1, object_ids=[obj.id])
    timer.start(5)
    last[0] = time.perf_counter()
    run_until(tracking.runningChanged, lambda: not tracking.running)
    timer.stop()
    summary = tracking.last_summary
    gaps.sort()
    rle_chars = [len(r.rle["counts"]) for r in project.masks.for_object(obj.id)]
    return {
        "frames": summary.frames,
        "video": f"{media.width}x{media.height}",
        "tracking_fps": round(summary.frames / summary.seconds, 3),
        "stored": summary.stored,
        "mean_rle_chars": round(statistics.mean(rle_chars)) if rle_chars else 0,
        "longest_stall_ms": round(gaps[-1] * 1000, 1),
        "p99_tick_gap_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1),
        "median_tick_gap_ms": round(statistics.median(gaps) * 1000, 2),
        "ticks": len(gaps),
        "rss_mb_before": round(rss_before, 1),
        "rss_mb_after_first_frame": round(rss_at.get(1, float("nan")), 1),
        "rss_mb_half_way": round(rss_at.get(summary.frames // 2, float("nan")), 1),
        "rss_mb_after": round(rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playback-frames", type=int, default=150)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--long-size", default="640x360")
    parser.add_argument("--track-frames", type=int, default=20)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--jumps", type=int, default=15)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from videoseg_desktop.inference.checkpoint import save_random_checkpoint
    from videoseg_desktop.store import Project
    from videoseg_desktop.store.masks import MaskWrite
    from videoseg_desktop.ui.app_context import AppContext, AppOptions
    from videoseg_desktop.ui.main_window import MainWindow

    report: dict = {"load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        clip = make_clip(tmp / "clip1080.mp4", args.playback_frames, 1920, 1080, "veryfast", True)
        lw, lh = (int(v) for v in args.long_size.split("x"))
        long_frames = int(args.long_minutes * 60 * 30)
        long = make_static_clip(tmp / "long.mp4", long_frames, lw, lh)
        report["generate_s"] = round(time.perf_counter() - t, 1)
        with Project.create(tmp / "project", name="bench") as project:
            t = time.perf_counter()
            items = project.import_media([clip, long]).added
            report["import_s"] = round(time.perf_counter() - t, 2)
            clip_id, long_id = (item.id for item in items)
            overlay = project.objects.add(clip_id)
            project.masks.put_many(
                MaskWrite(overlay.id, f, blob_rle(f, 1920, 1080), "propagated", "bench")
                for f in range(args.playback_frames)
            )
        checkpoint = save_random_checkpoint(tmp / "random_tiny.pt")

        app = QApplication.instance() or QApplication([])
        options = AppOptions(checkpoint=str(checkpoint), image_size=args.image_size, device="cpu")
        context = AppContext(options)
        window = MainWindow(context)
        window.resize(1600, 1000)
        window.show()
        window.open_project(tmp / "project")
        app.processEvents()
        report["open_long_video"] = bench_open_long(app, window, long_id, clip_id, args.jumps)
        report["playback_1080p"] = bench_playback(app, window, clip_id, args.playback_frames)
        report["tracking_responsiveness"] = bench_tracking(app, window, clip_id, args.track_frames)
        report["tracking_responsiveness"]["image_size"] = args.image_size
        window.close()
        context.client.shutdown()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
