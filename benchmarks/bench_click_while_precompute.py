"""Click-to-mask while a neighbour's embedding is being precomputed, against an idle worker.

The real GUI path without a window: ``InferenceClient`` -> the worker thread -> the answer back
on the GUI thread. The clicked image is encoded already (as it is once shown); a neighbour's
precompute is started and a click arrives at a random moment of its encoding. Three ways:
- idle: nothing else runs;
- busy: the precompute yields (it stops between two encoder layers, docs/adr/0012);
- busy_without_yielding: the old behaviour, the click waits for the whole encoding.
Modes alternate sample by sample so that machine noise hits them alike. Random weights (the
cost does not depend on their values). Prints JSON; the goal is busy p95 <= 1.2x idle p95.

    python benchmarks/bench_click_while_precompute.py [--image-size 512] [--clicks 20]
    python benchmarks/bench_click_while_precompute.py --quick   # 256 px, 10 clicks (~30 s)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _stats(samples: list[float]) -> dict:
    s = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(s), 1),
        "p95_ms": round(1000 * s[min(len(s) - 1, round(0.95 * (len(s) - 1)))], 1),
        "max_ms": round(1000 * s[-1], 1),
        "n": len(s),
    }


def run(image_size: int, clicks: int, checkpoint: Path | None, seed: int = 0) -> dict:
    from PySide6.QtCore import QCoreApplication

    from videoseg_desktop.core.prompts import Point
    from videoseg_desktop.inference.checkpoint import save_random_checkpoint
    from videoseg_desktop.ui.inference.inference_client import InferenceClient
    from videoseg_desktop.ui.inference.inference_jobs import (
        MaskJob,
        ModelConfig,
        PrecomputeAnswer,
        PrecomputeJob,
    )
    from videoseg_desktop.ui.inference.inference_worker import QUIET_S

    app = QCoreApplication.instance() or QCoreApplication([])
    tmp = tempfile.TemporaryDirectory()
    if checkpoint is None:
        checkpoint = save_random_checkpoint(Path(tmp.name) / "random_tiny.pt")
    client = InferenceClient(ModelConfig("tiny", str(checkpoint), image_size, "cpu", "fp32"))
    worker = client.worker

    masks, encoded = [], []
    client.maskReady.connect(lambda a: masks.append((time.perf_counter(), a)))
    client.answered.connect(
        lambda a: isinstance(a, PrecomputeAnswer) and a.encoded and encoded.append(a.key)
    )

    def wait(condition, timeout: float = 300.0) -> None:
        end = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > end:
                raise TimeoutError("the worker did not answer")
            app.processEvents()
            time.sleep(0.001)

    rng = np.random.default_rng(seed)
    shown = rng.integers(0, 255, (480, 854, 3), dtype=np.uint8)
    client.load_model()
    wait(client.is_ready)
    session = worker.engine.image_session()
    session.precompute(("shown", 0), shown)
    encode_s = []
    for i in range(3):
        start = time.perf_counter()
        session.precompute(("warm", i), rng.integers(0, 255, (480, 854, 3), dtype=np.uint8))
        encode_s.append(time.perf_counter() - start)
    encode = statistics.median(encode_s)

    def click() -> tuple[float, object]:
        x, y = float(rng.uniform(100, 750)), float(rng.uniform(80, 400))
        count = len(masks)
        start = time.perf_counter()
        client.submit(MaskJob(object_id=1, media_id=1, frame=0, key=("shown", 0),
                              points=(Point(x, y),)))  # fmt: skip
        wait(lambda: len(masks) > count)
        done, answer = masks[-1]
        return done - start, answer

    results: dict[str, list] = {"idle": [], "busy": [], "busy_without_yielding": []}
    queue: dict[str, list] = {"busy": [], "busy_without_yielding": []}
    worker_s: dict[str, list] = {mode: [] for mode in results}
    click()  # warm-up
    for n in range(clicks):
        for mode in ("idle", "busy", "busy_without_yielding")[:: 1 if n % 2 else -1]:
            if mode == "idle":
                waited, answer = click()
                results[mode].append(waited)
                worker_s[mode].append(answer.finished_at - answer.started_at)
                continue
            worker.yield_to_users = mode == "busy"
            key = (mode, n)
            neighbour = rng.integers(0, 255, (480, 854, 3), dtype=np.uint8)
            worker.quiet_s = 0.0  # as after a pause: the neighbour starts at once
            client.submit(PrecomputeJob(key=key, image=neighbour))
            time.sleep(float(rng.uniform(0.1, 0.9)) * encode)  # the click comes mid-encoding
            worker.quiet_s = QUIET_S  # as in the application from the click on
            waited, answer = click()
            results[mode].append(waited)
            queue[mode].append(answer.started_at - answer.submitted_at)
            worker_s[mode].append(answer.finished_at - answer.started_at)
            wait(lambda key=key: key in encoded)  # the neighbour is still encoded in the end
    worker.yield_to_users = True
    client.shutdown()
    tmp.cleanup()
    idle, busy = _stats(results["idle"]), _stats(results["busy"])
    old = _stats(results["busy_without_yielding"])
    return {
        "image_size": image_size,
        "device": "cpu",
        "clicks_per_mode": clicks,
        "neighbour_encode_ms_median": round(encode * 1000, 1),
        "click_to_mask_idle": idle,
        "click_to_mask_busy": busy,
        "click_to_mask_busy_without_yielding": old,
        "queue_ms_p50_busy": round(1000 * statistics.median(queue["busy"]), 1),
        "queue_ms_p50_busy_without_yielding": round(
            1000 * statistics.median(queue["busy_without_yielding"]), 1
        ),
        "decode_ms_p50": {m: round(1000 * statistics.median(v), 1) for m, v in worker_s.items()},
        "ratio_busy_p95_over_idle_p95": round(busy["p95_ms"] / idle["p95_ms"], 2),
        "ratio_without_yielding_p95_over_idle_p95": round(old["p95_ms"] / idle["p95_ms"], 2),
        "goal_ratio": 1.2,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=512)
    parser.add_argument("--clicks", type=int, default=20, help="clicks per mode")
    parser.add_argument("--checkpoint", type=Path, help="tiny checkpoint (default: random)")
    parser.add_argument("--quick", action="store_true", help="256 px and 10 clicks per mode")
    args = parser.parse_args(argv)
    size, clicks = (256, 10) if args.quick else (args.image_size, args.clicks)
    started = time.perf_counter()
    out = run(size, clicks, args.checkpoint)
    out["wall_s"] = round(time.perf_counter() - started, 1)
    out["command"] = " ".join(
        ["python", "benchmarks/bench_click_while_precompute.py", *sys.argv[1:]]
    )
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
