"""Keeping a SAM 3 video session's memory to what its tracker will still read.

transformers' ``Sam3VideoModel`` keeps, for every object and every frame it tracked, the whole
output of the tracker (``Sam3VideoInferenceSession.output_dict_per_obj``) plus per-frame
bookkeeping, forever: about 6 MiB per object per frame at 1008 px. Reading
``modeling_sam3_video.py`` and ``modeling_sam3_tracker_video.py`` (transformers 5.23), tracking
frame ``t`` reads, per object:

- non-conditioning outputs of the frames ``t -+ 1 .. num_maskmem - 1`` behind it (their
  ``maskmem_features`` and ``maskmem_pos_enc``) and ``t -+ 1 .. max_object_pointers - 1``
  (their ``object_pointer``), "behind" meaning in the direction of travel;
- conditioning outputs (the frame an object was found on, and every re-conditioned frame): the
  ``object_pointer`` of all of them up to ``t``, and the memory of the ``max_cond_frame_num``
  chosen by ``_select_closest_cond_frames``; an unchosen one inside the memory window above
  stands in for a missing non-conditioning memory;
- ``pred_masks`` and ``object_score_logits`` of a conditioning output only when ``t`` itself
  already has one (a frame tracked twice), ``high_res_masks`` never after its own frame;
- ``frames_tracked_per_obj``, ``mask_inputs_per_obj``, ``suppressed_obj_ids`` and the per-frame
  tracker scores only at ``t``; of ``unmatched_frame_inds`` and ``overlap_pair_to_frame_inds``
  only the length, compared with the hot-start thresholds.

``ConceptMemory.prune`` runs between frames, knowing the frames still to be tracked (the
passes planned by the session), and keeps exactly what those reads need: recent outputs in RAM;
outputs that only a later pass reads (the first frames of a forward pass, read again by the
backward pass of "both") written bit for bit to a spill file and read back when asked for;
everything else dropped. The pieces kept are the same tensors (bit for bit), so tracking gives
what the unpruned session gives; a dropped piece that is read after all raises at once instead
of changing a result silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

BIG_FIELDS = ("maskmem_features", "maskmem_pos_enc", "pred_masks")
SMALL_FIELDS = ("object_pointer", "object_score_logits")

Pass = tuple[bool, Sequence[int]]  # (reverse, frames in the order they will be tracked)


class PrunedOutputError(RuntimeError):
    """The tracker read a piece of memory that pruning had decided it would never read."""


class PrunedOutput(dict):
    """A tracker output reduced to the fields still read; reading a dropped one raises."""

    def __init__(self, frame: int, fields: dict) -> None:
        super().__init__(fields)
        self.frame = frame

    def __missing__(self, key: str) -> Any:
        raise PrunedOutputError(
            f"the tracker read {key!r} of frame {self.frame}, which was pruned as never read "
            "again: a bug in the concept session's memory plan"
        )


class SpilledOutput(PrunedOutput):
    """A tracker output whose large tensors wait in the spill file until they are read."""

    def __init__(self, frame: int, fields: dict, spill: TensorSpill, refs: dict) -> None:
        super().__init__(frame, fields)
        self._spill = spill
        self._refs = refs

    def __missing__(self, key: str) -> Any:
        ref = self._refs.get(key)
        if ref is None:
            return super().__missing__(key)
        return self._spill.get(ref)  # not kept: read back each time (a few per frame)


@dataclass(frozen=True)
class SpillRef:
    offset: int
    nbytes: int
    dtype: Any
    shape: tuple[int, ...]
    device: Any


class TensorSpill:
    """An append-only file of tensors written bit for bit; the layout stays in memory.

    Nothing is ever parsed from the file but raw bytes at offsets this object wrote itself.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = None
        self._end = 0
        self.writes = 0
        self.reads = 0

    def put(self, tensor: torch.Tensor) -> SpillRef:
        import torch

        data = tensor.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy()
        handle = self._open()
        handle.seek(self._end)
        handle.write(data.tobytes())
        ref = SpillRef(self._end, data.nbytes, tensor.dtype, tuple(tensor.shape), tensor.device)
        self._end += data.nbytes
        self.writes += 1
        return ref

    def get(self, ref: SpillRef) -> torch.Tensor:
        import torch

        handle = self._open()
        handle.flush()
        handle.seek(ref.offset)
        raw = bytearray(handle.read(ref.nbytes))
        if len(raw) != ref.nbytes:
            raise RuntimeError(f"the spill file {self.path} is truncated")
        self.reads += 1
        flat = (
            torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        )
        return flat.view(ref.dtype).reshape(ref.shape).to(ref.device)

    @property
    def nbytes(self) -> int:
        return self._end

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def _open(self):
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w+b")  # noqa: SIM115 - lives as long as the session
        return self._file


