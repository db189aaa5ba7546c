"""Where each millisecond of a tracked frame goes, for 1 object and for N objects (our session).

Forward hooks time sam2's modules (inclusive times; the session runs on one thread, so wall
time between a module's pre- and post-hook is that module's time); a timed ``_result`` and timed
merge/split functions cover the work outside the model. ``rle`` is encoding every object's mask
as the GUI's store does. Used by ``bench_multi_object.py --breakdown``.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

# (label, path of the module from the predictor, and for memory attention's layers an attribute)
MODULES = [
    ("image_encoder", "image_encoder"),
    ("memory_attention", "memory_attention"),
    ("prompt_encoder", "sam_prompt_encoder"),
    ("mask_decoder", "sam_mask_decoder"),
    ("memory_encoder", "memory_encoder"),
]
LAYER_PARTS = [
    ("memory_attention.self_attention", "self_attn"),
    ("memory_attention.cross_attention.key_value_projections", "cross_attn_image.k_proj"),
    ("memory_attention.cross_attention.key_value_projections", "cross_attn_image.v_proj"),
    ("memory_attention.mlp", "linear1"),
    ("memory_attention.mlp", "linear2"),
]


def _get(obj: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


@contextlib.contextmanager
def timed_modules(predictor: Any, acc: dict[str, float]) -> Iterator[None]:
    handles = []

    def attach(module: Any, label: str) -> None:
        began: list[float] = []

        def pre(*_):
            began.append(time.perf_counter())

        def post(*_):
            acc[label] += time.perf_counter() - began.pop()

        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post))

    for label, path in MODULES:
        attach(_get(predictor, path), label)
    for layer in predictor.memory_attention.layers:
        for label, path in LAYER_PARTS:
            attach(_get(layer, path), label)
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def timed_functions(module: Any, names: list[str], acc: dict[str, float]) -> Iterator[None]:
    """Time calls of ``module.name`` (benchmark only; restored on exit)."""
    originals = {name: getattr(module, name) for name in names}

    def wrap(name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                acc[f"outside.{name}"] += time.perf_counter() - began

        return timed

    for name, fn in originals.items():
        setattr(module, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)


def profile_frames(predictor, frames, boxes, objects: int, spill, postprocessing) -> dict:
    """Per-frame milliseconds by component for one forward propagation of ``objects`` objects."""
    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.inference import video_session
    from videoseg_desktop.inference.video_session import VideoSession

    acc: dict[str, float] = defaultdict(float)

    class TimedSession(VideoSession):
        def _result(self, frame, outs):
            began = time.perf_counter()
            try:
                return super()._result(frame, outs)
            finally:
                acc["outside.result_upsample_threshold_postprocess"] += time.perf_counter() - began

    def encode(result) -> None:
        began = time.perf_counter()
        result.rles()
        acc["outside.rle"] += time.perf_counter() - began

    with TimedSession(predictor, frames, spill, postprocessing=postprocessing) as session:
        for obj_id in range(objects):
            session.add_prompts(obj_id + 1, 0, [], Box(*boxes[obj_id]))
        names = ["merged_output_dict", "split_output"]
        with timed_modules(predictor, acc), timed_functions(video_session, names, acc):
            began = time.perf_counter()
            outcome = session.propagate(0, "forward", on_frame=encode)
            total = time.perf_counter() - began
    # shared_batch calls the cross-attention's parts, not the module: derive it for both paths
    # (with its layer norm and residual, which are small).
    acc["memory_attention.cross_attention"] = (
        acc["memory_attention"]
        - acc["memory_attention.self_attention"]
        - acc["memory_attention.mlp"]
    )
    per_frame = {k: v * 1000 / outcome.frames_done for k, v in acc.items()}
    per_frame["total"] = total * 1000 / outcome.frames_done
    return per_frame


def breakdown(predictors: dict, frames, boxes, counts: list[int], rounds: int, spill) -> dict:
    """Per predictor: the best (least disturbed) round per component, and the cost of each
    object beyond the first; predictors and counts interleave in every round."""
    from videoseg_desktop.inference.postprocess import PostProcessing

    post = PostProcessing()  # what the GUI's sessions use (VideoSession.for_engine)
    best: dict[str, dict[int, dict[str, float]]] = {name: {} for name in predictors}
    for _ in range(rounds):
        for n in counts:
            for name, predictor in predictors.items():
                got = profile_frames(predictor, frames, boxes, n, spill, post)
                mine = best[name].setdefault(n, got)
                for key, value in got.items():
                    mine[key] = min(mine.get(key, value), value)
    low, high = counts[0], counts[-1]
    result = {}
    for name, per_count in best.items():
        keys = sorted(set(per_count[low]) | set(per_count[high]))
        extra = {
            k: round((per_count[high].get(k, 0.0) - per_count[low].get(k, 0.0)) / (high - low), 2)
            for k in keys
        }
        result[name] = {
            "ms_per_frame": {
                str(n): {k: round(v, 2) for k, v in sorted(per_count[n].items())} for n in counts
            },
            f"ms_per_extra_object_{low}_to_{high}": extra,
        }
    return result
