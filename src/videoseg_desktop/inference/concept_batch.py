"""SAM 3's tracker stepping all tracked instances of a frame in batches instead of one by one.

transformers 5.23's ``Sam3TrackerVideoModel.forward`` (``modeling_sam3_tracker_video.py``)
loops over the objects and runs memory attention and the mask decoder with ``batch_size=1``
for each ("per-object inputs can differ"); only the memory encoder is batched. While tracking,
most objects have no new input on the frame and each reads only its own memory.
``BatchedTracker`` gathers each such object's memory with the model's own helpers (the same
frames, pointers and positional encodings as stock), then runs memory attention once per group
of objects whose memories have the same length and the same number of object-pointer tokens
(those concatenate into one batch; which frames they came from does not matter to the
attention), and the mask decoder once for all of them; the result is split back per object.
Everything else (objects with new inputs, conditioning outputs reused) goes through the
model's own ``_run_single_frame_inference`` exactly as stock does, in the same loop order, so
``reverse`` and the bookkeeping follow stock's quirks too.

Three steps are repeated here rather than called, because with ``batch_size > 1`` transformers
gets them wrong: ``_prepare_vision_features`` calls ``.expand`` on lists;
``_prepare_memory_conditioned_features`` reads the memory attention's (1, B, HW, C) output
with ``squeeze(1).transpose(1, 2).view``, right only for B = 1; ``_single_frame_forward``
picks the multimask output with ``[arange(B), arange(1), argmax (B, 1)]``, which broadcasts to
B x B masks (at 1008 px and 8 objects, 256 MB of high-res masks).

Installed on the tracker only for the frames of one session (``installed``); calls for any
other session go to the stock forward.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

SMALL = ("pred_masks", "object_pointer", "object_score_logits")
# Objects per model call: a batch's transient tensors grow with it (at 1008 px the decoder's
# high-resolution features alone are ~16 MB per object), so a crowd goes in chunks.
MAX_BATCH = 16
# The tracker's own pieces this module calls (transformers 5.23); without them: stock.
HELPERS = (
    "_run_single_frame_inference",
    "_batch_encode_memories",
    "_prepare_vision_features",
    "_gather_memory_frame_outputs",
    "_build_memory_attention_inputs",
    "_get_object_pointers",
    "_process_object_pointers",
    "_use_multimask",
    "memory_attention",
    "mask_decoder",
    "prompt_encoder",
    "object_pointer_proj",
)


class BatchedTracker:
    """Counts what was batched; ``forward`` replaces the tracker's while ``installed``."""

    @staticmethod
    def supports(video_model: Any) -> bool:
        """Whether this transformers' tracker has the pieces batching calls (5.23 does)."""
        tracker = getattr(video_model, "tracker_model", None)
        return tracker is not None and all(hasattr(tracker, name) for name in HELPERS)

    def __init__(self, video_model: Any) -> None:
        self.tracker = video_model.tracker_model
        self.batched_objects = 0  # object-steps whose memory attention ran in a batch of 2+
        self.single_objects = 0  # object-steps that ran alone
        self.largest_batch = 0
        self.batches = 0  # memory attention calls with two or more objects

    @contextlib.contextmanager
    def installed(self, session: Any) -> Iterator[None]:
        tracker = self.tracker
        stock = type(tracker).forward.__get__(tracker)

        def forward(inference_session=None, frame_idx=None, frame=None, **kwargs):
            if inference_session is session and frame is None:
                return self.forward(session, frame_idx, **kwargs)
            # Another session (a second thread without a model lock), or streaming: stock.
            return stock(inference_session, frame_idx, frame, **kwargs)

        tracker.forward = forward
        try:
            yield
        finally:
            if tracker.__dict__.get("forward") is forward:
                del tracker.forward

    # -- the stock loop, with batchable objects set aside ----------------------------------

    def forward(
        self, session: Any, frame_idx: int, reverse: bool = False, run_mem_encoder: bool = True
    ) -> Any:
        import torch
        from transformers.models.sam3_tracker_video.modeling_sam3_tracker_video import (
            Sam3TrackerVideoSegmentationOutput,
        )

        tracker = self.tracker
        with torch.inference_mode():
            count = session.get_obj_num()
            masks: list = [None] * count
            scores: list = [None] * count
            is_cond = [False] * count
            from_inputs = [False] * count
            directions = [reverse] * count
            computed = [False] * count  # ran the tracker here (not a reused conditioning output)
            tracked: list[tuple[int, bool]] = []  # (obj_idx, reverse) to run as a batch
            for obj_idx in range(count):
                obj_id = session.obj_idx_to_id(obj_idx)
                outputs = session.output_dict_per_obj[obj_idx]
                has_new_inputs = obj_id in session.obj_with_new_inputs
                if not has_new_inputs and frame_idx in outputs["cond_frame_outputs"]:
                    masks[obj_idx] = session.get_output(obj_idx, frame_idx, "pred_masks")
                    scores[obj_idx] = session.get_output(obj_idx, frame_idx, "object_score_logits")
                    is_cond[obj_idx] = True
                    continue
                if not has_new_inputs and outputs["cond_frame_outputs"] and tracker.num_maskmem:
                    directions[obj_idx] = reverse  # the stock loop's current value
                    tracked.append((obj_idx, reverse))
                    continue
                # As stock: an object's first conditioning frame turns ``reverse`` off for the
                # objects after it in the loop.
                point_inputs = mask_inputs = None
                if has_new_inputs:
                    is_cond[obj_idx] = frame_idx not in session.frames_tracked_per_obj[obj_idx]
                    if is_cond[obj_idx]:
                        reverse = False
                    point_inputs = session.point_inputs_per_obj[obj_idx].get(frame_idx)
                    mask_inputs = session.mask_inputs_per_obj[obj_idx].get(frame_idx)
                    if point_inputs is not None or mask_inputs is not None:
                        session.obj_with_new_inputs.remove(obj_id)
                directions[obj_idx] = reverse
                from_inputs[obj_idx] = point_inputs is not None or mask_inputs is not None
                out = tracker._run_single_frame_inference(
                    inference_session=session,
                    obj_idx=obj_idx,
                    frame_idx=frame_idx,
                    batch_size=1,
                    is_init_cond_frame=is_cond[obj_idx],
                    point_inputs=point_inputs,
                    mask_inputs=mask_inputs,
                    reverse=reverse,
                    streaming=False,
                )
                self.single_objects += 1
                computed[obj_idx] = True
                self._store(session, obj_idx, frame_idx, out, is_cond[obj_idx], masks, scores)
            if tracked:
                self._track(session, frame_idx, tracked, masks, scores)
                for obj_idx, _ in tracked:
                    computed[obj_idx] = True

            if run_mem_encoder and tracker.num_maskmem > 0:
                # In object order, as stock collects them.
                needing = [i for i in range(count) if computed[i]]
                stored = [_stored(session, i, frame_idx, is_cond[i]) for i in needing]
                tracker._batch_encode_memories(
                    inference_session=session,
                    frame_idx=frame_idx,
                    objects_needing_memory_encoding=needing,
                    high_res_masks_for_memory=[out["high_res_masks"] for out in stored],
                    object_score_logits_for_memory=[out["object_score_logits"] for out in stored],
                    is_mask_from_pts_per_obj=[from_inputs[i] for i in needing],
                )
            for obj_idx in range(count):
                if not is_cond[obj_idx]:
                    session.frames_tracked_per_obj[obj_idx][frame_idx] = {
                        "reverse": directions[obj_idx]
                    }
            scores = [s.squeeze(-1) for s in scores]
            return Sam3TrackerVideoSegmentationOutput(
                object_ids=session.obj_ids.copy(),
                pred_masks=torch.cat(masks, dim=0) if count > 1 else masks[0],
                object_score_logits=torch.cat(scores, dim=0) if count > 1 else scores[0],
                frame_idx=frame_idx,
            )

    def _track(self, session, frame_idx, tracked, masks, scores) -> None:
        """Memory attention per group of equal memory shapes, then one mask decoder call."""
        import torch

        tracker = self.tracker
        # batch_size=1, expanded per group below (stock's own expansion fails on lists).
        feats, pos = tracker._prepare_vision_features(session, frame_idx, 1)
        groups: dict[tuple[int, int], list[tuple[int, Any, Any]]] = {}
        for obj_idx, reverse in tracked:
            memory, memory_pos, pointers = _memory(
                tracker, session, obj_idx, frame_idx, reverse, feats[-1].device
            )
            groups.setdefault((memory.shape[0], pointers), []).append((obj_idx, memory, memory_pos))
        chunks = [
            (pointers, members[i : i + MAX_BATCH])
            for (_, pointers), members in groups.items()
            for i in range(0, len(members), MAX_BATCH)
        ]
        order, conditioned = [], []
        for pointers, members in chunks:
            count = len(members)
            attended = tracker.memory_attention(
                current_vision_features=feats[-1].expand(-1, count, -1),
                current_vision_position_embeddings=pos[-1].expand(-1, count, -1),
                memory=torch.cat([m for _, m, _ in members], dim=1),
                memory_posision_embeddings=torch.cat([p for _, _, p in members], dim=1),
                num_object_pointer_tokens=pointers,
            )
            height, width = tracker.backbone_feature_sizes[-1]
            conditioned.append(
                attended[0].transpose(1, 2).reshape(count, tracker.hidden_dim, height, width)
            )
            order += [obj_idx for obj_idx, _, _ in members]
            if count > 1:
                self.batches += 1
                self.batched_objects += count
                self.largest_batch = max(self.largest_batch, count)
            else:
                self.single_objects += 1
        pix_feat = torch.cat(conditioned, dim=0)
        multimask = tracker._use_multimask(False, None)
        for start in range(0, len(order), MAX_BATCH):
            members = order[start : start + MAX_BATCH]
            count = len(members)
            high_res = [  # views of the frame's features, as stock's batch_size=1
                x.expand(-1, count, -1).permute(1, 2, 0).view(count, x.size(2), *size)
                for x, size in zip(feats[:-1], tracker.backbone_feature_sizes[:-1], strict=True)
            ]
            batch = _decode(tracker, high_res, pix_feat[start : start + count], multimask)
            for k, obj_idx in enumerate(members):
                out = {}
                for name, value in batch.items():
                    piece = value[k : k + 1]
                    # Own storage for what memory keeps; the high-res mask is dropped after
                    # the frame.
                    out[name] = piece.clone() if name in SMALL else piece
                self._store(session, obj_idx, frame_idx, out, False, masks, scores)

    @staticmethod
    def _store(session, obj_idx, frame_idx, out, is_cond, masks, scores) -> None:
        session.store_output(obj_idx, frame_idx, output_value=out, is_conditioning_frame=is_cond)
        masks[obj_idx] = out["pred_masks"]
        scores[obj_idx] = out["object_score_logits"]


