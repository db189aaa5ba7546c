"""Screenshots of the video studio in the real window (run under Xvfb):

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/make_video_screenshots.py

* ``video-timeline.png``: DAVIS car-shadow with a tracked car. The model here has random
  weights (no checkpoint can be downloaded), so the track shown is the DAVIS ground truth stored
  the way tracking stores it: clicked on frames 0 and 31 (with their prompts), edited by hand on
  18, propagated elsewhere, with a gap where the car's masks were deleted (24-27). Onion skin on.
* ``video-tracking.png``: a real propagation with the random-weights model, caught half-way:
  progress, frames/s, time left and Cancel; masks stream into the timeline (they are noise:
  random weights).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
OUT = Path(__file__).resolve().parent
DAVIS = REPO.parent / "shared" / "data" / "davis2016"


def shoot(app, name: str) -> None:
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    raw = OUT / f"{name}.raw.png"
    subprocess.run(["import", "-window", "root", str(raw)], check=True)
    subprocess.run(["convert", str(raw), "+dither", "-colors", "192", f"PNG8:{OUT / name}.png"], check=True)
    raw.unlink()
    print(name, (OUT / f"{name}.png").stat().st_size // 1024, "KB")


def main() -> None:
    from PySide6.QtWidgets import QApplication
    from tests.helpers.video import encode_frames_to_mp4

    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.core.prompts import Point
    from videoseg_desktop.core.records import MaskSource
    from videoseg_desktop.inference.checkpoint import save_random_checkpoint
    from videoseg_desktop.store import Project
    from videoseg_desktop.ui.app_context import AppContext, AppOptions
    from videoseg_desktop.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp())
    seq = "car-shadow"
    mp4 = encode_frames_to_mp4(
        sorted((DAVIS / "JPEGImages" / "480p" / seq).glob("*.jpg")), tmp / f"{seq}.mp4"
    )
    gt = [
        np.asarray(Image.open(p)) > 0
        for p in sorted((DAVIS / "Annotations" / "480p" / seq).glob("*.png"))
    ]
    root = tmp / "Street scenes"
    with Project.create(root, name="Street scenes") as project:
        car_label = project.labels.add("car", "#E69F00")
        project.labels.add("person", "#56B4E9")
        media = project.import_media([mp4]).added[0]
        car = project.objects.add(media.id, car_label.id)
        sources = {0: MaskSource.CLICKED, 31: MaskSource.CLICKED, 18: MaskSource.EDITED}
        project.masks.put_many(
            (car.id, f, encode_rle(mask), sources.get(f, MaskSource.PROPAGATED), "sam2.1_tiny@1024")
            for f, mask in enumerate(gt)
            if not 24 <= f <= 27
        )
        for f in (0, 31):
            ys, xs = np.nonzero(gt[f])
            project.prompts.add(car.id, f, "point", (float(np.median(xs)), float(np.median(ys))))
        project.prompts.add(car.id, 31, "point", (float(xs.min() - 30), float(ys.min())), False)

    app = QApplication.instance() or QApplication([])
    checkpoint = save_random_checkpoint(tmp / "random.pt")
    context = AppContext(AppOptions(checkpoint=str(checkpoint), image_size=256, device="cpu"))
    window = MainWindow(context)
    window.setGeometry(0, 0, 1600, 1000)
    window.show()
    window.open_project(root)
    video = window.video
    window.session.set_object(car.id)
    video.go_to(31)
    video.actions.onion_skin.setChecked(True)
    video.go_to(10)
    window.session.set_frame(9)
    video.playback.set_loop(6, 22)
    video.dock.set_loop(video.playback.loop)
    video.go_to(32)
    shoot(app, "video-timeline")

    # A real propagation (random weights), caught half-way.
    video.actions.onion_skin.setChecked(False)
    window.session.set_object(-1)
    video.go_to(0)
    window.controller.add_point(Point(600.0, 300.0))
    deadline = time.time() + 600
    while window.controller.pending() and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    video.dock.selected_only.setChecked(True)
    video.track("forward")
    while video.dock.progress.value() < 14 and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    shoot(app, "video-tracking")
    video.tracking.cancel()
    while video.tracking.running:
        app.processEvents()
        time.sleep(0.01)
    window.close()
    context.client.shutdown()


if __name__ == "__main__":
    main()
