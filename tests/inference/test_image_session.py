"""The image session and the engine: one random-weights tiny model at 256 px, shared by the module."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.prompts import Box, Point, PromptSet
from videoseg_desktop.inference import image_session as image_session_module
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.engine import SamEngine
from videoseg_desktop.inference.image_session import (
    EmbeddingCache,
    ImageEmbedding,
    ImageResult,
    ImageSession,
)
from videoseg_desktop.inference.postprocess import PostProcessing
from videoseg_desktop.inference.preprocess import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    image_to_tensor,
    prompt_arrays,
)

H, W = 300, 400


@pytest.fixture(scope="module")
def engine(random_checkpoint) -> SamEngine:
    return SamEngine.load("tiny", random_checkpoint, image_size=256, device="cpu")


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    img = np.zeros((H, W, 3), np.uint8)
    img[:] = (30, 60, 90)
    img[80:220, 120:300] = (220, 180, 40)
    return img


@pytest.fixture(scope="module")
def shared(engine, image) -> ImageSession:
    """A session without post-processing (outputs are the model's) with ``image`` encoded."""
    s = ImageSession(engine.predictor, "cpu", 256, postprocessing=PostProcessing(0, 0))
    s.precompute("img", image)
    return s


@pytest.fixture
def session(engine, shared) -> ImageSession:
    """A fresh session whose cache starts with the shared embedding of ``image`` as "img"."""
    s = ImageSession(engine.predictor, "cpu", 256, postprocessing=PostProcessing(0, 0))
    s.cache.put("img", shared.cache.get("img"))
    return s


def _decoder_calls(engine):
    """Record the multimask_output flag of every mask decoder call."""
    calls: list[bool] = []

    def hook(module, args, kwargs):
        calls.append(kwargs["multimask_output"])

    return calls, engine.predictor.sam_mask_decoder.register_forward_pre_hook(
        hook, with_kwargs=True
    )


def test_first_click_equals_sam2s_own_prompt_and_mask_heads(engine, session, image):
    import torch
    import torch.nn.functional as F

    result = session.predict("img", image, [Point(200, 150)])
    embedding = session.cache.get("img")
    coords, labels = prompt_arrays([Point(200, 150)], None, (H, W), 256)
    with torch.inference_mode():
        _, _, ious, best, _, _, object_score = engine.predictor._forward_sam_heads(
            embedding.image_embed,
            point_inputs={
                "point_coords": torch.tensor(coords),
                "point_labels": torch.tensor(labels),
            },
            high_res_features=list(embedding.high_res_feats),
            multimask_output=True,
        )
        expected_mask = F.interpolate(best, size=(H, W), mode="bilinear") > 0
    assert float(object_score) > 0  # sam2 blanks masks of absent objects; ours is present
    assert result.score == pytest.approx(float(ious.max()))
    np.testing.assert_allclose(result.logits, best[0].clamp(-32, 32).numpy(), atol=1e-5)
    assert np.array_equal(result.mask, expected_mask[0, 0].numpy())


def test_result_shapes_and_rle(session, image):
    result = session.predict("img", image, [Point(10, 10)], box=Box(300, 200, 100, 50))
    assert result.mask.shape == (H, W) and result.mask.dtype == bool
    assert np.array_equal(decode_rle(result.rle), result.mask)
    assert result.logits.shape == (1, 64, 64) and result.logits.dtype == np.float32
    assert result.encode_s == 0.0 and result.elapsed_s > 0  # "img" was cached
    assert isinstance(result.score, float)


def test_multimask_only_for_an_ambiguous_first_click(engine, session, image):
    calls, handle = _decoder_calls(engine)
    try:
        first = session.predict("img", image, [Point(200, 150)])
        session.predict("img", None, [Point(200, 150), Point(20, 20, positive=False)], prior=first)
        session.predict("img", None, box=Box(100, 50, 300, 200))
        session.predict("img", None, [Point(200, 150)], prior=first)
        session.predict("img", None, [Point(200, 150)], multimask=False)
    finally:
        handle.remove()
    assert calls == [True, False, False, False, False]


def test_the_prior_reaches_the_model_and_must_match_the_input_size(session, image):
    first = session.predict("img", image, [Point(200, 150)])
    clicks = [Point(200, 150), Point(30, 250, positive=False)]
    with_prior = session.predict("img", None, clicks, prior=first)
    with_logits = session.predict("img", None, clicks, prior=first.logits[0])
    without = session.predict("img", None, clicks)
    assert np.array_equal(with_prior.logits, with_logits.logits)
    assert not np.allclose(with_prior.logits, without.logits)
    with pytest.raises(ModelError, match="another input size"):
        session.predict("img", None, clicks, prior=np.zeros((1, 256, 256), np.float32))


def test_an_edited_mask_can_be_the_prompt(session, image):
    edited = np.zeros((H, W), bool)
    edited[80:220, 120:300] = True
    alone = session.predict("img", image, mask_prompt=edited)
    with_click = session.predict("img", None, [Point(200, 150)], mask_prompt=edited)
    assert alone.mask.shape == (H, W) and with_click.mask.shape == (H, W)
    with pytest.raises(ModelError, match="mask prompt is"):
        session.predict("img", None, mask_prompt=edited[:10])
    with pytest.raises(ValueError, match="not both"):
        session.predict("img", None, [Point(1, 1)], prior=alone, mask_prompt=edited)


def test_bad_prompts_are_user_errors(session, image):
    with pytest.raises(ModelError, match="no image embedding"):
        session.predict("never-seen", None, [Point(1, 1)])
    with pytest.raises(ModelError, match="at least one point"):
        session.predict("img", image)
    with pytest.raises(ModelError, match=r"\(401, 5\) lies outside the 400x300 image"):
        session.predict("img", image, [Point(401, 5)])
    with pytest.raises(ModelError, match="uint8"):
        session.precompute("float", image.astype(np.float32))


def test_each_image_is_encoded_once(engine, session, image):
    encodes = []
    handle = engine.predictor.image_encoder.register_forward_hook(lambda *a: encodes.append(1))
    try:
        assert session.precompute((7, 0), image) is True
        assert session.precompute((7, 0), image) is False
        result = session.predict((7, 0), None, [Point(5, 5)])
        session.predict((7, 0), image, [Point(50, 5)])
    finally:
        handle.remove()
    assert len(encodes) == 1 and result.encode_s == 0.0
    assert session.has_embedding((7, 0)) and not session.has_embedding((7, 1))


def test_concurrent_precompute_of_one_image_encodes_it_once(engine, session, image):
    encodes = []
    handle = engine.predictor.image_encoder.register_forward_hook(lambda *a: encodes.append(1))
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(session.precompute("same", image)))
        for _ in range(3)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        handle.remove()
    assert len(encodes) == 1 and sorted(results) == [False, False, True]


