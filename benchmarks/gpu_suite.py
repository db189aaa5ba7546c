"""The GPU figures of issue #15 in one run: tracking, clicks, encoding, memory, precision trials.

Random weights (speed does not depend on weight values); ours and stock share one state dict.
For each model (tiny, small, base_plus, large) at ``--image-size`` (1024):

- tracking frames/s, ours (``VideoSession``, same-layout objects batched per frame) against the
  stock ``SAM2VideoPredictor.propagate_in_video``, with 1 and 8 objects, both under the same
  precision (stock's README figures are bf16 autocast on an A100: 47/43/35/24 fps plain,
  91/85/64/40 with ``vos_optimized`` compilation);
- click-to-mask latency on a cached embedding (``ImageSession.predict``, box prompt), image
  encoding time (``precompute``), peak GPU memory per tracked object ((peak with 8 - peak with
  1) / 7);
- trials, tiny only unless ``--trials-all``: fp32, bf16 autocast, TF32 matmuls, and
  ``torch.compile`` of the image encoder (as sam2's vos_optimized does; ``--compile``, slow
  to warm up), each with mask agreement against fp32 (pixel share and IoU) on the same frames.

Runs on whatever device it is given (``--device cpu --smoke`` checks the script here in a
minute). Prints one JSON object; every figure is measured in this run.

    python benchmarks/gpu_suite.py [--device cuda] [--models tiny,small,base_plus,large]
        [--frames 30] [--compile] [--smoke]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bench_multi_object import BOXES, ArrayFrames  # the same objects and frame source

W, H = 854, 480  # the boxes are in frames of this size


def synthetic_frames(count: int) -> list[np.ndarray]:
    y, x = np.mgrid[0:H, 0:W]
    out = []
    for i in range(count):
        frame = np.stack([(x + 4 * i) % 256, (y * 2) % 256, ((x // 40 + y // 40) % 2) * 200])
        frame = frame.transpose(1, 2, 0).astype(np.uint8)
        cx = 150 + (i * 11) % 500
        frame[150:300, cx : cx + 150] = (230, 40, 40)
        out.append(frame)
    return out


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def precision_context(device: str, precision: str):
    import torch

    if precision == "bf16":
        return lambda: torch.autocast(device.split(":")[0], dtype=torch.bfloat16)
    return contextlib.nullcontext


def track_ours(predictor, frames, objects, device, precision, spill):
    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.inference.video_session import VideoSession

    masks = {}
    context = precision_context(device, precision)
    with VideoSession(predictor, ArrayFrames(frames), spill, compute_context=context) as session:
        for obj_id in range(objects):
            session.add_prompts(obj_id + 1, 0, [], Box(*BOXES[obj_id]))
        sync(device)
        began = time.perf_counter()
        session.propagate(0, "forward", on_frame=lambda r: masks.__setitem__(r.frame, r.masks))
        sync(device)
        return time.perf_counter() - began, masks


def track_stock(stock, jpegs, objects, device, precision):
    import torch

    state = stock.init_state(str(jpegs))
    with torch.inference_mode(), precision_context(device, precision)():
        for obj_id in range(objects):
            stock.add_new_points_or_box(state, 0, obj_id + 1, box=list(BOXES[obj_id]))
        sync(device)
        began = time.perf_counter()
        for _ in stock.propagate_in_video(state):
            pass
        sync(device)
        return time.perf_counter() - began


def peak_memory(device, fn) -> int | None:
    import torch

    if not device.startswith("cuda"):
        fn()
        return None
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    fn()
    return int(torch.cuda.max_memory_allocated())


def image_figures(predictor, frames, device, image_size, precision, repeats):
    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.inference.image_session import ImageSession

    session = ImageSession(predictor, device, image_size, precision=precision)
    session.precompute("warm", frames[0])
    session.predict("warm", None, [], Box(*BOXES[0]))
    encode, click = [], []
    for i in range(repeats):
        began = time.perf_counter()
        session.precompute(i, frames[i % len(frames)])
        sync(device)
        encode.append(time.perf_counter() - began)
        for box in BOXES[:3]:
            began = time.perf_counter()
            session.predict(i, None, [], Box(*box))
            click.append(time.perf_counter() - began)
    return {
        "encode_ms_median": round(1000 * statistics.median(encode), 2),
        "click_ms_median": round(1000 * statistics.median(click), 2),
        "click_ms_p95": round(1000 * float(np.percentile(click, 95)), 2),
    }


def agreement(masks, reference) -> dict:
    pixels, ious = [], []
    for frame, per_obj in reference.items():
        for obj_id, ref in per_obj.items():
            got = masks[frame][obj_id]
            pixels.append(float((got == ref).mean()))
            union = np.logical_or(got, ref).sum()
            ious.append(float(np.logical_and(got, ref).sum() / union) if union else 1.0)
    return {"min_pixel_agreement": round(min(pixels), 5), "min_iou": round(min(ious), 5)}


def model_figures(name, args, frames, jpegs, tmp) -> dict:
    import torch
    from sam2.build_sam import build_sam2_video_predictor

    from videoseg_desktop.inference.checkpoint import CONFIGS, build_predictor

    predictor = build_predictor(name, None, args.image_size, args.device)
    stock = build_sam2_video_predictor(
        CONFIGS[name],
        None,
        device=args.device,
        hydra_overrides_extra=[f"++model.image_size={args.image_size}"],
    )
    stock.load_state_dict(predictor.state_dict())
    stock.fill_hole_area = 0
    tracked = len(frames) - 1
    out: dict = {"image": image_figures(predictor, frames, args.device, args.image_size,
                                        args.precision, args.repeats)}  # fmt: skip
    # Warm-up (kernel selection, allocator) for both before anything is timed.
    track_ours(predictor, frames[:3], 1, args.device, args.precision, tmp / "spill")
    track_stock(stock, jpegs, 1, args.device, args.precision)
    peaks = {}
    for objects in (1, 8):
        runs = {}

        def run_ours(objects=objects, runs=runs):
            runs["ours"] = track_ours(
                predictor, frames, objects, args.device, args.precision, tmp / "spill"
            )[0]

        peaks[objects] = peak_memory(args.device, run_ours)
        runs["stock"] = track_stock(stock, jpegs, objects, args.device, args.precision)
        out[f"{objects}_objects"] = {
            "ours_fps": round(tracked / runs["ours"], 2),
            "stock_fps": round(tracked / runs["stock"], 2),
            "ours_speedup": round(runs["stock"] / runs["ours"], 3),
        }
    if peaks[1] is not None:
        out["peak_mib"] = {str(k): round(v / 2**20, 1) for k, v in peaks.items()}
        out["mib_per_extra_object"] = round((peaks[8] - peaks[1]) / 7 / 2**20, 2)
    if args.trials_all or name == "tiny":
        out["trials"] = trials(predictor, frames, args, tmp)
    if args.device.startswith("cuda"):
        torch.cuda.empty_cache()
    return out


def trials(predictor, frames, args, tmp) -> dict:
    """fp32 reference, then bf16, TF32 and (optionally) a compiled image encoder, 4 objects."""
    import torch

    tracked = len(frames) - 1
    result = {}
    ref_s, reference = track_ours(predictor, frames, 4, args.device, "fp32", tmp / "spill")
    result["fp32"] = {"fps": round(tracked / ref_s, 2)}
    seconds, masks = track_ours(predictor, frames, 4, args.device, "bf16", tmp / "spill")
    result["bf16"] = {"fps": round(tracked / seconds, 2), **agreement(masks, reference)}
    if args.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        seconds, masks = track_ours(predictor, frames, 4, args.device, "fp32", tmp / "spill")
        result["tf32"] = {"fps": round(tracked / seconds, 2), **agreement(masks, reference)}
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if args.compile:
        original = predictor.image_encoder.forward
        predictor.image_encoder.forward = torch.compile(
            original, mode="max-autotune", fullgraph=True, dynamic=False
        )
        began = time.perf_counter()
        track_ours(predictor, frames[:3], 1, args.device, "bf16", tmp / "spill")  # warm-up
        warm_s = time.perf_counter() - began
        seconds, masks = track_ours(predictor, frames, 4, args.device, "bf16", tmp / "spill")
        result["bf16_compiled_encoder"] = {
            "fps": round(tracked / seconds, 2),
            "compile_warmup_s": round(warm_s, 1),
            **agreement(masks, reference),
        }
        predictor.image_encoder.forward = original
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--models", default="tiny,small,base_plus,large")
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--trials-all", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny, 256 px, 4 frames (CPU check)")
    args = parser.parse_args()
    if args.smoke:
        args.models, args.image_size, args.frames, args.repeats = "tiny", 256, 4, 2
        args.precision = "fp32"

    import torch
    from PIL import Image

    warnings.filterwarnings("ignore")
    result: dict = {
        "benchmark": "gpu_suite",
        "device": args.device,
        "device_name": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
        "image_size": args.image_size,
        "frames": args.frames,
        "precision": args.precision,
        "models": {},
    }
    frames = synthetic_frames(args.frames + 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        jpegs = tmp / "jpegs"
        jpegs.mkdir()
        for i, frame in enumerate(frames):
            Image.fromarray(frame).save(jpegs / f"{i:05d}.jpg", quality=95)
        for name in args.models.split(","):
            began = time.perf_counter()
            result["models"][name] = model_figures(name, args, frames, jpegs, tmp)
            result["models"][name]["wall_s"] = round(time.perf_counter() - began, 1)
            print(json.dumps({name: result["models"][name]}), flush=True)  # partial results
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
