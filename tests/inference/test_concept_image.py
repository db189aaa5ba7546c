"""Concept search on images: the same instances as transformers' Sam3Model + Sam3Processor."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.tracking import one_torch_thread
from videoseg_desktop.core.concepts import ConceptPrompt, Exemplar
from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.prompts import Box


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


@pytest.fixture(scope="module")
def engine(sam3_folder):
    from videoseg_desktop.inference.concept_engine import ConceptEngine

    return ConceptEngine.load("tiny3", folder=sam3_folder, device="cpu")


def image(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    im = (rng.random((90, 120, 3)) * 80).astype(np.uint8)
    im[20:60, 30:90] = (200, 60, 60)
    return im


def reference(engine, rgb, text, boxes=None, labels=None, threshold=0.2):
    """transformers' documented way: processor, model, post_process_instance_segmentation."""
    import torch

    kwargs = {"input_boxes": [boxes], "input_boxes_labels": [labels]} if boxes else {}
    inputs = engine.processor(images=rgb, text=text, return_tensors="pt", **kwargs)
    with torch.inference_mode():
        outputs = engine.image_model(**inputs)
    post = engine.processor.post_process_instance_segmentation(
        outputs, threshold=threshold, target_sizes=inputs["original_sizes"].tolist()
    )[0]
    order = torch.argsort(post["scores"], descending=True, stable=True)
    return [
        (post["masks"][i].numpy().astype(bool), float(post["scores"][i]))
        for i in order
        if post["masks"][i].any()
    ]


@pytest.mark.parametrize(
    ("text", "exemplars"),
    [
        ("car", ()),
        ("car", ((Box(30, 20, 90, 60), True), (Box(0, 70, 30, 90), False))),
        (None, ((Box(30, 20, 90, 60), True),)),  # boxes only: SAM 3 reads the text "visual"
    ],
)
def test_same_instances_as_the_processor(engine, text, exemplars):
    session = engine.image_session()
    session.postprocessing = None  # compare the model's masks as they are
    prompt = ConceptPrompt(text, "car", tuple(Exemplar(1, 0, b, p) for b, p in exemplars))
    rgb = image()
    got = session.find(rgb, prompt, threshold=0.2).instances
    boxes = [[b.x0, b.y0, b.x1, b.y1] for b, _ in exemplars] or None
    labels = [int(p) for _, p in exemplars] or None
    expected = reference(engine, rgb, text or "visual", boxes, labels)
    assert len(got) == len(expected) > 0
    for instance, (mask, score) in zip(got, expected, strict=True):
        assert np.array_equal(decode_rle(instance.rle), mask)
        assert instance.score == pytest.approx(score, abs=1e-6)
        x0, y0, x1, y1 = instance.box
        ys, xs = np.nonzero(mask)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_text_is_encoded_once_per_session_and_threshold_filters(engine):
    session = engine.image_session()
    first = session.find(image(1), "car", threshold=0.0)
    second = session.find(image(2), "car", threshold=0.0)
    assert first.encode_text_s > 0 and second.encode_text_s == 0
    strict = session.find(image(2), "car", threshold=0.3).instances
    assert all(i.score > 0.3 for i in strict)
    assert len(strict) <= len(second.instances)
    scores = [i.score for i in second.instances]
    assert scores == sorted(scores, reverse=True)


def test_bad_prompts_are_refused_in_one_line(engine):
    session = engine.image_session()
    with pytest.raises(ModelError, match="outside"):
        session.find(
            image(), ConceptPrompt("car", exemplars=(Exemplar(1, 0, Box(100, 10, 200, 50)),))
        )
    with pytest.raises(ModelError, match="threshold"):
        session.find(image(), "car", threshold=1.5)
    boxes_elsewhere = ConceptPrompt(None, "car", (Exemplar(1, 0, Box(1, 1, 9, 9)),))
    with pytest.raises(ModelError, match="text or an example box"):
        session.find(image(), boxes_elsewhere, exemplars=())  # its boxes are on another image


def test_engine_reports_its_model_and_refuses_bad_sizes(engine, sam3_folder):
    from videoseg_desktop.inference.concept_engine import ConceptEngine

    assert engine.model_id == "tiny3@112" and engine.handles_video
    assert engine.describe()["family"] == "sam3"
    with pytest.raises(ModelError, match="multiple of 14"):
        ConceptEngine.load("tiny3", folder=sam3_folder, device="cpu", image_size=100)