def test_embedding_size_is_the_three_feature_maps(shared):
    # image embedding 256 x S/16^2, high-res levels 32 x S/4^2 and 64 x S/8^2, fp32
    assert shared.cache.get("img").nbytes == 4 * (256 * 16 * 16 + 32 * 64 * 64 + 64 * 32 * 32)


def _fake_embedding(nbytes: int) -> ImageEmbedding:
    return ImageEmbedding(None, (), (1, 1), nbytes, 0.0)


def test_cache_is_bounded_by_bytes_least_recently_used_first():
    cache = EmbeddingCache(budget_bytes=250)
    cache.put("a", _fake_embedding(100))
    cache.put("b", _fake_embedding(100))
    assert cache.get("a") is not None  # touching "a" makes "b" the oldest
    cache.put("c", _fake_embedding(100))
    assert cache.keys() == ["a", "c"] and cache.nbytes == 200
    cache.put("huge", _fake_embedding(1000))  # bigger than the budget: kept alone
    assert cache.keys() == ["huge"] and cache.nbytes == 1000
    cache.put("huge", _fake_embedding(10))  # replacing a key re-counts its size
    assert cache.nbytes == 10 and len(cache) == 1
    cache.discard("huge")
    assert cache.nbytes == 0 and "huge" not in cache


def test_session_cache_budget_comes_from_the_engine(engine):
    session = engine.image_session(cache_bytes=123_456)
    assert session.cache.budget_bytes == 123_456
    assert engine.image_session() is session


