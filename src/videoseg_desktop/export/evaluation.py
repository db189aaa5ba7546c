"""Comparing predicted annotations with ground truth, each a COCO / YouTube-VIS / DAVIS export.

Two modes:
- ``images``: IoU and Dice per instance, per class and mean. Images are matched by file name
  (without extension: ``car-shadow/00003.jpg`` and ``.png`` are the same frame); within an image
  and class (one class "all" when a side has no classes, as DAVIS), instances are paired
  greedily by highest IoU. A missed or an extra instance scores 0.
- ``videos``: the DAVIS measures per object and overall, J (region IoU) and F (boundary
  F-measure), each with mean, recall and decay. Videos are matched by name; objects by id
  when both sides are DAVIS (its ids are the identity), otherwise greedily by IoU over the whole
  video (within a class when both sides have classes). Frames are matched by the number in
  their file name (``frame_matching``): a ground-truth frame without a prediction counts as
  empty. A frame where both masks are empty counts 1.0, one empty and one not 0.0.

``auto`` picks ``videos`` when both sides are video formats, else ``images``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pycocotools import mask as mask_utils

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.limits import MAX_INSTANCES_PER_IMAGE
from videoseg_desktop.core.masks import Rle, decode_rle
from videoseg_desktop.core.text import plural
from videoseg_desktop.export.boundary import (
    BOUND_TH,
    boundary_f_measure,
    boundary_tolerance,
    disk,
    region_similarity,
    sequence_statistics,
)
from videoseg_desktop.export.dataset import AnnotationSet, ImageAnnotations, VideoAnnotations
from videoseg_desktop.export.eval_report import EvalReport, InstanceScore, ObjectScore
from videoseg_desktop.export.frame_matching import align_to_ground_truth
from videoseg_desktop.export.readers import read_annotations

Progress = Callable[[int, int], None]
ALL_CLASSES = "all"  # the one class when a side has none (DAVIS)


def _coco_rle(rle: Rle) -> dict:
    return {"size": list(rle["size"]), "counts": rle["counts"].encode("ascii")}


def _ious(preds: list[Rle], gts: list[Rle]) -> np.ndarray:
    """IoU matrix (len(preds) x len(gts)) straight from RLE, without decoding."""
    if max(len(preds), len(gts)) > MAX_INSTANCES_PER_IMAGE:  # the matrix would be huge
        raise ExportError(
            f"{plural(max(len(preds), len(gts)), 'instance')} on one image or video to compare; "
            f"the limit is {MAX_INSTANCES_PER_IMAGE}"
        )
    if not preds or not gts:
        return np.zeros((len(preds), len(gts)))
    value = mask_utils.iou(
        [_coco_rle(r) for r in preds], [_coco_rle(r) for r in gts], [0] * len(gts)
    )
    return np.asarray(value, dtype=float).reshape(len(preds), len(gts))


def _greedy_pairs(scores: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (row, col) taken by decreasing score, each row and column at most once, score > 0."""
    pairs, rows, cols = [], set(), set()
    order = np.argsort(-scores, axis=None, kind="stable")
    for flat in order:
        r, c = divmod(int(flat), scores.shape[1])
        if scores[r, c] <= 0:
            break
        if r not in rows and c not in cols:
            pairs.append((r, c))
            rows.add(r)
            cols.add(c)
    return pairs


def _dice(iou: float) -> float:
    return 2 * iou / (1 + iou)


# -- images ------------------------------------------------------------------------------------
def _by_key(images: list[ImageAnnotations]) -> dict[str, ImageAnnotations]:
    merged: dict[str, ImageAnnotations] = {}
    for img in images:
        if img.key in merged:
            merged[img.key].instances.extend(img.instances)
        else:
            merged[img.key] = ImageAnnotations(
                img.file_name, img.height, img.width, list(img.instances)
            )
    return merged


