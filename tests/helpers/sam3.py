"""Tiny SAM 3 models with random weights, saved as transformers model folders (tests, benchmarks).

The folders look like the official ``facebook/sam3`` one (config.json of model_type
``sam3_video``, model.safetensors, processor and tokenizer files) and are loaded through the
same import path users take. The tokenizer is a CLIP BPE tokenizer over a byte-level alphabet
with no merges, built offline. Thresholds are lowered (random weights score about 0.25) so that
detection, new ids mid-video, re-conditioning and the hot-start heuristics all happen.
"""

from __future__ import annotations

import json
from pathlib import Path

PATCH = 14


def tiny_sam3_config(
    image_size: int = 112,
    hidden: int = 128,  # above the tracker's 64 memory channels, as in the real model (256)
    queries: int = 8,
    num_maskmem: int = 3,
    max_object_pointers: int = 4,
    max_cond_frames: int = 2,
    init_range: float = 0.05,
    vit_layers: int = 2,
    **video_options,
):
    """A ``Sam3VideoConfig`` small enough for a test.

    The tracker reads fewer past frames than the real model (3 memories, 4 object pointers, 2
    conditioning frames instead of 7, 16 and 4) so that a 20-frame video exercises everything a
    long one does: pruning, re-conditioning and the choice of conditioning frames.
    """
    from transformers import Sam3VideoConfig

    s = int(image_size)
    vit = {
        "model_type": "sam3_vit_model",
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": vit_layers,
        "num_attention_heads": 2,
        "image_size": s,
        "pretrain_image_size": s,
        "patch_size": PATCH,
        "window_size": 4,
        "global_attn_indexes": list(range(1, vit_layers, 2)),
    }
    vision = {
        "model_type": "sam3_vision_model",
        "backbone_config": vit,
        "fpn_hidden_size": hidden,
        "backbone_feature_sizes": [[4 * s // PATCH] * 2, [2 * s // PATCH] * 2, [s // PATCH] * 2],
    }
    text = {
        "vocab_size": 200,
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 32,  # the processor pads prompts to 32 tokens
        "projection_dim": hidden,
        "bos_token_id": 188,
        "eos_token_id": 189,
        "pad_token_id": 189,
    }
    block = {"hidden_size": hidden, "num_attention_heads": 2, "intermediate_size": 2 * hidden}
    detector = {
        "vision_config": vision,
        "text_config": text,
        "geometry_encoder_config": {**block, "num_layers": 1},
        "detr_encoder_config": {**block, "num_layers": 1},
        "detr_decoder_config": {**block, "num_layers": 1, "num_queries": queries},
        "mask_decoder_config": {"hidden_size": hidden, "num_attention_heads": 2},
        "initializer_range": init_range,
    }
    tracker = {
        "vision_config": vision,
        "prompt_encoder_config": {"hidden_size": hidden},
        "mask_decoder_config": {
            "hidden_size": hidden,
            "mlp_dim": 2 * hidden,
            "num_attention_heads": 2,
            "iou_head_hidden_dim": hidden,
        },
        "memory_attention_hidden_size": hidden,
        "memory_attention_num_layers": 1,
        "memory_attention_feed_forward_hidden_size": 2 * hidden,
        "memory_encoder_hidden_size": hidden,
        "memory_encoder_output_channels": 64,  # the memory attention reads 64 channels
        "mask_downsampler_embed_dim": hidden,
        "memory_fuser_embed_dim": hidden,
        "memory_fuser_intermediate_dim": 2 * hidden,
        "image_size": s,
        "num_maskmem": num_maskmem,
        "max_object_pointers_in_encoder": max_object_pointers,
        "max_cond_frame_num": max_cond_frames,
        "initializer_range": init_range,
    }
    options = {
        "low_res_mask_size": 4 * s // PATCH,
        # random weights score about 0.25: thresholds around that make objects come and go
        "score_threshold_detection": 0.25,
        "new_det_thresh": 0.26,
        # any matched track is re-conditioned every 3rd frame (random tracker scores are low)
        "high_conf_thresh": -50.0,
        "high_iou_thresh": 0.0,
        "recondition_every_nth_frame": 3,
        "hotstart_delay": 4,
        "hotstart_unmatch_thresh": 2,
        "hotstart_dup_thresh": 2,
    }
    options.update(video_options)
    config = Sam3VideoConfig(detector_config=detector, tracker_config=tracker, **options)
    config.initializer_range = init_range
    return config


def tiny_tokenizer(folder: Path):
    """A CLIP BPE tokenizer over printable ASCII with no merges (ids below 190)."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    chars = [chr(c) for c in range(33, 127)]
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)  # 188
    vocab["<|endoftext|>"] = len(vocab)  # 189
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))


def save_tiny_sam3(folder: Path, image_size: int = 112, seed: int = 5, **options) -> Path:
    """Save a random tiny SAM 3 (video + image) model folder in transformers format."""
    import torch
    from transformers import Sam3ImageProcessor, Sam3VideoModel, Sam3VideoProcessor
    from transformers.models.sam2_video.video_processing_sam2_video import (
        Sam2VideoVideoProcessor,
    )

    folder = Path(folder)
    torch.manual_seed(seed)
    model = Sam3VideoModel(tiny_sam3_config(image_size, **options)).eval()
    size = {"height": int(image_size), "width": int(image_size)}
    images = Sam3ImageProcessor(size=size)
    videos = Sam2VideoVideoProcessor(
        size=size, image_mean=images.image_mean, image_std=images.image_std
    )
    tokenizer = tiny_tokenizer(folder.parent / f"{folder.name}-tokenizer")
    processor = Sam3VideoProcessor(
        image_processor=images, video_processor=videos, tokenizer=tokenizer
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
