"""SAM 3 concept tracking: our ConceptVideoSession against transformers' Sam3VideoModel session.

Memory: for each video length and each implementation a fresh subprocess loads the same random
SAM 3 (a small configuration at 224 px with the real tracker's memory settings: 7 memories,
16 object pointers, 4 conditioning frames; random weights, so the instances are noise, but the
tracker's bookkeeping is real) and tracks the text "car" forward through the first N frames of
one 640x360 h264 video of moving shapes. Transformers' session gets the frames the way its
documentation shows (decoded into a list, then ``init_video_session(video=frames)``); ours
decodes the MP4 on demand. Each run reports resident memory after loading the model, the peak
while tracking (sampled every 20 ms), the lifetime peak (``ru_maxrss``), frames/s and how many
objects were tracked.

Speed: this machine is shared and noisy, so the speed ratio comes from one process that tracks
the same frames with both implementations (same model) in alternating blocks of 10 frames.
Prints JSON (with the load average).

    python benchmarks/bench_concept_video.py [--lengths 50,200,800] [--image-size 224]
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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
W, H = 640, 360
PAGE = os.sysconf("SC_PAGE_SIZE")


def shapes_frame(t: int) -> np.ndarray:
    frame = np.full((H, W, 3), 40, np.uint8)
    frame[100 + t % 100 : 200 + t % 100, 50 + (3 * t) % 300 : 200 + (3 * t) % 300] = (220, 60, 60)
    frame[200:300, 500 - t % 300 : 600 - t % 300] = (60, 200, 90)
    return frame


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakSampler:
    def __init__(self) -> None:
        self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


def load(folder: Path):
    from transformers import Sam3VideoModel, Sam3VideoProcessor
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    model = Sam3VideoModel.from_pretrained(folder, local_files_only=True).eval()
    processor = Sam3VideoProcessor.from_pretrained(folder, local_files_only=True)
    return model, processor


def child(impl: str, folder: Path, video: Path, length: int) -> dict:
    import torch

    from videoseg_desktop.core.records import MediaKind
    from videoseg_desktop.media.frames import open_frames

    torch.set_num_threads(1)
    model, processor = load(folder)
    before = rss()
    ids: set[int] = set()
    start = time.perf_counter()
    with PeakSampler() as sampler:
        if impl == "ours":
            from videoseg_desktop.inference.concept_video import ConceptVideoSession

            with (
                open_frames(video, MediaKind.VIDEO) as frames,
                ConceptVideoSession(model, processor, frames, video.parent) as session,
            ):
                session.add_concept("car")
                session.propagate(
                    0, "forward", length - 1, on_frame=lambda r: ids.update(r.instances)
                )
        else:
            with open_frames(video, MediaKind.VIDEO) as frames:
                decoded = [frames.read(i) for i in range(length)]
            session = processor.init_video_session(video=decoded, inference_device="cpu")
            processor.add_text_prompt(session, "car")
            for out in model.propagate_in_video_iterator(session):
                post = processor.postprocess_outputs(session, out)
                ids.update(int(i) for i in post["object_ids"].tolist())
    elapsed = time.perf_counter() - start
    return {
        "impl": impl,
        "frames": length,
        "rss_before_mb": round(before / 2**20, 1),
        "peak_tracking_mb": round(sampler.peak / 2**20, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "frames_per_s": round(length / elapsed, 3),
        "objects_tracked": len(ids),
    }


def interleaved_speed(folder: Path, video: Path, frames: int, block: int = 10) -> dict:
    """Both implementations on the same model, alternating blocks of frames (noise cancels)."""
    import torch

    from videoseg_desktop.core.records import MediaKind
    from videoseg_desktop.inference.concept_video import ConceptVideoSession
    from videoseg_desktop.media.frames import open_frames

    torch.set_num_threads(1)
    model, processor = load(folder)
    times = {"ours": 0.0, "transformers": 0.0}
    with open_frames(video, MediaKind.VIDEO) as source:
        setup = time.perf_counter()  # transformers decodes and preprocesses the video up front
        decoded = [source.read(i) for i in range(frames)]
        reference = processor.init_video_session(video=decoded, inference_device="cpu")
        setup = time.perf_counter() - setup
        processor.add_text_prompt(reference, "car")
        theirs = model.propagate_in_video_iterator(reference)
        with ConceptVideoSession(model, processor, source, video.parent) as session:
            session.add_concept("car")
            ours = session.steps(0, "forward", frames - 1)
            done = 0
            for _ in range(block):  # warm-up block, not timed (the first calls are slower)
                next(ours)
                processor.postprocess_outputs(reference, next(theirs))
            done = block

            def run_ours(n: int) -> None:
                for _ in range(n):
                    next(ours)

            def run_theirs(n: int) -> None:
                for _ in range(n):
                    out = next(theirs, None)
                    if out is not None:
                        processor.postprocess_outputs(reference, out)

            turn = 0
            while done < frames:
                n = min(block, frames - done)
                pair = [("ours", run_ours), ("transformers", run_theirs)]
                for name, run in pair if turn % 2 == 0 else pair[::-1]:
                    t = time.perf_counter()
                    run(n)
                    times[name] += time.perf_counter() - t
                done += n
                turn += 1
    timed = frames - block
    theirs_total = times["transformers"] + setup * timed / frames  # its share of the set-up
    return {
        "frames": frames,
        "timed_frames": timed,
        "ours_frames_per_s": round(timed / times["ours"], 3),
        "transformers_frames_per_s_loop_only": round(timed / times["transformers"], 3),
        "transformers_setup_s": round(setup, 3),
        "speed_ratio_ours_over_transformers_loop_only": round(
            times["transformers"] / times["ours"], 3
        ),
        "speed_ratio_ours_over_transformers_with_setup": round(theirs_total / times["ours"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", default="50,200,800")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--speed-frames", type=int, default=100)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("IMPL", "FOLDER", "VIDEO", "N"))
    args = parser.parse_args()
    if args.child:
        impl, folder, video, n = args.child
        print(json.dumps(child(impl, Path(folder), Path(video), int(n))))
        return

    from tests.helpers.sam3 import save_tiny_sam3
    from tests.helpers.video import write_video

    lengths = [int(n) for n in args.lengths.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = save_tiny_sam3(
            tmp / "model",
            args.image_size,
            num_maskmem=7,
            max_object_pointers=16,
            max_cond_frames=4,
        )
        video = write_video(
            (shapes_frame(t) for t in range(max(lengths))), tmp / "video.mp4", gop=30
        )
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1"}
        runs = []
        for n in [] if args.speed_only else lengths:
            for impl in ("ours", "transformers"):
                cmd = [sys.executable, __file__, "--child", impl, str(folder), str(video), str(n)]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
        speed = interleaved_speed(folder, video, args.speed_frames)

    def growth(impl: str) -> float | None:
        rows = [r for r in runs if r["impl"] == impl]
        if not rows:
            return None
        return round(rows[-1]["peak_tracking_mb"] / rows[0]["peak_tracking_mb"] - 1, 4)

    print(
        json.dumps(
            {
                "benchmark": "concept_video",
                "image_size": args.image_size,
                "video": f"{W}x{H} h264",
                "runs": runs,
                f"peak_growth_{lengths[0]}_to_{lengths[-1]}": {
                    "ours": growth("ours"),
                    "transformers": growth("transformers"),
                },
                "speed": speed,
                "loadavg": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
