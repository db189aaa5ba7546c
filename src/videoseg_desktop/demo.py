"""A ready demo project, rendered on the fly so the app opens onto real media with no download.

It holds a short h264 video of moving shapes (a ball crossing a ring, which has a hole) and three
still images, with the labels "ball" and "ring".
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

from videoseg_desktop.store import Project

LABELS = (("ball", "#E69F00"), ("ring", "#56B4E9"))
WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 24, 4


def _background(rng: np.random.Generator, w: int = WIDTH, h: int = HEIGHT) -> np.ndarray:
    """A soft gradient with texture, so SAM has something like a real scene to separate."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([60 + 40 * x / w, 90 + 30 * y / h, 110 - 30 * x / w], axis=-1)
    noise = cv2.GaussianBlur(rng.normal(0, 25, (h, w)).astype(np.float32), (0, 0), 3)[..., None]
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _draw_scene(frame: np.ndarray, t: float) -> np.ndarray:
    h, w = frame.shape[:2]
    ring_c = (int(w * 0.3 + 80 * np.sin(t * 1.3)), int(h * 0.5))
    cv2.circle(frame, ring_c, 70, (40, 160, 230), thickness=28, lineType=cv2.LINE_AA)
    ball_c = (int(w * (0.15 + 0.7 * ((t * 0.25) % 1.0))), int(h * 0.5 + 90 * np.cos(t * 2.0)))
    cv2.circle(frame, ball_c, 38, (230, 150, 30), thickness=-1, lineType=cv2.LINE_AA)
    cv2.circle(
        frame,
        (ball_c[0] - 12, ball_c[1] - 12),
        10,
        (250, 210, 120),
        thickness=-1,
        lineType=cv2.LINE_AA,
    )
    return frame


def render_video(path: Path, seconds: int = SECONDS) -> Path:
    rng = np.random.default_rng(7)
    background = _background(rng)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}
        for i in range(seconds * FPS):
            rgb = _draw_scene(background.copy(), i / FPS)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def render_images(folder: Path) -> list[Path]:
    paths = []
    for n, t in enumerate((0.4, 2.1, 3.3), start=1):
        rng = np.random.default_rng(100 + n)
        rgb = _draw_scene(_background(rng, 800, 600), t)
        path = folder / f"shapes-{n}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def create_demo_project(folder: Path | str) -> Path:
    """Create (or reuse, if it already exists) the demo project in ``folder``; return its root."""
    folder = Path(folder).expanduser().absolute()
    if (folder / "project.vseg").exists():
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = [render_video(tmp / "moving-shapes.mp4"), *render_images(tmp)]
        with Project.create(folder, name="VideoSeg demo") as project:
            with project.transaction():
                for name, color in LABELS:
                    project.labels.add(name, color)
            project.import_media(files)
    return folder
