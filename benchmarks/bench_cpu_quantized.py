"""CPU image encoding: fp32 against int8 dynamic quantization and bf16 autocast.

One randomly initialised tiny SAM 2.1 model (speed does not depend on weight values). ``int8``
is a copy whose image encoder's Linear layers are quantized dynamically with torch's own API
(``torch.ao.quantization.quantize_dynamic``, qint8 weights, activations quantized per call);
``bf16`` runs the whole image session (encoder and decoder) under CPU bf16 autocast. On each
DAVIS frame (synthetic frames when /work/shared/data is absent) each variant encodes the frame,
interleaved so the shared machine slows them alike, then decodes the same box prompts (three
per frame) with the fp32 decoder (bf16: its own). Agreement with fp32: the share of mask pixels
that agree, mask IoU and the low-resolution logit differences. Prints JSON.

The rule from issue #15: offer a variant only if it is >= 1.3x faster and masks agree on >= 99%
of pixels.

    python benchmarks/bench_cpu_quantized.py [--image-size 1024] [--frames 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

DAVIS = Path("/work/shared/data/davis2016/JPEGImages/480p")
SEQUENCES = ["car-shadow", "blackswan", "dog", "libby"]
BOXES = [(313, 88, 654, 281), (50, 50, 250, 200), (600, 250, 800, 450)]
MIN_SPEEDUP, MIN_AGREEMENT = 1.3, 0.99


def frames(count: int) -> tuple[list[np.ndarray], str]:
    from PIL import Image

    if DAVIS.is_dir():
        out = []
        for seq in SEQUENCES[:count]:
            path = sorted((DAVIS / seq).glob("*.jpg"))[0]
            out.append(np.asarray(Image.open(path).convert("RGB").resize((854, 480))))
        return out, "davis first frames: " + ", ".join(SEQUENCES[:count])
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (480, 854, 3), dtype=np.uint8) for _ in range(count)], "noise"


def quantized_copy(predictor):
    """A copy of the predictor whose image encoder's Linear layers run in int8."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    model = copy.deepcopy(predictor)
    model.image_encoder = quantize_dynamic(model.image_encoder, {torch.nn.Linear}, torch.qint8)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.inference.checkpoint import build_predictor, save_random_checkpoint
    from videoseg_desktop.inference.image_session import ImageSession

    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = save_random_checkpoint(Path(tmp) / "random_tiny.pt")
        predictor = build_predictor("tiny", checkpoint, args.image_size, "cpu")
    sessions = {
        "fp32": ImageSession(predictor, "cpu", args.image_size),
        "int8": ImageSession(quantized_copy(predictor), "cpu", args.image_size),
        "bf16": ImageSession(predictor, "cpu", args.image_size, precision="bf16"),
    }
    images, source = frames(args.frames)
    for session in sessions.values():  # warm-up (first-call allocations, kernel selection)
        session.precompute("warm-up", images[0])
        session.forget("warm-up")
    encode_s: dict[str, list[float]] = {name: [] for name in sessions}
    agreement: dict[str, list[float]] = {name: [] for name in sessions if name != "fp32"}
    ious: dict[str, list[float]] = {name: [] for name in agreement}
    logit_max: dict[str, float] = dict.fromkeys(agreement, 0.0)
    logit_mean: dict[str, list[float]] = {name: [] for name in agreement}
    for i, image in enumerate(images):
        for name, session in sessions.items():
            began = time.perf_counter()
            session.precompute(i, image)
            encode_s[name].append(time.perf_counter() - began)
        for box in BOXES:
            ref = sessions["fp32"].predict(i, None, [], Box(*box))
            for name in agreement:
                got = sessions[name].predict(i, None, [], Box(*box))
                agreement[name].append(float((got.mask == ref.mask).mean()))
                union = np.logical_or(got.mask, ref.mask).sum()
                inter = np.logical_and(got.mask, ref.mask).sum()
                ious[name].append(float(inter / union) if union else 1.0)
                diff = np.abs(got.logits.astype(np.float32) - ref.logits)
                logit_max[name] = max(logit_max[name], float(diff.max()))
                logit_mean[name].append(float(diff.mean()))

    fp32 = statistics.median(encode_s["fp32"])
    result: dict = {
        "benchmark": "cpu_quantized_encoder",
        "model": "sam2.1 tiny, random weights",
        "image_size": args.image_size,
        "threads": args.threads,
        "frames": source,
        "cpu_bf16_native": _cpu_has("avx512_bf16") or _cpu_has("amx_bf16"),
        "encode_s_median": {name: round(statistics.median(ts), 3) for name, ts in encode_s.items()},
    }
    for name in agreement:
        speedup = fp32 / statistics.median(encode_s[name])
        pixels = min(agreement[name])
        result[name] = {
            "speedup_vs_fp32": round(speedup, 3),
            "min_pixel_agreement": round(pixels, 5),
            "min_mask_iou": round(min(ious[name]), 5),
            "max_logit_diff": round(logit_max[name], 4),
            "mean_logit_diff": round(statistics.mean(logit_mean[name]), 5),
            "offer": bool(speedup >= MIN_SPEEDUP and pixels >= MIN_AGREEMENT),
        }
    print(json.dumps(result, indent=2))


def _cpu_has(flag: str) -> bool:
    try:
        return flag in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


if __name__ == "__main__":
    main()