def _stored(session, obj_idx, frame_idx, is_cond) -> dict:
    key = "cond_frame_outputs" if is_cond else "non_cond_frame_outputs"
    return session.output_dict_per_obj[obj_idx][key][frame_idx]


def _memory(tracker, session, obj_idx, frame_idx, reverse, device) -> tuple[Any, Any, int]:
    """One object's memory, its positional encoding and its object-pointer token count.

    Steps 2 to 4 of ``_prepare_memory_conditioned_features`` (a tracked frame), with the
    model's own helpers, for a batch of one: (tokens, 1, C) each.
    """
    import torch

    previous = tracker._gather_memory_frame_outputs(session, obj_idx, frame_idx, reverse)
    memories, memory_pos = tracker._build_memory_attention_inputs(previous, device)
    offsets, pointers, max_pointers = tracker._get_object_pointers(
        session, obj_idx, frame_idx, session.num_frames, device, reverse, False
    )
    count = 0
    if pointers:
        stacked, stacked_pos = tracker._process_object_pointers(
            offsets, pointers, max_pointers, 1, tracker.hidden_dim, device
        )
        if stacked is not None:
            memories.append(stacked)
            memory_pos.append(stacked_pos)
            count = stacked.shape[0]
    memory = torch.cat(memories, dim=0).to(dtype=session.dtype)
    return memory, torch.cat(memory_pos, dim=0), count