def evaluate_images(pred: AnnotationSet, gt: AnnotationSet, report: EvalReport) -> None:
    use_classes = pred.has_categories and gt.has_categories
    preds, gts = _by_key(pred.all_images()), _by_key(gt.all_images())
    missing = [key for key in gts if key not in preds]
    if missing and len(missing) == len(gts):
        report.warnings.append("no image of the ground truth is in the prediction (names differ?)")
    for key in sorted(set(preds) | set(gts)):
        p_img, g_img = preds.get(key), gts.get(key)
        if p_img and g_img and (p_img.height, p_img.width) != (g_img.height, g_img.width):
            raise ExportError(
                f"mask size mismatch for {key}: {p_img.width}x{p_img.height} predicted, "
                f"{g_img.width}x{g_img.height} in the ground truth"
            )
        p_inst = p_img.instances if p_img else []
        g_inst = g_img.instances if g_img else []
        groups = {i.category if use_classes else None for i in p_inst + g_inst}
        for group in sorted(groups, key=str):
            ps = [i for i in p_inst if not use_classes or i.category == group]
            gs = [i for i in g_inst if not use_classes or i.category == group]
            scores = _ious([i.rle for i in ps], [i.rle for i in gs])
            pairs = _greedy_pairs(scores)
            cls = group if use_classes else ALL_CLASSES
            for r, c in pairs:
                iou = float(scores[r, c])
                report.instances.append(InstanceScore(key, cls, iou, _dice(iou), "matched"))
            taken_p, taken_g = {r for r, _ in pairs}, {c for _, c in pairs}
            for c in range(len(gs)):
                if c not in taken_g:
                    report.instances.append(InstanceScore(key, cls, 0.0, 0.0, "missed"))
            for r in range(len(ps)):
                if r not in taken_p:
                    report.instances.append(InstanceScore(key, cls, 0.0, 0.0, "extra"))
    report.images = len(gts)


# -- videos ------------------------------------------------------------------------------------
def _match_videos(pred: AnnotationSet, gt: AnnotationSet, report: EvalReport):
    by_name = {v.name: v for v in pred.videos}
    if len(pred.videos) == 1 and len(gt.videos) == 1 and gt.videos[0].name not in by_name:
        report.warnings.append(
            f"comparing video {pred.videos[0].name!r} with {gt.videos[0].name!r} (names differ)"
        )
        return [(pred.videos[0], gt.videos[0])]
    pairs = []
    for video in gt.videos:
        if video.name not in by_name:
            report.warnings.append(f"video {video.name!r} is missing from the prediction")
        pairs.append((by_name.get(video.name), video))
    return pairs


def _track_pairs(p_vid: VideoAnnotations, g_vid: VideoAnnotations, by_id: bool, use_classes: bool):
    """(pred track or None, gt track) for every ground-truth track; and the unpaired pred tracks."""
    p_tracks = list(p_vid.tracks) if p_vid else []
    if by_id:
        lookup = {t.track_id: t for t in p_tracks}
        pairs = [(lookup.get(t.track_id), t) for t in g_vid.tracks]
        used = {id(p) for p, _ in pairs if p is not None}
        return pairs, [t for t in p_tracks if id(t) not in used]
    if max(len(p_tracks), len(g_vid.tracks)) > MAX_INSTANCES_PER_IMAGE:
        raise ExportError(
            f"video {g_vid.name!r}: {plural(max(len(p_tracks), len(g_vid.tracks)), 'track')} to compare; "
            f"the limit is {MAX_INSTANCES_PER_IMAGE}"
        )
    inter = np.zeros((len(p_tracks), len(g_vid.tracks)))
    union = np.zeros_like(inter)
    for frame in range(g_vid.length):
        ps = [(i, t.masks[frame]) for i, t in enumerate(p_tracks) if frame in t.masks]
        gs = [(j, t.masks[frame]) for j, t in enumerate(g_vid.tracks) if frame in t.masks]
        p_area = {i: float(mask_utils.area(_coco_rle(r))) for i, r in ps}
        g_area = {j: float(mask_utils.area(_coco_rle(r))) for j, r in gs}
        for i in p_area:
            union[i, :] += p_area[i]
        for j in g_area:
            union[:, j] += g_area[j]
        ious = _ious([r for _, r in ps], [r for _, r in gs])
        for a, (i, _) in enumerate(ps):
            for b, (j, _) in enumerate(gs):
                iou = ious[a, b]
                shared = iou * (p_area[i] + g_area[j]) / (1 + iou)
                inter[i, j] += shared
                union[i, j] -= shared
    scores = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    if use_classes:
        for i, p in enumerate(p_tracks):
            for j, g in enumerate(g_vid.tracks):
                if p.category != g.category:
                    scores[i, j] = 0
    pairs = dict((c, r) for r, c in _greedy_pairs(scores))
    matched = [(p_tracks[pairs[j]] if j in pairs else None, g) for j, g in enumerate(g_vid.tracks)]
    return matched, [t for i, t in enumerate(p_tracks) if i not in pairs.values()]


