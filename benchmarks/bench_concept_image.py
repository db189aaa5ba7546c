"""Concept search on images: our whole pipeline against transformers' bare model + processor.

Ours, per image: decode the JPEG from the project, ``ConceptImageSession.find`` (processor,
model, our mask clean-up, RLE) and store the instances as suggested objects
(``PrelabelWriter``, one transaction). Transformers', per image: open the same JPEG with PIL,
``Sam3Processor(images=..., text=...)``, ``Sam3Model``, ``post_process_instance_segmentation``
(masks as tensors; nothing encoded or stored). Also against the bare model given text
embeddings computed once (the best a hand-written loop can do). Same random SAM 3 (a small
configuration, 4 ViT layers at 448 px, 20 queries), same images (1280x720), same threshold;
the implementations alternate image by image in one process, so the machine's noise hits both.
Random weights make noisy masks full of specks, which our clean-up (fill holes, drop islands)
takes longer over than over a real model's smooth masks, so the pipeline is also timed without
it. Prints JSON with the ratios and the load average.

    python benchmarks/bench_concept_image.py [--images 12] [--image-size 448]
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
W, H = 1280, 720


def scene(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    y, x = np.mgrid[0:H, 0:W]
    im = np.empty((H, W, 3), np.uint8)
    im[..., 0] = (x * 255 // W).astype(np.uint8)
    im[..., 1] = (y * 255 // H).astype(np.uint8)
    im[..., 2] = 90
    for _ in range(6):
        cx, cy, r = rng.integers(100, W - 100), rng.integers(100, H - 100), rng.integers(30, 90)
        im[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    return im


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--image-size", type=int, default=448)
    parser.add_argument("--threshold", type=float, default=0.25)
    args = parser.parse_args()

    import torch
    from PIL import Image
    from tests.helpers.sam3 import save_tiny_sam3
    from transformers.utils import logging

    from videoseg_desktop.core.concepts import ConceptPrompt
    from videoseg_desktop.inference.concept_engine import ConceptEngine
    from videoseg_desktop.store import Project
    from videoseg_desktop.store.prelabel import PrelabelWriter, plan_prelabel

    torch.set_num_threads(1)
    logging.set_verbosity_error()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = save_tiny_sam3(tmp / "model", args.image_size, queries=20, vit_layers=4)
        engine = ConceptEngine.load("bench", folder=folder, device="cpu")
        paths = []
        for i in range(args.images):
            paths.append(tmp / f"img{i:03d}.jpg")
            Image.fromarray(scene(i)).save(paths[-1], quality=90)
        project = Project.create(tmp / "proj")
        project.import_media(paths)
        items = project.media.list()
        concept = ConceptPrompt("ball")
        session = engine.image_session()
        raw = engine.image_session()
        raw.postprocessing = None  # random weights make noisy masks: cleaning them costs more
        model, processor = engine.image_model, engine.processor
        with torch.inference_mode():
            tokens = processor.tokenizer(
                "ball", return_tensors="pt", padding="max_length", max_length=32
            )
            text_embeds = model.get_text_features(**tokens, return_dict=True)

        def ours(item, session=session) -> int:
            with project.open_frames(item) as frames:
                rgb = frames.read(0)
            found = session.find(rgb, concept, args.threshold).instances
            (job,) = plan_prelabel(project, [item], [concept], engine.model_id, redo=True)
            writer = PrelabelWriter(project, job)
            writer.begin()
            writer.write_image(found)
            return len(found)

        def bare(path: Path, cached_text: bool) -> int:
            image = Image.open(path).convert("RGB")
            with torch.inference_mode():
                if cached_text:
                    inputs = processor(images=image, return_tensors="pt")
                    out = model(
                        pixel_values=inputs["pixel_values"],
                        text_embeds=text_embeds,
                        attention_mask=tokens["attention_mask"],
                    )
                else:
                    inputs = processor(images=image, text="ball", return_tensors="pt")
                    out = model(**inputs)
                post = processor.post_process_instance_segmentation(
                    out, threshold=args.threshold, target_sizes=[image.size[::-1]]
                )[0]
            return int(post["masks"].shape[0])

        ours(items[0])  # warm-up: first calls are slower for both
        bare(paths[0], False)
        times = {"ours": 0.0, "ours_without_cleanup": 0.0, "bare": 0.0, "bare_cached_text": 0.0}
        instances = []
        runs = [
            ("ours", lambda i: ours(items[i])),
            ("ours_without_cleanup", lambda i: ours(items[i], raw)),
            ("bare", lambda i: bare(paths[i], False)),
            ("bare_cached_text", lambda i: bare(paths[i], True)),
        ]
        for i in range(len(items)):
            order = runs[i % len(runs) :] + runs[: i % len(runs)]  # rotate who goes first
            for name, run in order:
                t = time.perf_counter()
                n = run(i)
                times[name] += time.perf_counter() - t
                if name == "ours":
                    instances.append(n)
        stored = project.objects.counts()
        project.close()

    n = len(items)
    print(
        json.dumps(
            {
                "benchmark": "concept_image",
                "images": n,
                "image": f"{W}x{H} JPEG",
                "image_size": args.image_size,
                "instances_per_image": round(float(np.mean(instances)), 2),
                "stored": stored,
                "seconds_per_image": {k: round(v / n, 4) for k, v in times.items()},
                "overhead_vs_bare": round(times["ours"] / times["bare"] - 1, 4),
                "overhead_vs_bare_cached_text": round(
                    times["ours"] / times["bare_cached_text"] - 1, 4
                ),
                "overhead_without_cleanup_vs_bare": round(
                    times["ours_without_cleanup"] / times["bare"] - 1, 4
                ),
                "loadavg": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
