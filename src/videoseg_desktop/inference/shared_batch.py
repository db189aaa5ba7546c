"""Compute once what every object of a batch shares: the current frame's own features.

When several objects are tracked on one frame in one batch (``batch_tracking``), sam2 feeds the
model the frame's image features ``expand``-ed to the batch: one tensor whose batch stride is 0.
Two steps depend on nothing else, so their result is the same for every object:

- memory attention's first layer starts with self-attention over the frame's features (the
  memories only enter in the cross-attention that follows);
- the memory encoder projects the frame's features (``pix_feat_proj``) before adding each
  object's mask.

The subclasses below run those steps on one copy and broadcast the result, then continue exactly
as sam2 1.1.0 does. They take the shortcut only when the input provably holds one copy (batch
stride 0); any other input goes through sam2's own code. ``share_batch_inputs`` switches a
model's two modules to these classes in place (same parameters, same state dict); it changes
only this model, never sam2's classes. Per object and frame this saves a quarter of memory
attention's self-attention and one 1x1 convolution: float rounding at most (a matrix product
over 1 row block instead of B may round differently), not a different computation.
"""

from __future__ import annotations

from typing import Any

import torch
from sam2.modeling.memory_attention import MemoryAttention
from sam2.modeling.memory_encoder import MemoryEncoder
from sam2.modeling.sam.transformer import RoPEAttention


def _one_copy(x: torch.Tensor, batch_dim: int) -> bool:
    """True when every batch entry of ``x`` is the same memory (an expanded tensor)."""
    return x.shape[batch_dim] > 1 and x.stride(batch_dim) == 0


class SharedInputMemoryAttention(MemoryAttention):
    """sam2's MemoryAttention; the first self-attention runs once for a batch of one frame."""

    shared_calls = 0  # batches that took the shortcut (tests check that it is taken)

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
        if not (
            self.batch_first
            and curr_pos is not None
            and memory_pos is not None
            and _one_copy(curr, 1)
            and _one_copy(curr_pos, 1)
        ):
            return super().forward(curr, memory, curr_pos, memory_pos, num_obj_ptr_tokens)
        type(self).shared_calls += 1
        batch = curr.shape[1]
        # Stock code below, on sequence-first (HW, B, C) inputs made batch first, except that
        # layer 0's self-attention sees one copy of the frame.
        output = curr[:, :1]
        query_pos = curr_pos[:, :1]
        if self.pos_enc_at_input:
            output = output + 0.1 * query_pos
        output = output.transpose(0, 1)
        query_pos = query_pos.transpose(0, 1)
        memory = memory.transpose(0, 1)
        memory_pos = memory_pos.transpose(0, 1)
        first = self.layers[0]
        output = first._forward_sa(output, query_pos).expand(batch, -1, -1)
        query_pos = query_pos.expand(batch, -1, -1)
        for index, layer in enumerate(self.layers):
            kwds = {}
            if isinstance(layer.cross_attn_image, RoPEAttention):
                kwds = {"num_k_exclude_rope": num_obj_ptr_tokens}
            if index == 0:  # MemoryAttentionLayer.forward after its self-attention
                output = layer._forward_ca(output, memory, query_pos, memory_pos, **kwds)
                mlp = layer.linear2(
                    layer.dropout(layer.activation(layer.linear1(layer.norm3(output))))
                )
                output = output + layer.dropout3(mlp)
            else:
                output = layer(
                    tgt=output, memory=memory, pos=memory_pos, query_pos=query_pos, **kwds
                )
        return self.norm(output).transpose(0, 1)


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
