"""Click-to-mask latency with a cached embedding, and image encoding time fp32 vs bf16.

For each input size, in the same run and on the same cached features:
- ours: ``ImageSession.predict`` as the GUI calls it (prompt scaling, prompt encoder, mask
  decoder, upsampling to the source resolution, OpenCV post-processing, COCO RLE);
- floor: sam2's bare ``sam_prompt_encoder`` + ``sam_mask_decoder`` on the same features (what
  any SAM 2 click must cost; the stock ``SAM2ImagePredictor`` cannot be imported here because it
  needs torchvision, and its ``predict`` adds upsampling of all three masks on top of this).
Measurements of ours and the floor alternate so that machine noise hits both alike.
Random weights (the model's cost does not depend on their values, but their noisy masks make
post-processing slower than real masks do, so it is also timed on real DAVIS object masks).
Prints JSON.

    python benchmarks/bench_click.py [--image truck.jpg] [--sizes 1024 256] [--repeats 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared/data"
DEFAULT_IMAGE = SHARED_DATA / "sam2-samples/truck.jpg"


def _stats(samples: list[float]) -> dict:
    s = sorted(samples)
    return {
        "median_ms": round(1000 * statistics.median(s), 2),
        "p90_ms": round(1000 * s[int(0.9 * (len(s) - 1))], 2),
        "min_ms": round(1000 * s[0], 2),
        "n": len(s),
    }


def _floor_click(predictor, embedding, coords, labels, multimask: bool, prior=None) -> None:
    import torch

    with torch.inference_mode():
        points = (torch.as_tensor(coords), torch.as_tensor(labels))
        masks = None if prior is None else torch.as_tensor(prior[None])
        sparse, dense = predictor.sam_prompt_encoder(points=points, boxes=None, masks=masks)
        predictor.sam_mask_decoder(
            image_embeddings=embedding.image_embed,
            image_pe=predictor.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
            repeat_image=False,
            high_res_features=list(embedding.high_res_feats),
        )


def bench_size(checkpoint: Path, image: np.ndarray, size: int, repeats: int, bf16: bool) -> dict:
    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.core.prompts import Point
    from videoseg_desktop.inference.engine import SamEngine
    from videoseg_desktop.inference.image_session import ImageSession
    from videoseg_desktop.inference.preprocess import prompt_arrays

    engine = SamEngine.load("tiny", checkpoint, image_size=size, device="cpu", precision="fp32")
    session = engine.image_session()
    h, w = image.shape[:2]

    encode = {"fp32": [], "bf16": []}
    encode_repeats = 3 if size >= 1024 else 5
    for i in range(encode_repeats):
        precisions = ("fp32", "bf16") if bf16 else ("fp32",)
        for precision in precisions if i % 2 == 0 else precisions[::-1]:
            fresh = ImageSession(engine.predictor, "cpu", size, precision=precision)
            start = time.perf_counter()
            fresh.precompute("truck", image)
            encode[precision].append(time.perf_counter() - start)

    session.precompute("truck", image)
    embedding = session.cache.get("truck")
    rng = np.random.default_rng(0)
    clicks = [
        Point(float(x), float(y))
        for x, y in zip(rng.uniform(0, w, repeats), rng.uniform(0, h, repeats), strict=True)
    ]
    # warm-up
    session.predict("truck", None, [clicks[0]])
    _floor_click(engine.predictor, embedding, *prompt_arrays([clicks[0]], None, (h, w), size), True)

    ours_first, floor_first, ours_refine, floor_refine = [], [], [], []
    post_ms, rle_ms = [], []
    for point in clicks:
        start = time.perf_counter()
        result = session.predict("truck", None, [point])  # first click: multimask
        ours_first.append(time.perf_counter() - start)

        coords, labels = prompt_arrays([point], None, (h, w), size)
        start = time.perf_counter()
        _floor_click(engine.predictor, embedding, coords, labels, True)
        floor_first.append(time.perf_counter() - start)

        second = [point, Point(w - point.x, h - point.y, positive=False)]
        start = time.perf_counter()
        session.predict("truck", None, second, prior=result)  # refinement: single mask
        ours_refine.append(time.perf_counter() - start)

        coords, labels = prompt_arrays(second, None, (h, w), size)
        start = time.perf_counter()
        _floor_click(engine.predictor, embedding, coords, labels, False, result.logits)
        floor_refine.append(time.perf_counter() - start)

        start = time.perf_counter()
        cleaned = session.postprocessing.apply(result.mask)
        post_ms.append(time.perf_counter() - start)
        start = time.perf_counter()
        encode_rle(cleaned)
        rle_ms.append(time.perf_counter() - start)

    out = {
        "image_size": size,
        "encode_fp32": _stats(encode["fp32"]),
        "click_first_ours": _stats(ours_first),
        "click_first_floor": _stats(floor_first),
        "click_refine_ours": _stats(ours_refine),
        "click_refine_floor": _stats(floor_refine),
        "of_which_postprocess": _stats(post_ms),
        "of_which_rle": _stats(rle_ms),
        "ratio_first_ours_over_floor": round(
            statistics.median(ours_first) / statistics.median(floor_first), 2
        ),
        "ratio_refine_ours_over_floor": round(
            statistics.median(ours_refine) / statistics.median(floor_refine), 2
        ),
        "embedding_bytes": embedding.nbytes,
    }
    if bf16:
        out["encode_bf16"] = _stats(encode["bf16"])
        out["ratio_encode_bf16_over_fp32"] = round(
            statistics.median(encode["bf16"]) / statistics.median(encode["fp32"]), 2
        )
    return out


def _whole_frame_clean(mask: np.ndarray, holes: int, islands: int) -> np.ndarray:
    """The plain definition of our post-processing: label the whole frame."""
    import cv2

    from videoseg_desktop.core.mask_ops import fill_holes

    out = fill_holes(mask, holes)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(out.view(np.uint8), connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < islands
    small[0] = False
    if count > 1 and small[1:].all():
        small[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))] = False
    return out & ~small[labels]


def bench_postprocess_real_masks(davis: Path, repeats: int) -> dict | None:
    """Post-processing on real object masks (DAVIS ground truth), native and upscaled to 4K."""
    import cv2

    from videoseg_desktop.inference.postprocess import PostProcessing

    files = sorted((davis / "Annotations/480p").glob("*/00000.png"))
    if not files:
        return None
    clean = PostProcessing()
    out = {}
    for label, size in (("854x480", None), ("3840x2160", (3840, 2160))):
        ours, plain = [], []
        for f in files:
            mask = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) > 0
            if size:
                mask = cv2.resize(mask.view(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
            assert np.array_equal(clean.apply(mask), _whole_frame_clean(mask, 32, 32))
            for _ in range(repeats):
                start = time.perf_counter()
                clean.apply(mask)
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                _whole_frame_clean(mask, 32, 32)
                plain.append(time.perf_counter() - start)
        out[label] = {
            "ours": _stats(ours),
            "whole_frame_labelling": _stats(plain),
            "ratio_ours_over_whole_frame": round(
                statistics.median(ours) / statistics.median(plain), 3
            ),
        }
    return {"masks": [f.parent.name for f in files], **out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 256])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-bf16", action="store_true", help="skip the bf16 encoding runs")
    args = parser.parse_args(argv)

    import torch
    from PIL import Image

    from videoseg_desktop.inference.checkpoint import save_random_checkpoint

    if not args.image.is_file():
        print(f"image not found: {args.image}", file=sys.stderr)
        return 1
    image = np.asarray(Image.open(args.image).convert("RGB"))
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = save_random_checkpoint(Path(tmp) / "random_tiny.pt", "tiny", 1024)
        results = [
            bench_size(checkpoint, image, size, args.repeats, not args.no_bf16)
            for size in args.sizes
        ]
    report = {
        "benchmark": "click-to-mask latency (cached embedding) and image encoding",
        "model": "sam2.1 tiny, random weights",
        "image": args.image.name,
        "image_hw": list(image.shape[:2]),
        "device": "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "results": results,
        "postprocess_real_masks": bench_postprocess_real_masks(SHARED_DATA / "davis2016", 10),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