def evaluate_videos(
    pred: AnnotationSet,
    gt: AnnotationSet,
    report: EvalReport,
    bound_th: float,
    skip_first_last: bool,
    progress: Progress | None,
) -> None:
    by_id = pred.format == "davis" and gt.format == "davis"
    use_classes = pred.has_categories and gt.has_categories
    videos = _match_videos(pred, gt, report)
    total = sum(g.length for _, g in videos) or 1
    done = 0
    for p_vid, g_vid in videos:
        if p_vid and (p_vid.height, p_vid.width) != (g_vid.height, g_vid.width):
            raise ExportError(
                f"mask size mismatch for video {g_vid.name!r}: {p_vid.width}x{p_vid.height} "
                f"predicted, {g_vid.width}x{g_vid.height} in the ground truth"
            )
        if p_vid:
            p_vid = align_to_ground_truth(p_vid, g_vid, report.warnings)
        pairs, extra = _track_pairs(p_vid, g_vid, by_id, use_classes)
        report.extra_objects += len(extra)
        frames = range(g_vid.length)
        if skip_first_last and g_vid.length > 2:
            frames = range(1, g_vid.length - 1)
        kernel = disk(boundary_tolerance((g_vid.height, g_vid.width), bound_th))
        empty = np.zeros((g_vid.height, g_vid.width), bool)
        j_values = [[] for _ in pairs]
        f_values = [[] for _ in pairs]
        for frame in frames:
            for n, (p_track, g_track) in enumerate(pairs):
                g_rle = g_track.masks.get(frame)
                p_rle = p_track.masks.get(frame) if p_track else None
                g_mask = decode_rle(g_rle) if g_rle else empty
                p_mask = decode_rle(p_rle) if p_rle else empty
                j_values[n].append(region_similarity(p_mask, g_mask))
                f_values[n].append(boundary_f_measure(p_mask, g_mask, bound_th, kernel))
            done += 1
            if progress:
                progress(done, total)
        for n, (_, g_track) in enumerate(pairs):
            report.objects.append(
                ObjectScore(
                    g_vid.name,
                    g_track.track_id,
                    g_track.category,
                    sequence_statistics(j_values[n]),
                    sequence_statistics(f_values[n]),
                    len(j_values[n]),
                )
            )
    report.videos = len(videos)


def evaluate_sets(
    pred: AnnotationSet,
    gt: AnnotationSet,
    mode: str = "auto",
    bound_th: float = BOUND_TH,
    skip_first_last: bool = False,
    progress: Progress | None = None,
) -> EvalReport:
    if mode == "auto":
        mode = "videos" if pred.format != "coco" and gt.format != "coco" else "images"
    if mode not in ("images", "videos"):
        raise ExportError(f"unknown evaluation mode {mode!r}; use images or videos")
    if mode == "videos" and ("coco" in (pred.format, gt.format)):
        raise ExportError(
            "video measures need videos on both sides (YouTube-VIS or DAVIS), not COCO"
        )
    report = EvalReport(mode, pred.format, gt.format)
    if mode == "images":
        evaluate_images(pred, gt, report)
    else:
        evaluate_videos(pred, gt, report, bound_th, skip_first_last, progress)
    report.summarise()
    return report


def evaluate(
    pred_path,
    gt_path,
    pred_format: str | None = None,
    gt_format: str | None = None,
    mode: str = "auto",
    bound_th: float = BOUND_TH,
    skip_first_last: bool = False,
    progress: Progress | None = None,
) -> EvalReport:
    """Read both sides (format recognised from the path unless given) and compare them."""
    pred = read_annotations(pred_path, pred_format)
    gt = read_annotations(gt_path, gt_format)
    return evaluate_sets(pred, gt, mode, bound_th, skip_first_last, progress)