def _intervals(passes: Iterable[Pass], back: int) -> list[tuple[int, int]]:
    """Frames read ``1..back`` behind any frame of ``passes``, as inclusive intervals."""
    spans = []
    for reverse, order in passes:
        if len(order) == 0 or back <= 0:
            continue
        lo, hi = min(order), max(order)
        spans.append((lo + 1, hi + back) if reverse else (lo - back, hi - 1))
    return spans


def _inside(frame: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(lo <= frame <= hi for lo, hi in spans)


class ConceptMemory:
    """Prunes a ``Sam3VideoInferenceSession`` between frames (see the module docstring)."""

    def __init__(self, video_model: Any, spill: TensorSpill) -> None:
        tracker = video_model.tracker_model
        config = tracker.config
        self._tracker = tracker
        self.unmatched_cap = int(video_model.hotstart_unmatch_thresh)
        self.duplicate_cap = int(video_model.hotstart_dup_thresh)
        self.maskmem_back = max(int(config.num_maskmem) - 1, 0)
        self.pointer_back = max(int(config.max_object_pointers_in_encoder) - 1, 0)
        self.max_cond = int(config.max_cond_frame_num)
        self.spill = spill
        self._pos_enc = None  # maskmem_pos_enc is the same for every frame: kept once
        self.dropped = 0  # outputs (or their large tensors) dropped, for tests and benchmarks
        self.spilled = 0

    def prune(self, session: Any, passes: Sequence[Pass]) -> None:
        """Drop or spill what ``passes`` (the frames still to track, current pass first) won't read."""
        passes = [(reverse, order) for reverse, order in passes if len(order)]
        future = set()
        for _, order in passes:
            future.update(order)
        now, later = passes[:1], passes[1:]
        back = max(self.maskmem_back, self.pointer_back)
        near = _intervals(now, back)
        far = _intervals(later, back)
        near_mem = _intervals(now, self.maskmem_back)
        far_mem = _intervals(later, self.maskmem_back)
        for obj_idx, outputs in session.output_dict_per_obj.items():
            self._prune_non_cond(outputs["non_cond_frame_outputs"], near, far, future)
            self._prune_cond(outputs["cond_frame_outputs"], passes, near_mem, far_mem, future)
            _keep_keys(session.frames_tracked_per_obj.get(obj_idx), future)
            _keep_keys(session.mask_inputs_per_obj.get(obj_idx), future)
            _keep_keys(session.point_inputs_per_obj.get(obj_idx), future)
        self._prune_bookkeeping(session, future)

    # -- outputs ----------------------------------------------------------------------------

    def _prune_non_cond(self, outputs: dict, near, far, future) -> None:
        for frame in list(outputs):
            out = outputs[frame]
            if _inside(frame, near):
                outputs[frame] = self._compact(frame, out, keep_masks=frame in future)
            elif _inside(frame, far):
                outputs[frame] = self._spilled(frame, out, keep_masks=frame in future)
            else:
                del outputs[frame]  # no planned frame reads it
                self.dropped += 1

    def _prune_cond(self, outputs: dict, passes, near_mem, far_mem, future) -> None:
        if not outputs:
            return
        chosen_now: set[int] = set()
        chosen_later: set[int] = set()
        for i, (_, order) in enumerate(passes):
            first = order[0]
            if not _one_side(outputs, order):
                # Conditioning frames on both sides of a pass: which ones get chosen can change
                # within it, so keep them all (exact, just not pruned).
                (chosen_now if i == 0 else chosen_later).update(outputs)
                continue
            selected, _ = self._tracker._select_closest_cond_frames(first, outputs, self.max_cond)
            (chosen_now if i == 0 else chosen_later).update(selected)
        for frame in list(outputs):
            out = outputs[frame]
            keep_masks = frame in future
            if frame in chosen_now or _inside(frame, near_mem):
                outputs[frame] = self._compact(frame, out, keep_masks)
            elif frame in chosen_later or _inside(frame, far_mem):
                outputs[frame] = self._spilled(frame, out, keep_masks)
            elif isinstance(out, SpilledOutput) or any(k in out for k in BIG_FIELDS):
                # Its object pointer is read by every later frame; its memory never again.
                small = {k: out[k] for k in SMALL_FIELDS if k in out}
                if keep_masks:
                    small["pred_masks"] = out["pred_masks"]
                outputs[frame] = PrunedOutput(frame, small)
                self.dropped += 1

    def _compact(self, frame: int, out: dict, keep_masks: bool) -> dict:
        """The output in RAM with only what is read, sharing nothing with other tensors."""
        if isinstance(out, SpilledOutput):
            fields = dict(out)
            for key in out._refs:
                fields[key] = out[key]
            out = fields
        elif isinstance(out, PrunedOutput) and "high_res_masks" not in out:
            return out  # already compact
        kept = {k: out[k] for k in SMALL_FIELDS if k in out}
        if "maskmem_features" in out:
            kept["maskmem_features"] = _own(out["maskmem_features"])
        if "maskmem_pos_enc" in out:
            kept["maskmem_pos_enc"] = self._shared_pos_enc(out["maskmem_pos_enc"])
        if keep_masks and "pred_masks" in out:
            kept["pred_masks"] = out["pred_masks"]
        return PrunedOutput(frame, kept)

    def _spilled(self, frame: int, out: dict, keep_masks: bool) -> dict:
        if isinstance(out, SpilledOutput):
            return out
        out = self._compact(frame, out, keep_masks)
        small = {k: out[k] for k in SMALL_FIELDS if k in out}
        if "maskmem_pos_enc" in out:
            small["maskmem_pos_enc"] = out["maskmem_pos_enc"]  # shared, costs nothing
        refs = {k: self.spill.put(out[k]) for k in ("maskmem_features", "pred_masks") if k in out}
        self.spilled += 1
        return SpilledOutput(frame, small, self.spill, refs)

    def _shared_pos_enc(self, pos_enc):
        import torch

        if self._pos_enc is None:
            self._pos_enc = pos_enc.clone()
        if self._pos_enc is pos_enc:
            return pos_enc
        if pos_enc.shape == self._pos_enc.shape and torch.equal(pos_enc, self._pos_enc):
            return self._pos_enc
        return _own(pos_enc)  # not the usual one: kept as it is

    # -- bookkeeping ------------------------------------------------------------------------

    def _prune_bookkeeping(self, session: Any, future: set[int]) -> None:
        _keep_keys(session.obj_id_to_tracker_score_frame_wise, future)
        _keep_keys(session.suppressed_obj_ids, future)
        # Only their lengths are compared with the thresholds: the newest entries are enough.
        for frames in session.unmatched_frame_inds.values():
            del frames[: max(len(frames) - self.unmatched_cap, 0)]
        for frames in session.overlap_pair_to_frame_inds.values():
            del frames[: max(len(frames) - self.duplicate_cap, 0)]


def _one_side(outputs: dict, order: Sequence[int]) -> bool:
    lo, hi = min(order), max(order)
    return all(f < lo for f in outputs) or all(f > hi for f in outputs)


def _keep_keys(mapping: dict | None, keep: set[int]) -> None:
    if not mapping:
        return
    for key in [k for k in mapping if k not in keep]:
        del mapping[key]


def _own(tensor):
    """``tensor`` alone: a slice of a batched tensor would keep the whole batch alive."""
    if tensor.untyped_storage().nbytes() > tensor.numel() * tensor.element_size():
        return tensor.clone()
    return tensor
