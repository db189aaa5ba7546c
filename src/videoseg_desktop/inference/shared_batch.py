"""Memory attention and the memory encoder, computing less for sam2's result (float rounding).

Three savings, all on our own model instance (``share_batch_inputs`` switches the two modules'
classes in place at build time: same parameters, same state dict; sam2's classes are untouched):

- One copy for a batch. When several objects are tracked on one frame in one batch
  (``batch_tracking``), sam2 hands the model the frame's image features ``expand``-ed to the
  batch: one tensor whose batch stride is 0. Memory attention's first layer starts with
  self-attention over those features (the memories only enter in the cross-attention that
  follows), and the memory encoder projects them (``pix_feat_proj``) before adding each
  object's mask: both run once and are broadcast. Only taken when the input provably holds one
  copy (batch stride 0).
- Values projected last. Cross-attention to memory projects each of the ~1,800 memory tokens
  from 64 to 256 channels for its values, then weighs them by the attention matrix. Since the
  softmax rows sum to 1, weighing the 64-channel tokens first and projecting the 256 results
  is the same sum in another order: per layer and object it saves the value projection and
  three quarters of the weighted sum (about a third of the cross-attention's arithmetic).
- The attention core as two matrix products per object (its attention matrix stays in cache),
  which on a CPU beats ``scaled_dot_product_attention`` for these shapes with 64-channel values.
  The last two run on the CPU only: on a GPU sam2's fused attention kernels are kept.

Anything these paths do not cover (training, several heads, other layouts) runs sam2's code.
Differences from sam2 are float rounding: matrix products summed in another order.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from sam2.modeling.memory_attention import MemoryAttention
from sam2.modeling.memory_encoder import MemoryEncoder
from sam2.modeling.position_encoding import apply_rotary_enc
from sam2.modeling.sam.transformer import RoPEAttention


def _one_copy(x: torch.Tensor, batch_dim: int) -> bool:
    """True when every batch entry of ``x`` is the same memory (an expanded tensor)."""
    return x.shape[batch_dim] > 1 and x.stride(batch_dim) == 0


class SharedInputMemoryAttention(MemoryAttention):
    """sam2's MemoryAttention, computing less for the same result (see the module docstring)."""

    shared_calls = 0  # batches whose first self-attention ran once (tests check it is taken)

    def forward(
        self,
        curr: Any,
        memory: torch.Tensor,
        curr_pos: Any = None,
        memory_pos: torch.Tensor | None = None,
        num_obj_ptr_tokens: int = 0,
    ) -> torch.Tensor:
        if isinstance(curr, list):
            assert isinstance(curr_pos, list) and len(curr) == len(curr_pos) == 1
            curr, curr_pos = curr[0], curr_pos[0]
        if self.training or not self.batch_first or curr_pos is None or memory_pos is None:
            return super().forward(curr, memory, curr_pos, memory_pos, num_obj_ptr_tokens)
        batch = curr.shape[1]
        one_copy = _one_copy(curr, 1) and _one_copy(curr_pos, 1)
        if one_copy:
            type(self).shared_calls += 1
            curr, curr_pos = curr[:, :1], curr_pos[:, :1]
        # sam2's MemoryAttention.forward and MemoryAttentionLayer.forward on (B, HW, C), except
        # that with one copy of the frame layer 0 runs its self-attention and its queries once,
        # and the cross-attention applies its value projection after the attention.
        output = curr + 0.1 * curr_pos if self.pos_enc_at_input else curr
        output = output.transpose(0, 1)
        query_pos = curr_pos.transpose(0, 1)
        memory = memory.transpose(0, 1)
        memory_pos = memory_pos.transpose(0, 1)
        for layer in self.layers:
            output = layer._forward_sa(output, query_pos)
            output = _forward_ca(layer, output, memory, query_pos, memory_pos, num_obj_ptr_tokens)
            query_pos = query_pos.expand(batch, -1, -1)  # the batch from layer 0's output on
            mlp = layer.linear2(layer.dropout(layer.activation(layer.linear1(layer.norm3(output)))))
            output = output + layer.dropout3(mlp)
        return self.norm(output).transpose(0, 1)