def _decode(tracker: Any, high_res: list, pix_feat: Any, multimask: bool) -> dict:
    """``_single_frame_forward`` without prompts for a batch: one mask per row."""
    import torch
    import torch.nn.functional as F
    from transformers.models.sam3_tracker_video.modeling_sam3_tracker_video import NO_OBJ_SCORE

    batch = pix_feat.shape[0]
    positional = tracker.get_image_wide_positional_embeddings().repeat(batch, 1, 1, 1)
    points = torch.zeros(batch, 1, 1, 2, dtype=pix_feat.dtype, device=pix_feat.device)
    labels = -torch.ones(batch, 1, 1, dtype=torch.int32, device=pix_feat.device)
    sparse, dense = tracker.prompt_encoder(
        input_points=points, input_labels=labels, input_boxes=None, input_masks=None
    )
    low_res_multi, iou_scores, tokens, score_logits = tracker.mask_decoder(
        image_embeddings=pix_feat,
        image_positional_embeddings=positional,
        sparse_prompt_embeddings=sparse,
        dense_prompt_embeddings=dense,
        multimask_output=multimask,
        high_resolution_features=high_res,
    )
    appearing = score_logits > 0
    low_res_multi = torch.where(appearing[:, None, None], low_res_multi, NO_OBJ_SCORE)
    high_res_multi = (
        F.interpolate(
            low_res_multi.squeeze(1).float(),
            size=(tracker.image_size, tracker.image_size),
            mode="bilinear",
            align_corners=False,
        )
        .unsqueeze(1)
        .to(low_res_multi.dtype)
    )
    token = tokens[:, :, 0]
    if multimask:
        best = torch.argmax(iou_scores, dim=-1)  # (batch, 1)
        rows = torch.arange(batch, device=best.device)[:, None]
        objs = torch.zeros_like(best)
        low_res = low_res_multi[rows, objs, best]
        high = high_res_multi[rows, objs, best]
        if tokens.size(2) > 1:
            token = tokens[rows, objs, best]
    else:
        low_res, high = low_res_multi[:, :, 0], high_res_multi[:, :, 0]
    pointer = tracker.object_pointer_proj(token)
    weight = appearing.to(pointer.dtype)
    pointer = weight * pointer + (1 - weight) * tracker.no_object_pointer
    return {
        "pred_masks": low_res,
        "object_pointer": pointer,
        "high_res_masks": high,
        "object_score_logits": score_logits,
    }
