"""Pre-labelling a folder of images: decoding ahead on a thread against a naive loop.

Both loops do the same per image: decode the JPEG from the project, find the concept
(``ConceptImageSession.find``), store the instances (``PrelabelWriter``). The naive loop decodes
each image when its turn comes; ``videoseg autolabel``'s loop (``media.prefetch.prefetched``)
decodes the next two on a helper thread while the model works. The gain is largest when the
model is fast next to decoding (a GPU); on this CPU a tiny random SAM 3 at 112 px stands in for
that (with random weights nothing scores above the default threshold 0.5, so no masks are
cleaned or stored: the model is as fast as it gets). 1920x1080 photo-like JPEGs. The loops alternate in one process (noise hits both).
Prints JSON with images/s, the ratio and the load average.

    python benchmarks/bench_autolabel_folder.py [--images 24] [--rounds 2]
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
W, H = 1920, 1080


def photo(i: int) -> np.ndarray:
    """Smooth gradients plus noise: compresses and decodes like a camera picture."""
    rng = np.random.default_rng(i)
    y, x = np.mgrid[0:H, 0:W]
    im = np.stack([(x + 3 * i) % 256, (y + 5 * i) % 256, (x + y) % 256], axis=-1)
    im = im + rng.normal(0, 12, im.shape)
    return np.clip(im, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import torch
    from PIL import Image
    from tests.helpers.sam3 import save_tiny_sam3
    from transformers.utils import logging

    from videoseg_desktop.core.concepts import ConceptPrompt
    from videoseg_desktop.inference.concept_engine import ConceptEngine
    from videoseg_desktop.media.prefetch import prefetched
    from videoseg_desktop.store import Project
    from videoseg_desktop.store.prelabel import PrelabelWriter, plan_prelabel

    torch.set_num_threads(1)
    logging.set_verbosity_error()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        engine = ConceptEngine.load("bench", folder=save_tiny_sam3(tmp / "model"), device="cpu")
        paths = []
        for i in range(args.images):
            paths.append(tmp / f"photo{i:03d}.jpg")
            Image.fromarray(photo(i)).save(paths[-1], quality=92)
        project = Project.create(tmp / "proj")
        project.import_media(paths)
        items = project.media.list()
        concept = ConceptPrompt("thing")
        session = engine.image_session()

        def read(item):
            with project.open_frames(item) as frames:
                return frames.read(0)

        def label(item, rgb) -> None:
            found = session.find(rgb, concept, 0.5).instances  # the CLI default
            (job,) = plan_prelabel(project, [item], [concept], engine.model_id, redo=True)
            writer = PrelabelWriter(project, job)
            writer.begin()
            writer.write_image(found)

        def naive() -> None:
            for item in items:
                label(item, read(item))

        def ahead() -> None:
            for item, future in prefetched(items, read):
                label(item, future.result())

        label(items[0], read(items[0]))  # warm-up
        times = {"naive": 0.0, "prefetch": 0.0}
        decode = time.perf_counter()
        for item in items:
            read(item)
        decode = (time.perf_counter() - decode) / len(items)
        for r in range(args.rounds):
            for name, run in (("naive", naive), ("prefetch", ahead))[:: 1 if r % 2 == 0 else -1]:
                t = time.perf_counter()
                run()
                times[name] += time.perf_counter() - t
        project.close()

    n = args.images * args.rounds
    print(
        json.dumps(
            {
                "benchmark": "autolabel_folder",
                "images": args.images,
                "rounds": args.rounds,
                "image": f"{W}x{H} JPEG",
                "decode_s_per_image": round(decode, 4),
                "images_per_s": {k: round(n / v, 3) for k, v in times.items()},
                "speedup_prefetch_over_naive": round(times["naive"] / times["prefetch"], 3),
                "loadavg": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
