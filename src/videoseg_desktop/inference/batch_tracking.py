"""Track several objects on one frame in one batch, each exactly as it would be tracked alone.

Stock SAM 2.1 (1.1.0) tracks objects one after another: per object and frame it runs memory
attention, the mask decoder and the memory encoder with batch size 1. None of these mixes the
objects of a batch, so objects whose memories have the same layout (the same conditioning
frames, in the same order, and the same tracked frames among those the model reads) can run as
one batch: their outputs are stacked frame by frame into one merged ``output_dict`` holding only
what the model reads for this frame, the model runs once with ``batch_size`` = the number of
objects, and the batch output is split back into per-object outputs.

Objects whose layouts differ (different conditioning frames, an object added later that has no
memory on some of the frames read) go in separate groups: padding memories to a common length
would need attention masks the model does not take, and would no longer be stock's computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from videoseg_desktop.inference.track_memory import ObjectTrack


def memory_frames(model: Any, frame: int, reverse: bool, num_frames: int) -> list[int]:
    """The non-conditioning frames the model may read to track ``frame`` (sam2_base 1.1.0).

    Mask memories: the previous frame, then every ``stride``-th frame further back; object
    pointers: up to ``max_obj_ptrs_in_encoder - 1`` frames back (back = forward when reversed).
    """
    sign = 1 if reverse else -1
    stride = model.memory_temporal_stride_for_eval
    frames: list[int] = []
    for t_rel in range(1, model.num_maskmem):
        if t_rel == 1:
            prev = frame + sign
        elif not reverse:
            prev = ((frame - 2) // stride) * stride - (t_rel - 2) * stride
        else:
            prev = -(-(frame + 2) // stride) * stride + (t_rel - 2) * stride
        frames.append(prev)
    if model.use_obj_ptrs_in_encoder:
        for t_diff in range(1, min(num_frames, model.max_obj_ptrs_in_encoder)):
            t = frame + sign * t_diff
            if t < 0 or t >= num_frames:
                break
            frames.append(t)
    return sorted({f for f in frames if 0 <= f < num_frames})


def layout_key(track: ObjectTrack, read_frames: Sequence[int]) -> tuple:
    """Objects with equal keys have memories the model concatenates into equal shapes."""
    non_cond = track.non_cond
    return (tuple(track.cond), tuple(f in non_cond for f in read_frames))


def group_by_layout(
    tracks: Sequence[tuple[int, ObjectTrack]], read_frames: Sequence[int]
) -> list[list[tuple[int, ObjectTrack]]]:
    groups: dict[tuple, list[tuple[int, ObjectTrack]]] = {}
    for obj_id, track in tracks:
        groups.setdefault(layout_key(track, read_frames), []).append((obj_id, track))
    return list(groups.values())


def merge_outputs(outs: Sequence[dict]) -> dict:
    """Stack per-object frame outputs (batch 1 each) along the batch dimension."""
    import torch

    if len(outs) == 1:
        return outs[0]
    merged: dict[str, Any] = {}
    for name in ("maskmem_features", "pred_masks", "obj_ptr", "object_score_logits"):
        parts = [out[name] for out in outs]
        merged[name] = None if parts[0] is None else torch.cat(parts, dim=0)
    pos_enc = outs[0]["maskmem_pos_enc"]
    # The same for every frame and object (sam2 caches one copy): expand it to the batch.
    merged["maskmem_pos_enc"] = (
        None if pos_enc is None else [x[0:1].expand(len(outs), -1, -1, -1) for x in pos_enc]
    )
    return merged


def merged_output_dict(
    tracks: Sequence[ObjectTrack], read_frames: Sequence[int]
) -> dict[str, dict[int, dict]]:
    """An ``output_dict`` for a batch of same-layout objects, holding what the model reads."""
    first = tracks[0]
    cond = {f: merge_outputs([t.cond[f] for t in tracks]) for f in first.cond}
    non_cond = {}
    for f in read_frames:
        if f in first.non_cond:
            non_cond[f] = merge_outputs([t.non_cond[f] for t in tracks])
    return {"cond_frame_outputs": cond, "non_cond_frame_outputs": non_cond}


def split_output(out: dict, count: int) -> list[dict]:
    """Per-object outputs (batch 1 each, own storage) from a batch output of ``count`` objects."""
    if count == 1:
        return [out]
    pieces = []
    for i in range(count):
        piece: dict[str, Any] = {}
        for name in ("maskmem_features", "pred_masks", "obj_ptr", "object_score_logits"):
            value = out[name]
            piece[name] = None if value is None else value[i : i + 1].clone()
        pos_enc = out["maskmem_pos_enc"]
        piece["maskmem_pos_enc"] = None if pos_enc is None else [x[0:1] for x in pos_enc]
        pieces.append(piece)
    return pieces
