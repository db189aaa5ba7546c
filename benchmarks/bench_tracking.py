"""Video tracking: our streaming VideoSession against the stock SAM2VideoPredictor.

Memory: for each video length (synthetic moving shapes, 854x480, h264) and each implementation,
a fresh subprocess builds the same randomly initialised tiny model, prompts the disc on frame 0
with a box and tracks forward to the last frame. It reports resident memory before tracking, the
peak while tracking (sampled every 20 ms) and the process's lifetime peak (``ru_maxrss``), and
the run's frames/s. Stock reads the same frames from a JPEG folder (its only input besides MP4
through decord); ours decodes the MP4 while tracking.

Speed: this machine is shared and noisy, so the speed ratio comes from one process that tracks
the same video with both implementations (same model object) in alternating blocks of 10
frames; ours includes decoding, stock's frames were preloaded by ``init_state``. The memory
subprocesses run with OMP_WAIT_POLICY=PASSIVE so that their frames/s compare too. Prints JSON.

    python benchmarks/bench_tracking.py [--lengths 50,200,800] [--image-size 256]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

W, H = 854, 480
PAGE = os.sysconf("SC_PAGE_SIZE")


def shapes_frame(i: int) -> np.ndarray:
    """A textured background with a disc and a square moving across it."""
    y, x = np.mgrid[0:H, 0:W]
    frame = np.empty((H, W, 3), np.uint8)
    frame[..., 0] = (x * 255 // W).astype(np.uint8)
    frame[..., 1] = (y * 255 // H).astype(np.uint8)
    frame[..., 2] = ((x // 32 + y // 32) % 2 * 60 + 40).astype(np.uint8)
    cx, cy = 150 + int(200 * np.sin(i / 25)), 240 + int(100 * np.cos(i / 30))
    frame[(x - cx) ** 2 + (y - cy) ** 2 < 70**2] = (230, 40, 40)
    sx = 400 + (i * 3) % 300
    frame[150:260, sx : sx + 110] = (40, 200, 60)
    return frame


def shape_box(i: int) -> tuple[int, int, int, int]:
    cx, cy = 150 + int(200 * np.sin(i / 25)), 240 + int(100 * np.cos(i / 30))
    return (cx - 72, cy - 72, cx + 72, cy + 72)


def make_inputs(length: int, folder: Path) -> tuple[Path, Path]:
    """An h264 MP4 of ``length`` frames and a JPEG folder of its decoded frames (for stock)."""
    import av
    from PIL import Image

    video = folder / f"shapes_{length}.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"g": "50", "bf": "2"}
        for i in range(length):
            for packet in stream.encode(av.VideoFrame.from_ndarray(shapes_frame(i), "rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    jpegs = folder / f"jpeg_{length}"
    jpegs.mkdir()
    with av.open(str(video)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            Image.fromarray(frame.to_ndarray(format="rgb24")).save(
                jpegs / f"{i:05d}.jpg", quality=95
            )
    return video, jpegs


class RssSampler:
    """Peak resident set size of this process while running, sampled from /proc."""

    def __init__(self, every_s: float = 0.02):
        self.every_s, self.peak = every_s, rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak = max(self.peak, rss_bytes())


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def mib(n: float) -> float:
    return round(n / 2**20, 1)


def child(args) -> dict:
    """One configuration, run in its own process so memory figures do not mix."""
    import torch

    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.inference.checkpoint import build_predictor

    warnings.filterwarnings("ignore")
    predictor = build_predictor("tiny", Path(args.checkpoint), args.image_size, "cpu")
    box = shape_box(0)
    areas = []
    if args.impl == "ours":
        from videoseg_desktop.core.records import MediaKind
        from videoseg_desktop.inference.video_session import VideoSession
        from videoseg_desktop.media.frames import open_frames

        frames = open_frames(Path(args.video), MediaKind.VIDEO, None)
        session = VideoSession(predictor, frames, Path(args.spill))
        load_s = 0.0
        session.add_prompts(1, 0, [], Box(*box))
        before = rss_bytes()
        with RssSampler() as sampler:
            began = time.perf_counter()
            session.propagate(0, "forward", on_frame=lambda r: areas.append(int(r.masks[1].sum())))
            elapsed = time.perf_counter() - began
        extra = {"ram_frames": session.memory_stats()["objects"][1]["ram_frames"]}
        session.close()
    else:
        began = time.perf_counter()
        state = predictor.init_state(args.jpegs)
        load_s = time.perf_counter() - began
        with torch.inference_mode():
            predictor.add_new_points_or_box(state, 0, 1, box=list(box))
        before = rss_bytes()
        with RssSampler() as sampler:
            began = time.perf_counter()
            for _, _, logits in predictor.propagate_in_video(state):
                areas.append(int((logits[0, 0] > 0).sum()))
            elapsed = time.perf_counter() - began
        extra = {"frames_held": len(state["output_dict_per_obj"][0]["non_cond_frame_outputs"])}
    frames = len(areas)
    return {
        "impl": args.impl,
        "frames": frames,
        "load_s": round(load_s, 2),
        "propagate_s": round(elapsed, 2),
        "fps": round(frames / elapsed, 3),
        "rss_before_tracking_mib": mib(before),
        "rss_peak_tracking_mib": mib(sampler.peak),
        "rss_growth_tracking_mib": mib(sampler.peak - before),
        "ru_maxrss_mib": mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
        "nonempty_frames": sum(a > 0 for a in areas),
        **extra,
    }


def interleaved_speed(length: int, video: Path, jpegs: Path, ckpt: Path, work: Path, size: int):
    """Frames/s of both implementations measured in alternating blocks in one process."""
    import torch

    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.core.records import MediaKind
    from videoseg_desktop.inference.checkpoint import build_predictor
    from videoseg_desktop.inference.video_session import VideoSession
    from videoseg_desktop.media.frames import open_frames

    warnings.filterwarnings("ignore")
    predictor = build_predictor("tiny", ckpt, size, "cpu")
    state = predictor.init_state(str(jpegs))
    with torch.inference_mode():
        predictor.add_new_points_or_box(state, 0, 1, box=list(shape_box(0)))
    stock_frames = predictor.propagate_in_video(state)
    block, times = 10, {"ours": [], "stock": []}
    with open_frames(video, MediaKind.VIDEO, None) as frames:
        session = VideoSession(predictor, frames, work / "spill")
        session.add_prompts(1, 0, [], Box(*shape_box(0)))
        for start in range(0, length, block):
            end = min(start + block, length) - 1
            began = time.perf_counter()
            session.propagate(start, "forward", end_frame=end)
            times["ours"].append(time.perf_counter() - began)
            began = time.perf_counter()
            for _ in range(end - start + 1):
                next(stock_frames)
            times["stock"].append(time.perf_counter() - began)
        session.close()
    ratios = sorted(s / o for o, s in zip(times["ours"], times["stock"], strict=True))
    return {
        "length": length,
        "block_frames": block,
        "ours_fps": round(length / sum(times["ours"]), 3),
        "stock_fps": round(length / sum(times["stock"]), 3),
        "speed_ratio_ours_vs_stock": round(sum(times["stock"]) / sum(times["ours"]), 3),
        "speed_ratio_median_of_blocks": round(ratios[len(ratios) // 2], 3),
    }


def run_child(impl: str, length: int, video: Path, jpegs: Path, ckpt: Path, work: Path, size: int):
    cmd = [sys.executable, __file__, "--child", impl, "--video", str(video), "--jpegs", str(jpegs)]
    cmd += ["--checkpoint", str(ckpt), "--spill", str(work / "spill"), "--image-size", str(size)]
    # Equal OpenMP conditions: on a shared CPU libgomp's spin-waiting otherwise dominates the
    # timings, and how much it spins depends on incidental threads (our frame prefetch thread
    # alone makes it back off), which would flatter us.
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="50,200,800")
    parser.add_argument("--speed-length", type=int, default=200)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--child", choices=("ours", "stock"))
    parser.add_argument("--video")
    parser.add_argument("--jpegs")
    parser.add_argument("--checkpoint")
    parser.add_argument("--spill")
    args = parser.parse_args()
    if args.child:
        args.impl = args.child
        print(json.dumps(child(args)))
        return

    import torch

    from videoseg_desktop.inference.checkpoint import save_random_checkpoint

    lengths = [int(n) for n in args.lengths.split(",")]
    report = {
        "image_size": args.image_size,
        "video": f"{W}x{H} h264, moving shapes",
        "cpu_threads": torch.get_num_threads(),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
        work = Path(tmp)
        ckpt = save_random_checkpoint(work / "random.pt", image_size=args.image_size)
        inputs = {}
        for length in sorted(set(lengths) | {args.speed_length}):
            inputs[length] = make_inputs(length, work)
        for length in lengths:
            video, jpegs = inputs[length]
            ours = run_child("ours", length, video, jpegs, ckpt, work, args.image_size)
            stock = run_child("stock", length, video, jpegs, ckpt, work, args.image_size)
            report["runs"].append({"length": length, "ours": ours, "stock": stock})
            print(json.dumps(report["runs"][-1]), file=sys.stderr)
        video, jpegs = inputs[args.speed_length]
        report["speed"] = interleaved_speed(
            args.speed_length, video, jpegs, ckpt, work, args.image_size
        )
    first, last = report["runs"][0], report["runs"][-1]
    span = last["length"] - first["length"]
    for impl in ("ours", "stock"):
        peak0, peak1 = first[impl]["rss_peak_tracking_mib"], last[impl]["rss_peak_tracking_mib"]
        report[f"{impl}_peak_rss_change_{first['length']}_to_{last['length']}"] = round(
            peak1 / peak0 - 1, 3
        )
        report[f"{impl}_rss_mib_per_frame"] = round((peak1 - peak0) / span, 4) if span else None
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
