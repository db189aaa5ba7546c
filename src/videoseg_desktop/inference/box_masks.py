"""Detector boxes to SAM 2.1 masks: every box of an image in one batched decoder call, and MOT
tracks prompted with their boxes on key frames and tracked between them.

The per-media functions take plain data (an image or a frame source, ``DetectedBox``es or
``BoxTrack``s) and return plain ``FoundInstance``s, so they can run wherever the engine lives
(the CLI's process, the GUI's worker, a remote executor) and the store writes the results.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import numpy as np

from videoseg_desktop.core.box_prompts import BoxTrack, DetectedBox
from videoseg_desktop.core.concepts import ConceptFrameResult, FoundInstance
from videoseg_desktop.core.prompts import Box
from videoseg_desktop.core.review_rules import confidence_from_logit
from videoseg_desktop.inference.device import autocast, out_of_memory_guard
from videoseg_desktop.inference.preprocess import as_rgb, prompt_arrays

DECODE_BATCH = 32  # boxes per decoder call: bounds the full-size logits held at once


def predict_boxes(
    session, key: Hashable, image: np.ndarray | None, boxes: Sequence[Box]
) -> list[tuple[np.ndarray, float]]:
    """(mask, predicted IoU) for each box, as ``session.predict(key, image, box=b)`` gives it,
    but with the boxes of an image decoded together (sam2's batched box prompts)."""
    if not boxes:
        return []
    embedding, _ = session._embedding(key, None if image is None else as_rgb(image))
    h, w = embedding.orig_hw
    for b in boxes:
        if not (0 <= b.x0 <= w and 0 <= b.x1 <= w and 0 <= b.y0 <= h and 0 <= b.y1 <= h):
            raise ValueError(f"box {b} lies outside the {w}x{h} image")
    out: list[tuple[np.ndarray, float]] = []
    for start in range(0, len(boxes), DECODE_BATCH):
        chunk = boxes[start : start + DECODE_BATCH]
        with session.model_lock:
            out += _decode_boxes(session, embedding, chunk)
    return [(session.postprocessing.apply(m), s) for m, s in out]


def _decode_boxes(session, embedding, boxes: Sequence[Box]) -> list[tuple[np.ndarray, float]]:
    import torch
    import torch.nn.functional as F

    arrays = [prompt_arrays((), b, embedding.orig_hw, session.image_size) for b in boxes]
    coords = np.concatenate([a[0] for a in arrays])  # B x 2 x 2
    labels = np.concatenate([a[1] for a in arrays])  # B x 2
    device = session.device
    with (
        out_of_memory_guard(device, "predicting masks from boxes"),
        torch.inference_mode(),
        autocast(device, session.precision),
    ):
        points = (
            torch.as_tensor(coords, dtype=torch.float32, device=device),
            torch.as_tensor(labels, dtype=torch.int32, device=device),
        )
        # one image, B prompts (as SAM2ImagePredictor's batched boxes)
        low_res, iou = session.decode_prompts(embedding, points, None, multimask=False)
        # one mask at a time to full size: B full-size float maps at once cost more than they
        # save on a CPU (32 x 2250x1500 x 4 bytes = 430 MB)
        masks = [
            (
                F.interpolate(
                    low_res[i : i + 1, :1].float(),
                    size=embedding.orig_hw,
                    mode="bilinear",
                    align_corners=False,
                )[0, 0]
                > 0
            )
            .cpu()
            .numpy()
            for i in range(len(boxes))
        ]
        scores = iou[:, 0].float().cpu().numpy()
    return [(masks[i], float(scores[i])) for i in range(len(boxes))]


def masks_for_image(
    engine, image: np.ndarray, boxes: Sequence[DetectedBox], key: Hashable | None = None
) -> list[FoundInstance | None]:
    """One image's boxes as instances (None where SAM 2.1 found nothing inside a box).

    The score is the detector's when the file gave one, else SAM's predicted IoU. The image
    embedding is forgotten afterwards: a folder run sees each image once.
    """
    session = engine.image_session()
    key = ("boxes", id(image)) if key is None else key
    try:
        results = predict_boxes(session, key, image, [b.box for b in boxes])
    finally:
        session.forget(key)
    found: list[FoundInstance | None] = []
    for b, (mask, iou) in zip(boxes, results, strict=True):
        found.append(FoundInstance.from_mask(mask, _score(b.score, iou)) if mask.any() else None)
    return found


def masks_for_video(
    engine,
    frames,
    tracks: Sequence[BoxTrack],
    spill_dir: Path | None,
    key_every: int,
    on_frame: Callable[[ConceptFrameResult], None],
    cancel: threading.Event | Callable[[], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Each track as one object: its boxes on key frames prompt SAM 2.1, which tracks it in
    between (forward from its first box to its last). Tracks starting on the same frame share
    one pass. ``on_frame`` gets each frame's instances keyed by track id; frames outside a
    track's span are not reported for it. Returns False when cancelled."""
    from videoseg_desktop.inference.video_session import VideoSession

    starts: dict[int, list[BoxTrack]] = {}
    for t in tracks:
        starts.setdefault(t.first, []).append(t)
    total = sum(max(t.last for t in group) - start + 1 for start, group in starts.items())
    done = 0
    with VideoSession.for_engine(engine, frames, spill_dir) as session:
        for start, group in sorted(starts.items()):
            span = {t.track_id: t for t in group}
            scores = {(t.track_id, b.frame): b.score for t in group for b in t.boxes}
            # frame by frame: the tracks prompted on one frame share its encoding
            keys = sorted(
                (b.frame, t.track_id, b.box) for t in group for b in t.key_boxes(key_every)
            )
            for frame, track_id, box in keys:
                session.add_prompts(track_id, frame, box=box)
            end = max(t.last for t in group)

            def report(result, span=span, scores=scores, offset=done - start) -> None:
                instances = {}
                for track_id, mask in result.masks.items():
                    t = span[track_id]
                    if not t.first <= result.frame <= t.last or not mask.any():
                        continue
                    logit = result.object_scores.get(track_id, 0.0)
                    score = scores.get((track_id, result.frame))
                    instances[track_id] = FoundInstance.from_mask(
                        mask, confidence_from_logit(logit) if score is None else score
                    )
                on_frame(ConceptFrameResult(result.frame, instances))
                if on_progress is not None:
                    on_progress(offset + result.frame + 1, total)

            outcome = session.propagate(
                start, "forward", end, list(span), on_frame=report, cancel=cancel
            )
            if outcome.cancelled:
                return False
            for t in group:
                session.remove_object(t.track_id)
            done += end - start + 1
    return True


def _score(detector: float | None, iou: float) -> float:
    return min(max(float(iou if detector is None else detector), 0.0), 1.0)
