"""The annotation window's own costs, measured on the real window (offscreen unless a display
is set). Prints JSON.

* ``startup``: seconds from launching ``videoseg-desktop PROJECT`` to the window shown with the
  project open, and whether torch was imported by then (it must not be: the worker imports it).
* ``click_to_overlay``: per click, from the mouse event on the canvas to the overlay updated
  and repainted, against the engine alone (``ImageSession.predict`` with the same prompts on the
  cached embedding) in the same run; ``overhead_ms`` is the difference of medians.
* ``next_image``: Right arrow to an image whose embedding was precomputed while the user worked
  on the previous one, then one click: its mask against decoder time alone.
* ``media_list_100k``: filling the media browser model with 100,000 rows and repainting while
  jumping through the list.

Random weights (no checkpoint can be downloaded here) at ``--image-size`` (default 1024, what
users run): timings depend on the architecture and input size, not on the weights.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IMAGES = [DATA / "davis2016" / "JPEGImages" / "480p" / s / "00000.jpg" for s in
          ("blackswan", "car-shadow", "dog", "libby")] + [DATA / "sam2-samples" / "truck.jpg"]  # fmt: skip

STARTUP_CHILD = r"""
import json, os, sys, time
t0 = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
def report():
    windows = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow" and w.isVisible()]
    window = windows[0]
    window.repaint()
    shown = time.time() - t0
    print("BENCH " + json.dumps({"shown_s": shown, "torch_imported": "torch" in sys.modules,
                                 "project_open": window.session is not None}), flush=True)
    app.quit()
