"""The int8 image encoder: quantized where the CPU time goes, masks close to fp32."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.tracking import davis_frames, one_torch_thread
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.inference.engine import SamEngine
from videoseg_desktop.inference.quantize import count_int8_linears


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


def test_int8_engine_quantizes_the_encoder_and_agrees_with_fp32(random_checkpoint, davis_root):
    import torch

    fp32 = SamEngine.load("tiny", random_checkpoint, image_size=256, device="cpu")
    int8 = SamEngine.load("tiny", random_checkpoint, image_size=256, device="cpu", precision="int8")
    assert int8.describe()["precision"] == "int8"
    encoder = int8.predictor.image_encoder
    float_linears = [m for m in encoder.modules() if type(m) is torch.nn.Linear]
    assert count_int8_linears(encoder) > 20 and not float_linears
    # Only the encoder: the decoder and the memory modules stay fp32.
    assert count_int8_linears(int8.predictor.sam_mask_decoder) == 0
    assert count_int8_linears(int8.predictor.memory_attention) == 0
    frame = davis_frames(davis_root).frames[0]
    prompts = [([Point(500, 189)], Box(313, 88, 654, 281)), ([], Box(50, 50, 250, 200))]
    for points, box in prompts:
        ref = fp32.image_session().predict("f", frame, points, box)
        got = int8.image_session().predict("f", frame, points, box)
        assert 0 < ref.mask.sum() < ref.mask.size
        assert (got.mask == ref.mask).mean() >= 0.99
        assert not np.array_equal(got.logits, ref.logits)  # it really ran quantized