def test_several_objects_on_one_image(session, image):
    prompts = {
        1: PromptSet(points=(Point(200, 150),)),
        2: PromptSet(box=Box(10, 10, 100, 100)),
    }
    results = session.predict_many("img", image, prompts)
    assert set(results) == {1, 2}
    assert all(isinstance(r, ImageResult) for r in results.values())
    alone = session.predict("img", None, box=Box(10, 10, 100, 100))
    assert np.array_equal(results[2].mask, alone.mask)
    assert not np.array_equal(results[1].mask, results[2].mask)


def test_out_of_memory_is_reported_and_the_session_stays_usable(session, image, monkeypatch):
    real = image_session_module.image_to_tensor

    def exhausted(*args, **kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 12.00 GiB")

    monkeypatch.setattr(image_session_module, "image_to_tensor", exhausted)
    assert session.has_embedding("img")
    with pytest.raises(ModelError, match="out of memory on cpu while encoding the image"):
        session.precompute("big", image)
    assert not session.has_embedding("big")
    assert len(session.cache) == 0  # cached embeddings were dropped to make room
    monkeypatch.setattr(image_session_module, "image_to_tensor", real)
    assert session.precompute("big", image) is True


def test_bf16_autocast_agrees_with_fp32_on_almost_every_pixel(engine, shared, image):
    bf16 = ImageSession(
        engine.predictor, "cpu", 256, precision="bf16", postprocessing=PostProcessing(0, 0)
    )
    a = shared.predict("img", None, [Point(200, 150)])
    b = bf16.predict("img", image, [Point(200, 150)])
    assert (a.mask == b.mask).mean() > 0.98


def test_post_processing_is_applied_to_results(engine, shared):
    cleaned = ImageSession(engine.predictor, "cpu", 256, postprocessing=PostProcessing(10**6, 0))
    cleaned.cache.put("img", shared.cache.get("img"))
    a = shared.predict("img", None, [Point(200, 150)])
    b = cleaned.predict("img", None, [Point(200, 150)])
    assert np.array_equal(b.mask, PostProcessing(10**6, 0).apply(a.mask))


def test_preprocessing_matches_sam2s_normalisation():
    import torch

    grey = np.full((30, 50), 128, np.uint8)
    tensor = image_to_tensor(grey, 256, "cpu")
    assert tensor.shape == (1, 3, 256, 256)
    expected = [(128 / 255 - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True)]
    assert torch.allclose(tensor[0].mean(dim=(1, 2)), torch.tensor(expected), atol=1e-5)
    rgba = np.zeros((10, 10, 4), np.uint8)
    assert image_to_tensor(rgba, 256, "cpu").shape == (1, 3, 256, 256)


def test_prompts_are_scaled_per_axis_with_the_box_first():
    coords, labels = prompt_arrays(
        [Point(400, 300, positive=False)], Box(40, 60, 0, 0), (300, 400), 256
    )
    np.testing.assert_allclose(coords, [[[0, 0], [25.6, 51.2], [256, 256]]], rtol=1e-6)
    assert labels.tolist() == [[2, 3, 0]]
    assert prompt_arrays([], None, (300, 400), 256) is None


def test_engine_describes_itself_and_shares_one_image_session(engine, shared):
    assert engine.image_session() is engine.image_session()
    engine.image_session().cache.put("described", shared.cache.get("img"))
    info = engine.describe()
    assert info["model_id"] == "sam2.1_tiny@256" and info["device"] == "cpu"
    assert info["image_size"] == 256 and info["precision"] == "fp32"
    assert info["cached_embeddings"] >= 1 and info["process_rss_bytes"] > 0


def test_engine_load_errors_tell_the_user_what_to_do(tmp_path, monkeypatch, random_checkpoint):
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path / "models"))
    with pytest.raises(ModelError, match="videoseg models download small") as failure:
        SamEngine.load("small", image_size=256, device="cpu")
    assert str(tmp_path / "models" / "sam2.1_hiera_small.pt") in str(failure.value)
    with pytest.raises(ModelError, match="unsupported input size 300"):
        SamEngine.load("tiny", random_checkpoint, image_size=300)
    with pytest.raises(ModelError, match="checkpoint not found"):
        SamEngine.load("tiny", tmp_path / "missing.pt", image_size=256)
