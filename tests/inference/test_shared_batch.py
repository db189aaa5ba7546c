"""The shared-input memory attention and memory encoder against sam2's own forward.

On a batch whose current-frame features are one expanded copy (what sam2 hands the model when
several objects are tracked on one frame) and on ordinary batches, the reordered computation
must give sam2's result up to float rounding.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from sam2.modeling.memory_attention import MemoryAttention  # noqa: E402
from sam2.modeling.memory_encoder import MemoryEncoder  # noqa: E402

from videoseg_desktop.inference.checkpoint import build_predictor  # noqa: E402
from videoseg_desktop.inference.shared_batch import (  # noqa: E402
    SharedInputMemoryAttention,
    SharedInputMemoryEncoder,
    share_batch_inputs,
)

BATCH, TOKENS, MEMORY, POINTERS = 3, 16 * 16, 2 * 16 * 16 + 16, 16


@pytest.fixture(scope="module")
def predictor():
    torch.manual_seed(0)
    with torch.inference_mode():
        return build_predictor("tiny", None, 256, "cpu")


def _frame_inputs(batch_copy: bool):
    gen = torch.Generator().manual_seed(1)
    curr = torch.randn(TOKENS, 1, 256, generator=gen)
    pos = torch.randn(TOKENS, 1, 256, generator=gen)
    if batch_copy:
        curr, pos = curr.expand(-1, BATCH, -1), pos.expand(-1, BATCH, -1)
    else:
        curr = torch.randn(TOKENS, BATCH, 256, generator=gen)
        pos = pos.repeat(1, BATCH, 1)
    memory = torch.randn(MEMORY, BATCH, 64, generator=gen)  # differs per object
    memory_pos = torch.randn(MEMORY, BATCH, 64, generator=gen)
    return curr, pos, memory, memory_pos


def test_build_predictor_switches_both_modules(predictor):
    assert type(predictor.memory_attention) is SharedInputMemoryAttention
    assert type(predictor.memory_encoder) is SharedInputMemoryEncoder
    # Same parameters, same names: checkpoints load and save as before.
    assert any(k.startswith("memory_attention.layers.0.self_attn") for k in predictor.state_dict())
    share_batch_inputs(predictor)  # idempotent
    assert type(predictor.memory_attention) is SharedInputMemoryAttention


@pytest.mark.parametrize("batch_copy", [True, False])
def test_memory_attention_equals_sam2(predictor, batch_copy):
    module = predictor.memory_attention
    curr, pos, memory, memory_pos = _frame_inputs(batch_copy)
    before = SharedInputMemoryAttention.shared_calls
    with torch.inference_mode():
        ours = module([curr], memory, [pos], memory_pos, num_obj_ptr_tokens=POINTERS)
        stock = MemoryAttention.forward(module, [curr], memory, [pos], memory_pos, POINTERS)
    assert SharedInputMemoryAttention.shared_calls == before + int(batch_copy)
    assert ours.shape == stock.shape == (TOKENS, BATCH, 256)
    assert torch.allclose(ours, stock, rtol=0, atol=1e-5)
    # The objects' memories differ, so their outputs do too (nothing was broadcast too far).
    assert not torch.allclose(ours[:, 0], ours[:, 1])


@pytest.mark.parametrize("batch_copy", [True, False])
def test_memory_encoder_equals_sam2(predictor, batch_copy):
    module = predictor.memory_encoder
    gen = torch.Generator().manual_seed(2)
    pix = torch.randn(1, 256, 16, 16, generator=gen)
    pix = pix.expand(BATCH, -1, -1, -1) if batch_copy else pix.repeat(BATCH, 1, 1, 1)
    masks = torch.randn(BATCH, 1, 256, 256, generator=gen) * 10
    before = SharedInputMemoryEncoder.shared_calls
    with torch.inference_mode():
        ours = module(pix, masks, skip_mask_sigmoid=True)
        stock = MemoryEncoder.forward(module, pix, masks, skip_mask_sigmoid=True)
    assert SharedInputMemoryEncoder.shared_calls == before + int(batch_copy)
    assert torch.allclose(ours["vision_features"], stock["vision_features"], rtol=0, atol=1e-5)
    assert torch.equal(ours["vision_pos_enc"][0], stock["vision_pos_enc"][0])
    assert not torch.allclose(ours["vision_features"][0], ours["vision_features"][1])
