"""Interactive SAM 2.1 video tracking in memory bounded in the length of the video.

``VideoSession`` drives the unmodified model of a ``SAM2VideoPredictor`` (its per-frame
inference, memory encoder and mask resizing) exactly as the stock predictor's ``init_state`` /
``add_new_points_or_box`` / ``add_new_mask`` / ``propagate_in_video`` do, with three changes:

- frames come from a ``FrameFeed`` (decoded on demand) instead of a preloaded tensor;
- each object's non-conditioning outputs live in ``SpilledFrameOutputs`` (a few frames in RAM,
  the rest on disk, reloaded bit for bit), so nothing grows with the video in memory;
- a prompt on an already tracked frame always becomes a conditioning frame (stock's
  ``add_all_frames_to_correct_as_cond=True``), so corrections survive the next propagation,
  and each object keeps its own memory (SAM 2.1 objects never read each other's memory), so
  objects can be added, propagated and removed at any time; on each frame, objects whose
  memories have the same layout run through the model in one batch.

Results stream out frame by frame; storing them is the caller's job. Use a session from one
thread at a time (the GUI's inference worker); ``cancel`` may be set from any thread.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.inference.batch_tracking import (
    group_by_layout,
    memory_frames,
    merged_output_dict,
    split_output,
)
from videoseg_desktop.inference.device import inference_context
from videoseg_desktop.inference.frame_feed import FrameFeed, FrameSource
from videoseg_desktop.inference.postprocess import PostProcessing
from videoseg_desktop.inference.track_memory import (
    BACKWARD,
    FORWARD,
    UNTRACKED,
    ObjectTrack,
    SpilledFrameOutputs,
)
from videoseg_desktop.inference.video_prompts import mask_prompt, point_prompt
from videoseg_desktop.inference.video_results import (
    FrameResult,
    Progress,
    PropagationOutcome,
    cancel_check,
    plan_passes,
    progress_after,
)


class VideoSession:
    """Prompt, track and correct objects in one video with a ``SAM2VideoPredictor``'s model.

    ``spill_dir`` is where pruned tracking memory goes (a private subfolder, deleted by
    ``close()``); None uses the system's temporary folder. ``compute_context`` is an optional
    zero-argument callable returning a context manager wrapped around model calls (autocast);
    ``model_lock`` is held during each model call (one frame at a time while tracking), so other
    users of the same model can interleave. ``postprocessing`` cleans the masks handed out (the
    logits and the tracking memory stay raw, as in sam2). The session does not own ``frames`` and
    never changes the predictor. ``batch_objects`` tracks objects whose memories have the same
    layout in one batch per frame (see ``batch_tracking``); False tracks them one by one, as stock.
    """

    @classmethod
    def for_engine(
        cls, engine: Any, frames: FrameSource, spill_dir: Path | None = None, **options: Any
    ) -> VideoSession:
        """A session on a ``SamEngine``'s model, precision and model lock.

        Masks get the image session's default clean-up unless ``postprocessing`` says otherwise.
        """
        options.setdefault("postprocessing", PostProcessing())
        return cls(
            engine.predictor,
            frames,
            spill_dir,
            compute_context=engine.autocast,
            model_lock=engine.model_lock,
            **options,
        )

    def __init__(
        self,
        predictor: Any,
        frames: FrameSource,
        spill_dir: Path | None = None,
        *,
        cache_frames: int = 4,
        ram_frames: int | None = None,
        compute_context: Callable[[], contextlib.AbstractContextManager] | None = None,
        model_lock: threading.RLock | None = None,
        postprocessing: PostProcessing | None = None,
        batch_objects: bool = True,
    ) -> None:
        self.predictor = predictor
        self.batch_objects = batch_objects
        self.postprocessing = postprocessing
        self.feed = FrameFeed(frames, predictor.image_size, cache_frames)
        if len(self.feed) == 0:
            raise VideoSegError("the video has no frames to track")
        self.num_frames = len(self.feed)
        self.video_width = self.feed.video_width
        self.video_height = self.feed.video_height
        device = predictor.device
        # The subset of stock init_state's dict that the model functions read.
        self.state: dict[str, Any] = {
            "images": self.feed,
            "num_frames": self.num_frames,
            "video_height": self.video_height,
            "video_width": self.video_width,
            "device": device,
            "storage_device": device,
            "cached_features": {},  # the last frame's backbone features only (stock behaviour)
            "constants": {},
        }
        # Enough for every memory the model reads while tracking (6 masks, 15 pointers).
        window = max(
            predictor.num_maskmem * predictor.memory_temporal_stride_for_eval,
            predictor.max_obj_ptrs_in_encoder,
        )
        self.ram_frames = int(ram_frames) if ram_frames else window + 1
        self._compute_context = compute_context
        self._model_lock = model_lock
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
        self.spill_root = Path(tempfile.mkdtemp(prefix="track-", dir=spill_dir))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.spill_root), True)
        self._objects: dict[int, ObjectTrack] = {}

    # -- objects and prompts ----------------------------------------------------------------

    @property
    def object_ids(self) -> list[int]:
        return list(self._objects)

    def prompted_frames(self, obj_id: int) -> list[int]:
        """Frames where ``obj_id`` has prompts or a mask (its conditioning frames)."""
        track = self._objects.get(obj_id)
        return [] if track is None else sorted(set(track.cond) | set(track.pending))

    def add_prompts(
        self,
        obj_id: int,
        frame: int,
        points: Iterable[Point] = (),
        box: Box | None = None,
        clear_old: bool = True,
    ) -> FrameResult:
        """Points and/or a box (video pixels) on ``frame``; returns the object's new mask there.

        ``clear_old=False`` adds the points to those already on the frame (no box then, as in
        sam2: a box must come before any point). On a tracked frame the previous mask is fed
        to the decoder with the clicks and the frame becomes a conditioning frame.
        """
        import torch
        from sam2.utils.misc import concat_points

        frame = self._check_frame(frame)
        points = list(points)
        if not points and box is None:
            raise ValueError("give at least one point or a box")
        if box is not None and not clear_old:
            raise ValueError("a box replaces the frame's prompts: use clear_old=True")
        track = self._track(obj_id)
        device = self.state["device"]
        with self._inference():
            coords, labels = point_prompt(
                points,
                box,
                (self.video_width, self.video_height),
                self.predictor.image_size,
                device,
            )
            previous = None if clear_old else track.point_inputs.get(frame)
            point_inputs = concat_points(previous, coords, labels)
            track.point_inputs[frame] = point_inputs
            track.mask_inputs.pop(frame, None)

            prev_logits = None
            prev_out = track.latest_output(frame)
            if prev_out is not None and prev_out["pred_masks"] is not None:
                prev_logits = torch.clamp(prev_out["pred_masks"].to(device), -32.0, 32.0)
            out = self._run_prompt(track, frame, point_inputs, None, prev_logits)
            return self._result(frame, {obj_id: out})

    def add_mask(self, obj_id: int, frame: int, mask: np.ndarray) -> FrameResult:
        """A whole mask (HxW bool at video resolution, e.g. an edited one) as ``frame``'s prompt."""
        frame = self._check_frame(frame)
        mask = np.asarray(mask)
        if mask.shape != (self.video_height, self.video_width):
            raise ValueError(
                f"mask is {mask.shape}, the video is {(self.video_height, self.video_width)}"
            )
        track = self._track(obj_id)
        with self._inference():
            mask_inputs = mask_prompt(mask, self.predictor.image_size, self.state["device"])
            track.mask_inputs[frame] = mask_inputs
            track.point_inputs.pop(frame, None)
            out = self._run_prompt(track, frame, None, mask_inputs, None)
            return self._result(frame, {obj_id: out})

    def clear_prompts(self, obj_id: int, frame: int) -> None:
        """Remove the object's prompts on ``frame``; its last mask there stays as tracked memory."""
        track = self._objects.get(obj_id)
        if track is not None:
            track.clear_prompts(frame)

    def remove_object(self, obj_id: int) -> bool:
        track = self._objects.pop(obj_id, None)
        if track is None:
            return False
        track.non_cond.close()
        return True

    # -- tracking ---------------------------------------------------------------------------

    def propagate(
        self,
        start_frame: int,
        direction: str = "forward",
        end_frame: int | None = None,
        obj_ids: Iterable[int] | None = None,
        on_frame: Callable[[FrameResult], None] | None = None,
        cancel: threading.Event | Callable[[], bool] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> PropagationOutcome:
        """Track from ``start_frame`` forward, backward or both ways (forward first).

        ``end_frame`` (single direction only) is the last frame to track, inclusive. Frames with
        prompts keep their masks; every other frame on the way is re-tracked and reported to
        ``on_frame`` in order, so re-propagating after a correction changes only the frames
        from the correction onwards. Backward tracking from frame 0 does nothing (as sam2).
        """
        passes = plan_passes(
            self._check_frame(start_frame),
            direction,
            None if end_frame is None else self._check_frame(end_frame),
            self.num_frames,
        )
        tracks = self._tracks_to_propagate(obj_ids)
        is_cancelled = cancel_check(cancel)
        total = sum(len(order) for _, order in passes)
        done = 0
        began = time.monotonic()
        with self._inference():
            for _, track in tracks:
                self._consolidate(track)
        for reverse, order in passes:
            step = -1 if reverse else 1
            for frame in order:
                if is_cancelled():
                    return PropagationOutcome(done, total, True)
                if frame + step in order:
                    self.feed.prefetch(frame + step)
                with self._inference():
                    outs = self._track_frame_all(tracks, frame, reverse)
                    result = self._result(frame, outs)
                done += 1
                if on_frame is not None:
                    on_frame(result)
                if on_progress is not None:
                    on_progress(progress_after(done, total, time.monotonic() - began))
        return PropagationOutcome(done, total, False)

    # -- bookkeeping ------------------------------------------------------------------------

    def memory_stats(self) -> dict[str, Any]:
        """How many frames each structure holds right now (to prove memory stays bounded)."""
        return {
            "feed_frames": len(self.feed.cached_indices),
            "feature_frames": len(self.state["cached_features"]),
            "objects": {obj_id: t.stats() for obj_id, t in self._objects.items()},
        }

    def close(self) -> None:
        for obj_id in list(self._objects):
            self.remove_object(obj_id)
        self.feed.close()
        self.state["cached_features"] = {}
        self._cleanup()

    def __enter__(self) -> VideoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    def _inference(self) -> contextlib.ExitStack:
        return inference_context(self._model_lock, self._compute_context)

    def _check_frame(self, frame: int) -> int:
        frame = int(frame)
        if not 0 <= frame < self.num_frames:
            raise VideoSegError(f"frame {frame} is outside the video (0..{self.num_frames - 1})")
        return frame

    def _track(self, obj_id: int) -> ObjectTrack:
        track = self._objects.get(obj_id)
        if track is None:
            store = SpilledFrameOutputs(
                self.spill_root / f"object-{len(self._objects)}-{obj_id}.bin",
                self.num_frames,
                self.ram_frames,
                self.state["constants"],
                self.state["storage_device"],
            )
            track = self._objects[obj_id] = ObjectTrack(store, self.num_frames)
        return track

    def _tracks_to_propagate(self, obj_ids: Iterable[int] | None) -> list[tuple[int, ObjectTrack]]:
        if obj_ids is None:
            obj_ids = [obj_id for obj_id, t in self._objects.items() if t.has_prompts()]
        chosen = [(obj_id, self._objects.get(obj_id)) for obj_id in dict.fromkeys(obj_ids)]
        if not chosen:
            raise VideoSegError("add a prompt to an object before tracking")
        for obj_id, track in chosen:
            if track is None or not track.has_prompts():
                raise VideoSegError(f"object {obj_id} has no prompts in this video")
        return chosen

    def _run_prompt(self, track, frame, point_inputs, mask_inputs, prev_logits) -> dict:
        tracked_as = int(track.direction[frame])
        out, _ = self.predictor._run_single_frame_inference(
            inference_state=self.state,
            output_dict=track.output_dict,
            frame_idx=frame,
            batch_size=1,
            is_init_cond_frame=tracked_as == UNTRACKED,
            point_inputs=point_inputs,
            mask_inputs=mask_inputs,
            reverse=tracked_as == BACKWARD,
            run_mem_encoder=False,  # encoded when propagation starts, as in sam2
            prev_sam_mask_logits=prev_logits,
        )
        track.pending[frame] = out
        return out

    def _consolidate(self, track: ObjectTrack) -> None:
        """Encode the memory of newly prompted frames and make them conditioning frames."""
        import torch.nn.functional as F

        size = self.predictor.image_size
        for frame, out in track.pending.items():
            if out["maskmem_features"] is None:
                high_res = F.interpolate(
                    out["pred_masks"].to(self.state["device"]),
                    size=(size, size),
                    mode="bilinear",
                    align_corners=False,
                )
                features, pos_enc = self.predictor._run_memory_encoder(
                    inference_state=self.state,
                    frame_idx=frame,
                    batch_size=1,
                    high_res_masks=high_res,
                    object_score_logits=out["object_score_logits"],
                    is_mask_from_pts=True,
                )
                out["maskmem_features"] = features
                out["maskmem_pos_enc"] = pos_enc
            track.cond[frame] = out
        track.pending.clear()
        for frame in track.cond:
            track.non_cond.pop(frame, None)

    def _track_frame_all(
        self, tracks: list[tuple[int, ObjectTrack]], frame: int, reverse: bool
    ) -> dict[int, dict]:
        """Every object's output on ``frame``, same-layout objects in one model call each."""
        if not self.batch_objects:
            return {obj_id: self._track_frame(track, frame, reverse) for obj_id, track in tracks}
        outs: dict[int, dict] = {}
        to_track = []
        for obj_id, track in tracks:
            if frame in track.cond:
                outs[obj_id] = self._track_frame(track, frame, reverse)
            else:
                to_track.append((obj_id, track))
        read = memory_frames(self.predictor, frame, reverse, self.num_frames)
        for group in group_by_layout(to_track, read):
            if len(group) == 1:
                obj_id, track = group[0]
                outs[obj_id] = self._track_frame(track, frame, reverse)
                continue
            group_tracks = [track for _, track in group]
            out, _ = self.predictor._run_single_frame_inference(
                inference_state=self.state,
                output_dict=merged_output_dict(group_tracks, read),
                frame_idx=frame,
                batch_size=len(group),
                is_init_cond_frame=False,
                point_inputs=None,
                mask_inputs=None,
                reverse=reverse,
                run_mem_encoder=True,
            )
            for (obj_id, track), piece in zip(group, split_output(out, len(group)), strict=True):
                track.non_cond[frame] = piece
                track.direction[frame] = BACKWARD if reverse else FORWARD
                outs[obj_id] = piece
        return {obj_id: outs[obj_id] for obj_id, _ in tracks}  # in the callers' order

    def _track_frame(self, track: ObjectTrack, frame: int, reverse: bool) -> dict:
        out = track.cond.get(frame)
        if out is None:
            out, _ = self.predictor._run_single_frame_inference(
                inference_state=self.state,
                output_dict=track.output_dict,
                frame_idx=frame,
                batch_size=1,
                is_init_cond_frame=False,
                point_inputs=None,
                mask_inputs=None,
                reverse=reverse,
                run_mem_encoder=True,
            )
            track.non_cond[frame] = out
        track.direction[frame] = BACKWARD if reverse else FORWARD
        return out

    def _result(self, frame: int, outs: dict[int, dict]) -> FrameResult:
        import torch

        low_res = torch.cat([out["pred_masks"] for out in outs.values()], dim=0)
        low_res = low_res.to(self.state["device"])
        _, video_res = self.predictor._get_orig_video_res_output(self.state, low_res)
        masks = list((video_res[:, 0] > 0).cpu().numpy())
        if self.postprocessing is not None:
            masks = [self.postprocessing.apply(mask) for mask in masks]
        logits = low_res[:, 0].float().cpu().numpy()
        return FrameResult(
            frame=frame,
            masks={obj_id: masks[i] for i, obj_id in enumerate(outs)},
            logits={obj_id: logits[i] for i, obj_id in enumerate(outs)},
            object_scores={
                obj_id: float(out["object_score_logits"].reshape(-1)[0])
                for obj_id, out in outs.items()
            },
        )