def _forward_ca(layer, tgt, memory, query_pos, pos, num_k_exclude_rope: int) -> torch.Tensor:
    """MemoryAttentionLayer._forward_ca; ``tgt`` may be one copy for a batch of memories."""
    attn = layer.cross_attn_image
    # On a GPU the fused attention kernels (which need equal key and value widths) win: keep
    # sam2's cross-attention there.
    if not (_reassociates(attn) and memory.device.type == "cpu"):
        kwds = {"num_k_exclude_rope": num_k_exclude_rope} if isinstance(attn, RoPEAttention) else {}
        return layer._forward_ca(
            tgt.expand(memory.shape[0], -1, -1), memory, query_pos, pos, **kwds
        )
    tgt2 = layer.norm2(tgt)
    q = tgt2 + query_pos if layer.pos_enc_at_cross_attn_queries else tgt2
    k = memory + pos if layer.pos_enc_at_cross_attn_keys else memory
    return tgt + layer.dropout2(_rope_attention_value_last(attn, q, k, memory, num_k_exclude_rope))


def _reassociates(attn: Any) -> bool:
    """One head whose values are projected up from fewer channels: projecting after pays."""
    return (
        type(attn) is RoPEAttention
        and attn.num_heads == 1
        and attn.kv_in_dim < attn.internal_dim
        and (attn.dropout_p == 0 or not attn.training)
    )


def _rope_attention_value_last(attn, q, k, v, num_k_exclude_rope: int) -> torch.Tensor:
    """RoPEAttention.forward with softmax(QK^T) (V W^T + b) computed as (softmax(QK^T) V) W^T + b.

    Equal in exact arithmetic (softmax rows sum to 1); in floats, rounding. With 256 queries,
    ~1,800 memory tokens of 64 channels and 256 attention channels it skips the projection of
    every memory token and makes the attention-weighted sum 4x narrower.
    """
    q = attn._separate_heads(attn.q_proj(q), 1)
    k = attn._separate_heads(attn.k_proj(k), 1)
    v = attn._separate_heads(v, 1)
    # Rotary encoding, exactly as RoPEAttention.forward (sam2 1.1.0) does it.
    w = h = math.sqrt(q.shape[-2])
    attn.freqs_cis = attn.freqs_cis.to(q.device)
    if attn.freqs_cis.shape[0] != q.shape[-2]:
        attn.freqs_cis = attn.compute_cis(end_x=w, end_y=h).to(q.device)
    if q.shape[-2] != k.shape[-2]:
        assert attn.rope_k_repeat
    num_k_rope = k.size(-2) - num_k_exclude_rope
    q, k[:, :, :num_k_rope] = apply_rotary_enc(
        q, k[:, :, :num_k_rope], freqs_cis=attn.freqs_cis, repeat_freqs_k=attn.rope_k_repeat
    )
    q = q * (1.0 / math.sqrt(q.shape[-1]))  # scaled_dot_product_attention's default scale
    # One object at a time: its attention matrix (queries x memory tokens) stays in cache.
    out = torch.stack(
        [
            torch.matmul(
                torch.matmul(q[min(i, len(q) - 1)], k[i].transpose(-2, -1)).softmax(-1), v[i]
            )
            for i in range(len(k))
        ]
    )
    return attn.out_proj(attn.v_proj(attn._recombine_heads(out)))


class SharedInputMemoryEncoder(MemoryEncoder):
    """sam2's MemoryEncoder; the frame's feature projection runs once for a batch of one frame."""

    shared_calls = 0

    def forward(
        self, pix_feat: torch.Tensor, masks: torch.Tensor, skip_mask_sigmoid: bool = False
    ) -> dict[str, Any]:
        if not _one_copy(pix_feat, 0):
            return super().forward(pix_feat, masks, skip_mask_sigmoid)
        type(self).shared_calls += 1
        # Stock code, except that pix_feat_proj sees one copy (broadcast in the sum).
        if not skip_mask_sigmoid:
            masks = torch.sigmoid(masks)
        masks = self.mask_downsampler(masks)
        pix_feat = pix_feat[:1].to(masks.device)
        x = self.pix_feat_proj(pix_feat)
        x = x + masks
        x = self.fuser(x)
        x = self.out_proj(x)
        pos = self.position_encoding(x).to(x.dtype)
        return {"vision_features": x, "vision_pos_enc": [pos]}


def share_batch_inputs(model: Any) -> Any:
    """Switch ``model``'s memory attention and memory encoder to the classes above, in place.

    Only modules of exactly sam2's classes are switched (anything else is left as it is).
    """
    for name, stock, shared in (
        ("memory_attention", MemoryAttention, SharedInputMemoryAttention),
        ("memory_encoder", MemoryEncoder, SharedInputMemoryEncoder),
    ):
        module = getattr(model, name, None)
        if type(module) is stock:
            module.__class__ = shared
    return model
