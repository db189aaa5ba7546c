"""int8 image encoder for CPUs: dynamic quantization of its Linear layers.

Measured on this project's 2-core CPU (``benchmarks/bench_cpu_quantized.py``, tiny at 1024 px):
encoding 1.59x faster than fp32, masks agreeing with fp32 on >= 99.3% of pixels. Only the image
encoder (where CPU time goes when clicking) is quantized; memory attention, the decoders and
the memory encoder stay fp32, so tracking memory keeps the same format. Weights are quantized
once per load (per tensor, qint8); activations are quantized on the fly at each call.
"""

from __future__ import annotations

import warnings


def quantize_image_encoder(predictor) -> int:
    """Replace the image encoder's ``nn.Linear`` layers by int8 dynamic ones; returns how many."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch announces the move of this API to torchao; it is the one that ships with torch.
        warnings.simplefilter("ignore")
        quantize_dynamic(predictor.image_encoder, {torch.nn.Linear}, torch.qint8, inplace=True)
    return count_int8_linears(predictor.image_encoder)


def count_int8_linears(module) -> int:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return sum(isinstance(m, DynamicLinear) for m in module.modules())
