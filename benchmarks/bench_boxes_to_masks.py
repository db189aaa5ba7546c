"""Detector boxes to masks: masks/s of ``boxes-to-masks``'s per-image step against a naive loop.

Same images, same boxes, same model, same output (an RLE per box):
- ours (``inference.box_masks.masks_for_image``): one encoding per image, every box of the image
  in one batched decoder call (sam2's batched box prompts), RLE;
- naive: one encoding per image (cached), then one ``ImageSession.predict(box=...)`` call per
  box, as a script looping over a predictor would.
Images: the sam2 sample photos (truck, groceries, cars) in ../shared/data/sam2-samples; boxes: a
fixed random set of ``--boxes`` per image. SAM 2.1 tiny architecture with random weights (speed
does not depend on the weights). Reports end to end masks/s (encode included) and the decoder
part alone (masks/s once the image is encoded), each the best of ``--rounds``, loops
alternating in one process. Prints JSON.

    python benchmarks/bench_boxes_to_masks.py [--boxes 32] [--image-size 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
SAMPLES = ROOT.parent / "shared" / "data" / "sam2-samples"


def boxes_for(w: int, h: int, n: int, seed: int):
    from videoseg_desktop.core.box_prompts import DetectedBox
    from videoseg_desktop.core.prompts import Box

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        bw, bh = rng.uniform(0.05, 0.4) * w, rng.uniform(0.05, 0.4) * h
        x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
        out.append(DetectedBox("thing", Box(x, y, x + bw, y + bh), float(rng.uniform(0.3, 1))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boxes", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    names = ["truck.jpg", "groceries.jpg", "cars.jpg"]
    if not all((SAMPLES / n).is_file() for n in names):
        print(json.dumps({"skipped": f"{SAMPLES} not present"}))
        return

    import torch
    from PIL import Image

    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.inference.box_masks import masks_for_image, predict_boxes
    from videoseg_desktop.inference.checkpoint import save_random_checkpoint
    from videoseg_desktop.inference.engine import SamEngine

    torch.manual_seed(0)
    images = [np.asarray(Image.open(SAMPLES / n).convert("RGB")) for n in names]
    boxes = [boxes_for(im.shape[1], im.shape[0], args.boxes, i) for i, im in enumerate(images)]
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = save_random_checkpoint(Path(tmp) / "random_tiny.pt")
        engine = SamEngine.load(
            checkpoint=ckpt, image_size=args.image_size, device=args.device, precision="fp32"
        )
    session = engine.image_session()
    n_masks = sum(map(len, boxes))

    def ours() -> float:
        start = time.perf_counter()
        for im, bs in zip(images, boxes, strict=True):
            masks_for_image(engine, im, bs, key=("ours", id(im)))
        return time.perf_counter() - start

    def naive() -> float:
        start = time.perf_counter()
        for n, (im, bs) in enumerate(zip(images, boxes, strict=True)):
            for b in bs:
                encode_rle(session.predict(("naive", n), im, box=b.box).mask)
            session.forget(("naive", n))
        return time.perf_counter() - start

    def decoder_ours() -> float:
        start = time.perf_counter()
        for n, bs in enumerate(boxes):
            for mask, _ in predict_boxes(session, ("enc", n), None, [b.box for b in bs]):
                encode_rle(mask)
        return time.perf_counter() - start

    def decoder_naive() -> float:
        start = time.perf_counter()
        for n, bs in enumerate(boxes):
            for b in bs:
                encode_rle(session.predict(("enc", n), None, box=b.box).mask)
        return time.perf_counter() - start

    ours(), naive()  # warm-up
    times = {"ours": [], "naive": [], "decoder_ours": [], "decoder_naive": []}
    for _ in range(args.rounds):
        times["ours"].append(ours())
        times["naive"].append(naive())
    for n, im in enumerate(images):
        session.precompute(("enc", n), im)
    for _ in range(args.rounds):
        times["decoder_ours"].append(decoder_ours())
        times["decoder_naive"].append(decoder_naive())
    rate = {k: n_masks / min(v) for k, v in times.items()}
    print(
        json.dumps(
            {
                "benchmark": "boxes_to_masks",
                "images": [
                    f"{n} {im.shape[1]}x{im.shape[0]}" for n, im in zip(names, images, strict=True)
                ],
                "boxes_per_image": args.boxes,
                "model": engine.model_id,
                "device": engine.device,
                "torch_threads": torch.get_num_threads(),
                "masks_per_s": round(rate["ours"], 2),
                "naive_masks_per_s": round(rate["naive"], 2),
                "ratio": round(rate["ours"] / rate["naive"], 2),
                "decoder_masks_per_s": round(rate["decoder_ours"], 2),
                "decoder_naive_masks_per_s": round(rate["decoder_naive"], 2),
                "decoder_ratio": round(rate["decoder_ours"] / rate["decoder_naive"], 2),
                "rounds": args.rounds,
                "loadavg": [round(v, 2) for v in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
