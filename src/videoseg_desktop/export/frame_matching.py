"""Pairing a predicted video's frames with the ground truth's by frame name, not by position.

A prediction folder with one PNG missing must not shift every later frame onto the wrong ground
truth. Frames are matched by the number in their file name (``00003.png`` and ``3.jpg`` are
frame 3), or by the whole name when the names carry no unique numbers; a ground-truth frame
without a prediction then counts as empty, a predicted frame without ground truth is left out.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.text import noun, plural
from videoseg_desktop.export.dataset import Track, VideoAnnotations

_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
_LISTED = 5  # frame names shown in a warning


def _stem(file_name: str) -> str:
    return PurePosixPath(file_name).stem


def _numbers(file_names: list[str]) -> list[int] | None:
    """The last number in each frame's name, or None unless every name has one, all different."""
    numbers = []
    for name in file_names:
        found = _LAST_NUMBER.search(_stem(name))
        if not found:
            return None
        numbers.append(int(found.group(1)))
    return numbers if len(set(numbers)) == len(numbers) else None


def frame_keys(pred: list[str], gt: list[str]) -> tuple[list, list] | None:
    """One key per frame on each side, comparable across the sides; None when names are unusable."""
    p_num, g_num = _numbers(pred), _numbers(gt)
    if p_num is not None and g_num is not None:
        return p_num, g_num
    p_stems, g_stems = [_stem(n) for n in pred], [_stem(n) for n in gt]
    if len(set(p_stems)) == len(p_stems) and len(set(g_stems)) == len(g_stems):
        return p_stems, g_stems
    return None


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def align_to_ground_truth(
    pred: VideoAnnotations, gt: VideoAnnotations, warnings: list[str]
) -> VideoAnnotations:
    """``pred`` re-indexed onto ``gt``'s frames (a copy); what did not match is said in ``warnings``.

    Frame names that share nothing (or repeat within a video) leave only position to go by: that
    is done when both videos have as many frames, with a warning, and refused otherwise.
    """
    keys = frame_keys(pred.file_names, gt.file_names)
    index_of: dict[int, int]
    if keys is not None and set(keys[0]) & set(keys[1]):
        gt_index = {key: i for i, key in enumerate(keys[1])}
        index_of = {p: gt_index[key] for p, key in enumerate(keys[0]) if key in gt_index}
    elif pred.length == gt.length:
        warnings.append(
            f"video {gt.name!r}: the predicted frame names do not match the ground truth's; "
            "frames are compared in order"
        )
        index_of = {i: i for i in range(gt.length)}
    else:
        raise ExportError(
            f"video {gt.name!r}: the predicted frame names ({_listing(pred.file_names)}) share "
            f"none with the ground truth's ({_listing(gt.file_names)}), and the frame counts "
            f"differ ({pred.length} and {gt.length}): cannot tell which frames correspond"
        )
    matched = set(index_of.values())
    missing = [_stem(gt.file_names[i]) for i in range(gt.length) if i not in matched]
    if missing:
        warnings.append(
            f"video {gt.name!r}: {len(missing)} of the {plural(gt.length, 'ground-truth frame')} "
            f"{noun(len(missing), 'has')} no "
            f"prediction ({_listing(missing)}); they count as empty"
        )
    extra = [_stem(pred.file_names[i]) for i in range(pred.length) if i not in index_of]
    if extra:
        warnings.append(
            f"video {gt.name!r}: {plural(len(extra), 'predicted frame')} {noun(len(extra), 'is')} not in the ground truth "
            f"({_listing(extra)}); they are left out"
        )
    tracks = [
        Track(
            t.track_id,
            t.category,
            {index_of[f]: rle for f, rle in t.masks.items() if f in index_of},
        )
        for t in pred.tracks
    ]
    return VideoAnnotations(
        pred.name, pred.height, pred.width, gt.length, list(gt.file_names), tracks
    )
