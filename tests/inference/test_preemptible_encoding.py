"""A precompute yields to a click: the image encoder stops between its layers (docs/adr/0012)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from videoseg_desktop.core.prompts import Point
from videoseg_desktop.inference.engine import SamEngine
from videoseg_desktop.inference.image_session import EncodingAbandoned, ImageSession


@pytest.fixture(scope="module")
def engine(random_checkpoint) -> SamEngine:
    return SamEngine.load("tiny", random_checkpoint, image_size=256, device="cpu")


@pytest.fixture
def image() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 255, (200, 240, 3), dtype=np.uint8)


def _hooks(predictor) -> int:
    return sum(len(m._forward_pre_hooks) for m in predictor.modules())


class Counter:
    """A ``should_yield`` that answers True from its ``stop_at``-th question on."""

    def __init__(self, stop_at: int | None = None):
        self.calls, self.stop_at = 0, stop_at

    def __call__(self) -> bool:
        self.calls += 1
        return self.stop_at is not None and self.calls >= self.stop_at


def test_the_encoder_asks_between_its_layers_and_stops_where_told(engine, image):
    session = ImageSession(engine.predictor, "cpu", 256)
    before = _hooks(engine.predictor)
    full = Counter()
    assert session.precompute("whole", image, should_yield=full)
    # Every Hiera block has several layers: far more stopping points than the 4 stages.
    assert full.calls > 100
    assert _hooks(engine.predictor) == before  # the hooks live only while encoding
    reference = session.cache.get("whole")

    stopped = Counter(stop_at=full.calls // 3)
    with pytest.raises(EncodingAbandoned):
        session.precompute("cut", image, should_yield=stopped)
    assert stopped.calls == full.calls // 3  # it stopped at the first True
    assert not session.has_embedding("cut")
    assert _hooks(engine.predictor) == before

    # Nothing of the abandoned run is left behind: encoding again gives the same features.
    assert session.precompute("cut", image)
    again = session.cache.get("cut")
    assert np.array_equal(again.image_embed.numpy(), reference.image_embed.numpy())
    for a, b in zip(again.high_res_feats, reference.high_res_feats, strict=True):
        assert np.array_equal(a.numpy(), b.numpy())


def test_a_click_abandons_a_running_precompute_and_gets_its_mask_first(engine, image):
    session = ImageSession(engine.predictor, "cpu", 256)
    session.precompute("on screen", image)  # the image the user clicks on is encoded
    start = time.perf_counter()
    session.precompute("timing", image[::-1].copy())
    full_encode_s = time.perf_counter() - start

    click_waiting = threading.Event()
    encoding = threading.Event()
    outcome: dict = {}

    def should_yield() -> bool:
        encoding.set()
        clicked = click_waiting.is_set()  # read once: the answer and the count must agree
        if clicked:
            outcome["asked_after_click"] = outcome.get("asked_after_click", 0) + 1
        return clicked

    def neighbour() -> None:
        try:
            session.precompute("neighbour", image[:, ::-1].copy(), should_yield=should_yield)
            outcome["result"] = "finished"
        except EncodingAbandoned:
            outcome["result"] = "abandoned"
            outcome["abandoned_at"] = time.perf_counter()

    thread = threading.Thread(target=neighbour)
    thread.start()
    assert encoding.wait(30)
    clicked_at = time.perf_counter()
    click_waiting.set()
    result = session.predict("on screen", None, [Point(100, 80)])
    waited = time.perf_counter() - clicked_at
    thread.join(30)

    assert outcome["result"] == "abandoned"
    assert outcome["asked_after_click"] == 1  # the very next layer boundary stopped it
    assert result.mask.shape == (200, 240) and result.encode_s == 0.0
    assert not session.has_embedding("neighbour")
    # The click waited for at most one layer, never for the rest of the encoding.
    assert outcome["abandoned_at"] - clicked_at < full_encode_s
    assert waited < full_encode_s + 1.0
