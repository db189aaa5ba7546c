"""Scrubbing a long-GOP 1080p video: today's exact reader against the scrub proxy.

Generates (PyAV, libx264) a 1920x1080 30 fps video with a keyframe every 250 frames, builds its
frame index and its scrub proxy (timed: the proxy is built in the background after import), then
replays the same requests against both:

- scrub: drags of the playhead (a request every 16 ms of hand movement, 1 to 12 frames apart,
  forward and backward); random jumps: clicks anywhere on the timeline.
- ``reader``: today, every request decodes the exact frame (``VideoReader.read``); what is shown
  is the exact frame, so display latency = time to exact frame.
- ``proxy``: every request shows the proxy picture at once (display latency) while the exact
  reader decodes the same positions behind it, as a background decoder would; the exact frame
  replaces the picture when decoded (time to exact frame: for a drag, the exact decode of the
  position where it stops; for a jump, proxy display + exact decode). Masks are only ever
  drawn on exact frames.

Also reports sequential playback speed of the exact reader (unchanged by the proxy). Prints JSON.

    python benchmarks/bench_scrub.py [--frames 300] [--drags 6] [--jumps 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

W, H, FPS, GOP = 1920, 1080, 30, 250


def make_video(path: Path, count: int) -> None:
    """Moving shapes over a textured background: compresses like real footage, not like noise."""
    import av

    y, x = np.mgrid[0:H, 0:W]
    base = np.empty((H, W, 3), np.uint8)
    base[..., 0] = (x * 255 // W).astype(np.uint8)
    base[..., 1] = (y * 255 // H).astype(np.uint8)
    base[..., 2] = ((x // 48 + y // 48) % 2 * 80 + 40).astype(np.uint8)
    rng = np.random.default_rng(0)
    grain = rng.integers(0, 24, (H, W, 1), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"g": str(GOP), "keyint_min": str(GOP), "sc_threshold": "0", "bf": "2"}
        stream.options["preset"] = "veryfast"
        for i in range(count):
            frame = base + np.roll(grain, i * 7, axis=1)
            cx, cy = 400 + (i * 9) % 1100, 540 + int(300 * np.sin(i / 20))
            frame[max(cy - 120, 0) : cy + 120, cx : cx + 240] = (230, 40, 40)
            sx = (i * 5) % (W - 300)
            frame[700:900, sx : sx + 300] = (40, 200, 60)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, "rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def drag_paths(count: int, drags: int, rng) -> list[list[int]]:
    paths = []
    for _ in range(drags):
        pos = int(rng.integers(0, count))
        direction = 1 if rng.random() < 0.7 else -1
        path = []
        for _ in range(30):  # about half a second of dragging
            pos = int(np.clip(pos + direction * rng.integers(1, 13), 0, count - 1))
            path.append(pos)
        paths.append(path)
    return paths


def timed(fn, *args) -> float:
    began = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - began) * 1000.0


def pct(values: list[float]) -> dict:
    arr = np.asarray(values)
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 1),
        "p95_ms": round(float(np.percentile(arr, 95)), 1),
        "n": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--drags", type=int, default=6)
    parser.add_argument("--jumps", type=int, default=40)
    args = parser.parse_args()

    from videoseg_desktop.media.frame_index import build_frame_index
    from videoseg_desktop.media.scrub_proxy import build_scrub_proxy, open_scrub_proxy
    from videoseg_desktop.media.video_reader import VideoReader

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "long_gop_1080p.mp4"
        began = time.perf_counter()
        make_video(video, args.frames)
        generate_s = time.perf_counter() - began
        index = build_frame_index(video)
        assert int(np.count_nonzero(index.keyframe)) == -(-args.frames // GOP)

        began = time.perf_counter()
        with VideoReader(video, index) as source:
            build_scrub_proxy(source, tmp / "proxy")
        build_s = time.perf_counter() - began
        proxy_bytes = sum(p.stat().st_size for p in (tmp / "proxy").iterdir())
        proxy = open_scrub_proxy(tmp / "proxy", len(index))
        assert proxy is not None

        drags = drag_paths(args.frames, args.drags, rng)
        jumps = [int(j) for j in rng.integers(0, args.frames, args.jumps)]
        res: dict[str, dict[str, list[float]]] = {
            name: {"scrub_display": [], "scrub_exact": [], "jump_display": [], "jump_exact": []}
            for name in ("reader", "proxy")
        }
        # Each implementation gets its own reader (its own decoder position), interleaved.
        readers = {name: VideoReader(video, index) for name in res}
        for path in drags:
            for name in res:
                reader, out = readers[name], res[name]
                for target in path:
                    exact = timed(reader.read, target)  # with the proxy: a background decoder
                    shown = exact if name == "reader" else timed(proxy.read, target)
                    out["scrub_display"].append(shown)
                # The exact frame where the drag stops (the decoder followed the drag).
                out["scrub_exact"].append(exact)
        for target in jumps:
            for name in res:
                reader, out = readers[name], res[name]
                shown = 0.0 if name == "reader" else timed(proxy.read, target)
                exact = timed(reader.read, target)
                out["jump_display"].append(exact if name == "reader" else shown)
                out["jump_exact"].append(shown + exact)
        with VideoReader(video, index) as reader:
            began = time.perf_counter()
            played = sum(1 for _ in zip(range(120), reader.iter_frames(0), strict=False))
            playback_fps = played / (time.perf_counter() - began)
        for reader in readers.values():
            reader.close()
        proxy.close()

    result = {
        "benchmark": "scrub_long_gop",
        "video": f"{W}x{H} h264, {FPS} fps, keyframe every {GOP}, {args.frames} frames",
        "generate_s": round(generate_s, 1),
        "proxy_build": {
            "build_s": round(build_s, 2),
            "build_fps": round(args.frames / build_s, 1),
            "bytes_per_frame": round(proxy_bytes / args.frames),
        },
        "playback_fps_exact_reader": round(playback_fps, 1),
        "goal": {"display_p50_ms": 60, "display_p95_ms": 120},
    }
    for name, out in res.items():
        result[name] = {key: pct(values) for key, values in out.items()}
    result["display_speedup_p50"] = {
        kind: round(
            statistics.median(res["reader"][f"{kind}_display"])
            / statistics.median(res["proxy"][f"{kind}_display"]),
            1,
        )
        for kind in ("scrub", "jump")
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