QTimer.singleShot(0, report)
from videoseg_desktop.app import main
main([sys.argv[1], "--new-instance"])
"""


def bench_startup(project: Path, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        env = {**os.environ, "BENCH_T0": repr(time.time())}
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_CHILD, str(project)],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        line = [x for x in out.stdout.splitlines() if x.startswith("BENCH ")]
        if not line:
            raise RuntimeError(out.stdout + out.stderr)
        samples.append(json.loads(line[0][6:]))
    shown = [s["shown_s"] for s in samples]
    return {
        "runs": runs,
        "window_shown_s_median": round(statistics.median(shown), 3),
        "window_shown_s_max": round(max(shown), 3),
        "torch_imported_before_window": any(s["torch_imported"] for s in samples),
        "project_open": all(s["project_open"] for s in samples),
        "target_s": 2.0,
    }


def make_project(root: Path) -> Path:
    from videoseg_desktop.store import Project

    with Project.create(root, name="bench") as project:
        project.labels.add("thing")
        project.import_media([p for p in IMAGES if p.is_file()])
    return root


def _wait(app, predicate, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark step timed out")
        app.processEvents()
        time.sleep(0.0005)


def bench_window(project: Path, checkpoint: Path, image_size: int, clicks: int) -> dict:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from videoseg_desktop.core.prompts import Point
    from videoseg_desktop.ui.app_context import AppContext, AppOptions
    from videoseg_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    options = AppOptions(checkpoint=str(checkpoint), image_size=image_size, device="cpu")
    context = AppContext(options)
    window = MainWindow(context)
    window.resize(1400, 900)
    window.show()
    window.open_project(project)
    window.activateWindow()
    client, canvas = context.client, window.canvas
    done: list[float] = []
    answers: list = []
    clicked: list[float] = []

    def on_mask(answer, _seconds):
        canvas.viewport().repaint()  # the overlay is on screen, not just in the scene
        done.append(time.perf_counter())
        answers.append(answer)

    def click(x: float, y: float, negative: bool = False) -> float:
        mods = Qt.KeyboardModifier.ControlModifier if negative else Qt.KeyboardModifier.NoModifier
        start = time.perf_counter()
        clicked.append(start)
        QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, mods,
                         canvas.mapFromScene(QPointF(x, y)))  # fmt: skip
        count = len(done)
        _wait(app, lambda: len(done) > count and window.controller.pending() == 0)
        return (done[-1] - start) * 1000

    def idle() -> None:  # the worker has finished precomputing
        _wait(app, lambda: window.controller.pending() == 0)
        engine = client.worker.engine
        media = [window.session.project.media.get(i) for i in window.session.media_ids()]
        keys = [(m.sha256, 0) for m in media]
        _wait(app, lambda: engine is not None and all(engine.image_session().has_embedding(k)
                                                     for k in keys[: window.session.media_ids().index(window.session.media_id) + 2]))  # fmt: skip

    # Warm up: the first click loads the model and encodes the image.
    window.controller.maskApplied.connect(on_mask)
    h, w = window.session.image().shape[:2]
    click(w * 0.5, h * 0.5)
    idle()
    rng = __import__("numpy").random.default_rng(0)
    gui_ms, engine_ms = [], []
    session = client.worker.engine.image_session()
    key = (window.session.media.sha256, 0)
    for i in range(clicks):
        if i % 4 == 3:
            QTest.keyClick(window, Qt.Key.Key_N)  # now and then a new object
        x, y = float(rng.uniform(0.2, 0.8) * w), float(rng.uniform(0.2, 0.8) * h)
        gui_ms.append(click(x, y, negative=bool(i % 4 == 2)))
        prompts = window.session.project.prompts.list(window.session.object_id, 0)
        points = [Point(p.coords[0], p.coords[1], p.positive) for p in prompts]
        start = time.perf_counter()
        session.predict(key, None, points, None)
        engine_ms.append((time.perf_counter() - start) * 1000)
    gui_med, engine_med = statistics.median(gui_ms), statistics.median(engine_ms)
    last = answers[-clicks:]
    stored = done[-clicks:]
    starts = clicked[-clicks:]

    def median_ms(values) -> float:
        return round(statistics.median(values) * 1000, 1)

    breakdown = {  # where a click's time goes, medians
        "click_to_request_ms": median_ms(
            a.submitted_at - t for a, t in zip(last, starts, strict=True)
        ),
        "queue_to_worker_ms": median_ms(a.started_at - a.submitted_at for a in last),
        "worker_ms": median_ms(a.finished_at - a.started_at for a in last),
        "worker_to_overlay_on_screen_ms": median_ms(
            t - a.finished_at for a, t in zip(last, stored, strict=True)
        ),
    }
    click_result = {
        "clicks": clicks,
        "gui_click_to_overlay_ms_median": round(gui_med, 1),
        "engine_predict_ms_median": round(engine_med, 1),
        "overhead_ms": round(gui_med - engine_med, 1),
        "worker_reported_engine_ms_median": round(
            statistics.median(a.engine_s * 1000 for a in answers[-clicks:]), 1
        ),
        "ratio_gui_to_engine": round(gui_med / engine_med, 3),
        "breakdown": breakdown,
        "target_overhead_ms": 20,
    }

    # Next image with its embedding precomputed (while the user worked on the previous one).
    nav = []
    for _ in range(min(3, len(window.session.media_ids()) - 1)):
        idle()
        start = time.perf_counter()
        QTest.keyClick(window, Qt.Key.Key_Right)
        app.processEvents()
        shown_ms = (time.perf_counter() - start) * 1000
        h, w = window.session.image().shape[:2]
        total = click(w * 0.5, h * 0.45)
        answer = answers[-1]
        nav.append((shown_ms, total, answer.engine_s * 1000, answer.encode_s))
    next_result = {
        "images": len(nav),
        "image_shown_ms_median": round(statistics.median(n[0] for n in nav), 1),
        "first_mask_ms_median": round(statistics.median(n[1] for n in nav), 1),
        "decoder_ms_median": round(statistics.median(n[2] for n in nav), 1),
        "overhead_ms": round(statistics.median(n[1] - n[2] for n in nav), 1),
        "embedding_was_precomputed": all(n[3] == 0.0 for n in nav),
        "target_overhead_ms": 20,
    }
    window.close()
    context.shutdown()
    return {"click_to_overlay": click_result, "next_image": next_result}


def bench_media_list(n: int) -> dict:
    import logging

    from PySide6.QtWidgets import QApplication

    from videoseg_desktop.core.records import MediaItem, MediaKind
    from videoseg_desktop.store import Project
    from videoseg_desktop.ui.panels.media_browser_dock import MediaListView
    from videoseg_desktop.ui.panels.media_list_model import MediaListModel

    app = QApplication.instance() or QApplication([])
    # The rows point at no files: every thumbnail fails (quietly, as a blank tile).
    logging.getLogger("videoseg_desktop.ui.panels.thumbnail_loader").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, Project.create(Path(tmp) / "p") as project:
        with project.transaction():
            for i in range(n):
                project.media.insert(MediaItem(0, MediaKind.IMAGE, f"media/{i}.jpg", f"{i:06d}.jpg",
                                               1, f"{i:064x}", 640, 480, 1, None, None, "2026", False))  # fmt: skip
        model = MediaListModel(project)
        start = time.perf_counter()
        model.reload()
        view = MediaListView()
        view.setModel(model)
        view.resize(320, 900)
        view.show()
        app.processEvents()
        fill = time.perf_counter() - start
        bar = view.verticalScrollBar()
        pages = []
        for value in range(0, bar.maximum(), max(bar.maximum() // 50, 1)):
            t = time.perf_counter()
            bar.setValue(value)
            view.viewport().repaint()
            pages.append((time.perf_counter() - t) * 1000)
        model.close()
        view.close()
    return {
        "rows": n,
        "fill_and_show_s": round(fill, 3),
        "jump_and_repaint_ms_median": round(statistics.median(pages), 2),
        "jump_and_repaint_ms_max": round(max(pages), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=1024, choices=(256, 512, 1024))
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--media-rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["VIDEOSEG_CONFIG_DIR"] = str(tmp / "config")
        os.environ["VIDEOSEG_MODELS_DIR"] = str(tmp / "models")
        from videoseg_desktop.inference.checkpoint import save_random_checkpoint

        checkpoint = save_random_checkpoint(tmp / "random.pt", image_size=args.image_size)
        project = make_project(tmp / "project")
        result = {
            "machine": {
                "cpus": os.cpu_count(),
                "qt_platform": os.environ["QT_QPA_PLATFORM"],
                "device": "cpu",
                "image_size": args.image_size,
            },  # fmt: skip
            "startup": bench_startup(project, args.startup_runs),
        }
        result.update(bench_window(project, checkpoint, args.image_size, args.clicks))
        result["media_list_100k"] = bench_media_list(args.media_rows)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
