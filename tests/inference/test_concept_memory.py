"""Pieces of the SAM 3 memory plan that can be checked without a model."""

from __future__ import annotations

import pytest
import torch

from videoseg_desktop.inference.concept_memory import (
    PrunedOutput,
    PrunedOutputError,
    SpilledOutput,
    TensorSpill,
    _intervals,
)


def test_frames_read_behind_each_pass():
    # forward over 10..20 reads 1..3 frames back: 7..19; backward over 5..0 reads 1..6..8
    assert _intervals([(False, range(10, 21))], 3) == [(7, 19)]
    assert _intervals([(True, range(5, -1, -1))], 3) == [(1, 8)]
    assert _intervals([(False, range(0))], 3) == []


def test_spill_gives_tensors_back_bit_for_bit(tmp_path):
    spill = TensorSpill(tmp_path / "s.bin")
    tensors = [
        torch.randn(5, 1, 7).to(torch.bfloat16),
        torch.randn(3, 4),
        torch.zeros(0, 2),
        torch.arange(10)[2:8:2],  # a non-contiguous view
    ]
    refs = [spill.put(t) for t in tensors]
    for t, ref in zip(tensors, refs, strict=True):
        back = spill.get(ref)
        assert back.dtype == t.dtype and back.shape == t.shape and torch.equal(back, t)
    assert spill.nbytes == sum(t.numel() * t.element_size() for t in tensors)
    spill.close()
    assert not (tmp_path / "s.bin").exists()


def test_pruned_outputs_raise_when_a_dropped_field_is_read(tmp_path):
    out = PrunedOutput(7, {"object_pointer": torch.ones(1, 4)})
    assert out["object_pointer"].shape == (1, 4)
    with pytest.raises(PrunedOutputError, match="frame 7"):
        out["maskmem_features"]
    spill = TensorSpill(tmp_path / "s.bin")
    features = torch.randn(6, 1, 3)
    spilled = SpilledOutput(3, {}, spill, {"maskmem_features": spill.put(features)})
    assert torch.equal(spilled["maskmem_features"], features)
    with pytest.raises(PrunedOutputError):
        spilled["pred_masks"]
