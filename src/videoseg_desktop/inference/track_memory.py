"""One object's per-frame tracking outputs in bounded RAM: a small window in memory, the rest on disk.

SAM 2.1 tracking frame t reads every conditioning frame, the non-conditioning memories of the
last ``num_maskmem - 1`` (6) frames and the object pointers of up to ``max_obj_ptrs_in_encoder -
1`` (15) frames before t in the direction of travel. Stock sam2 keeps every frame's output
forever. ``SpilledFrameOutputs`` is a drop-in for the predictor's ``non_cond_frame_outputs``
dict: it keeps the most recently used ``ram_frames`` outputs in memory and writes older ones, all
tensors bit for bit, to one slot file per object, reading them back when the model (or a
correction, or a re-propagation from an earlier frame) asks for them. Results therefore equal the
stock predictor's exactly while RAM stays flat in the length of the video.

Only outputs are spilled, never inputs: a slot holds ``maskmem_features``, ``pred_masks``,
``obj_ptr`` and ``object_score_logits``; ``maskmem_pos_enc`` is the same for every frame and is
rebuilt from the session's constants, as stock sam2 does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

UNTRACKED, FORWARD, BACKWARD = 0, 1, 2  # how an object's frame was last tracked
TENSOR_FIELDS = ("maskmem_features", "pred_masks", "obj_ptr", "object_score_logits")


class SpilledFrameOutputs(MutableMapping):
    """``{frame_idx: output}`` with at most ``ram_frames`` outputs held in memory.

    ``constants`` is the session's ``inference_state["constants"]`` (for ``maskmem_pos_enc``);
    ``device`` is where reloaded tensors go (the storage device of the inference state).
    """

    def __init__(
        self,
        path: Path,
        num_frames: int,
        ram_frames: int,
        constants: dict,
        device: Any,
    ) -> None:
        if ram_frames < 1:
            raise ValueError("ram_frames must be at least 1")
        self.path = Path(path)
        self.ram_frames = int(ram_frames)
        self._constants = constants
        self._device = device
        self._ram: OrderedDict[int, dict] = OrderedDict()
        self._dirty: set[int] = set()  # in RAM and newer than its slot on disk (or no slot yet)
        # Slot number of each frame's output in the file; -1 = not on disk.
        self._slot_of = np.full(int(num_frames), -1, dtype=np.int64)
        self._on_disk = np.zeros(int(num_frames), dtype=bool)  # slot holds the current output
        self._layout: list[tuple[str, Any, tuple[int, ...], int]] | None = None
        self._slot_bytes = 0
        self._slots_used = 0
        self._file = None
        self.loads = 0  # outputs read back from disk (tests, benchmarks)
        self.spills = 0  # outputs written to disk

    # -- mapping protocol -------------------------------------------------------------------

    def __getitem__(self, frame_idx: int) -> dict:
        out = self._ram.get(frame_idx)
        if out is not None:
            self._ram.move_to_end(frame_idx)
            return out
        if self._stored_on_disk(frame_idx):
            out = self._read_slot(frame_idx)
            self._ram[frame_idx] = out
            self._evict()
            return out
        raise KeyError(frame_idx)

    def get(self, frame_idx: int, default: Any = None) -> Any:
        try:
            return self[frame_idx]
        except KeyError:
            return default

    def __setitem__(self, frame_idx: int, out: dict) -> None:
        frame_idx = int(frame_idx)
        if not 0 <= frame_idx < len(self._slot_of):
            raise IndexError(f"frame {frame_idx} outside 0..{len(self._slot_of) - 1}")
        self._on_disk[frame_idx] = False
        self._ram[frame_idx] = out
        self._ram.move_to_end(frame_idx)
        self._dirty.add(frame_idx)
        self._evict()

    def __delitem__(self, frame_idx: int) -> None:
        in_ram = self._ram.pop(frame_idx, None) is not None
        self._dirty.discard(frame_idx)
        on_disk = self._stored_on_disk(frame_idx)
        if on_disk:
            self._on_disk[frame_idx] = False  # the slot stays reserved for this frame
        if not (in_ram or on_disk):
            raise KeyError(frame_idx)

    def __contains__(self, frame_idx: object) -> bool:
        return frame_idx in self._ram or (
            isinstance(frame_idx, (int, np.integer)) and self._stored_on_disk(int(frame_idx))
        )

    def __iter__(self) -> Iterator[int]:
        disk = {int(i) for i in np.flatnonzero(self._on_disk)}
        return iter(sorted(disk.union(self._ram)))

    def __len__(self) -> int:
        return len(set(self._ram).union(int(i) for i in np.flatnonzero(self._on_disk)))

    # -- bookkeeping ------------------------------------------------------------------------

    @property
    def frames_in_ram(self) -> list[int]:
        return list(self._ram)

    def close(self) -> None:
        """Forget everything and delete the slot file."""
        self._ram.clear()
        self._dirty.clear()
        self._on_disk[:] = False
        self._slot_of[:] = -1
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def _stored_on_disk(self, frame_idx: int) -> bool:
        return 0 <= frame_idx < len(self._on_disk) and bool(self._on_disk[frame_idx])

    def _evict(self) -> None:
        while len(self._ram) > self.ram_frames:
            frame_idx, out = self._ram.popitem(last=False)
            if frame_idx in self._dirty:
                self._write_slot(frame_idx, out)
                self._dirty.discard(frame_idx)
            self._on_disk[frame_idx] = True

    # -- the slot file ----------------------------------------------------------------------

    def _write_slot(self, frame_idx: int, out: dict) -> None:
        import torch

        tensors = [out[name] for name in TENSOR_FIELDS]
        if self._layout is None:
            self._layout = [
                (name, t.dtype, tuple(t.shape), t.numel() * t.element_size())
                for name, t in zip(TENSOR_FIELDS, tensors, strict=True)
            ]
            self._slot_bytes = sum(size for *_, size in self._layout)
        for (name, dtype, shape, _), t in zip(self._layout, tensors, strict=True):
            if t.dtype != dtype or tuple(t.shape) != shape:
                raise RuntimeError(
                    f"{name} changed from {dtype} {shape} to {t.dtype} {tuple(t.shape)} "
                    "within one tracking session"
                )
        payload = b"".join(
            t.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy().tobytes()
            for t in tensors
        )
        slot = int(self._slot_of[frame_idx])
        if slot < 0:
            slot = self._slots_used
            self._slots_used += 1
            self._slot_of[frame_idx] = slot
        handle = self._open()
        handle.seek(slot * self._slot_bytes)
        handle.write(payload)
        self.spills += 1

    def _read_slot(self, frame_idx: int) -> dict:
        import torch

        assert self._layout is not None
        handle = self._open()
        handle.flush()
        handle.seek(int(self._slot_of[frame_idx]) * self._slot_bytes)
        raw = bytearray(handle.read(self._slot_bytes))
        if len(raw) != self._slot_bytes:
            raise RuntimeError(f"tracking memory file {self.path} is truncated")
        out: dict[str, Any] = {}
        offset = 0
        for name, dtype, shape, size in self._layout:
            flat = torch.frombuffer(raw, dtype=torch.uint8, count=size, offset=offset)
            out[name] = flat.view(dtype).reshape(shape).to(self._device, copy=True)
            offset += size
        out["maskmem_pos_enc"] = self._maskmem_pos_enc()
        self.loads += 1
        return out

    def _maskmem_pos_enc(self) -> list[torch.Tensor] | None:
        pos_enc = self._constants.get("maskmem_pos_enc")
        if pos_enc is None:
            return None
        return [x.expand(1, -1, -1, -1) for x in pos_enc]

    def _open(self):
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w+b")  # noqa: SIM115 - lives as long as the store
        return self._file


class ObjectTrack:
    """One object's prompts and outputs, in the shapes sam2's model functions read."""

    def __init__(self, non_cond: SpilledFrameOutputs, num_frames: int) -> None:
        self.point_inputs: dict[int, dict] = {}
        self.mask_inputs: dict[int, Any] = {}
        # Outputs of prompts whose memory is encoded when propagation starts (stock: the
        # temporary conditioning outputs that propagate_in_video_preflight consolidates).
        self.pending: dict[int, dict] = {}
        self.output_dict = {"cond_frame_outputs": {}, "non_cond_frame_outputs": non_cond}
        self.direction = np.zeros(num_frames, dtype=np.int8)  # how each frame was last tracked

    @property
    def cond(self) -> dict[int, dict]:
        return self.output_dict["cond_frame_outputs"]

    @property
    def non_cond(self) -> SpilledFrameOutputs:
        return self.output_dict["non_cond_frame_outputs"]

    def has_prompts(self) -> bool:
        return bool(self.cond or self.pending)

    def latest_output(self, frame: int) -> dict | None:
        """The newest output on ``frame``: a pending prompt's, a conditioning or a tracked one."""
        for outputs in (self.pending, self.cond, self.non_cond):
            out = outputs.get(frame)
            if out is not None:
                return out
        return None

    def clear_prompts(self, frame: int) -> None:
        """Drop the frame's prompts; a conditioning output becomes ordinary memory (as sam2)."""
        self.point_inputs.pop(frame, None)
        self.mask_inputs.pop(frame, None)
        self.pending.pop(frame, None)
        out = self.cond.pop(frame, None)
        if out is not None:
            self.non_cond[frame] = out
            self.direction[frame] = UNTRACKED

    def stats(self) -> dict[str, int]:
        return {
            "ram_frames": len(self.non_cond.frames_in_ram),
            "conditioning_frames": len(self.cond),
            "pending_frames": len(self.pending),
            "tracked_frames": len(self.non_cond),
            "loads": self.non_cond.loads,
        }
