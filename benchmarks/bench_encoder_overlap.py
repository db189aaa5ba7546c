"""Rejected design, kept measurable: the next frame's image encoder on a second thread while this
frame's objects are tracked (ADR 0022).

On a CPU the image encoder is two thirds of a frame and does not depend on the tracking, so it
could run ahead. ``Overlap`` (a session for this measurement only: forward, nothing handed out)
computes frame i + 1's features on one helper thread while frame i is tracked. It runs with 1 and
2 torch threads against our session with torch's intra-op 2 threads; 1, 4 and 8 objects, DAVIS
car-shadow (synthetic frames without the data), 12 frames, best of 4 interleaved rounds. Prints
frames/s as JSON.

    python benchmarks/bench_encoder_overlap.py
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_multi_object import BOXES, ArrayFrames, load_frames


def overlap_session_class():
    from videoseg_desktop.inference.device import inference_context
    from videoseg_desktop.inference.video_results import plan_passes
    from videoseg_desktop.inference.video_session import VideoSession

    class Overlap(VideoSession):
        def propagate(self, start_frame, direction="forward", **_):
            passes = plan_passes(start_frame, direction, None, self.num_frames)
            tracks = self._tracks_to_propagate(None)
            with self._inference():
                for _, track in tracks:
                    self._consolidate(track)

            def encode(frame):
                with inference_context(None, self._compute_context):
                    image = self.feed[frame].float().unsqueeze(0)
                    return frame, image, self.predictor.forward_image(image)

            pending = None
            with ThreadPoolExecutor(1) as pool:
                for reverse, order in passes:
                    step = -1 if reverse else 1
                    for frame in order:
                        ready = pending.result() if pending is not None else None
                        _, image, out = ready if ready and ready[0] == frame else encode(frame)
                        self.state["cached_features"] = {frame: (image, out)}
                        nxt = frame + step
                        pending = pool.submit(encode, nxt) if nxt in order else None
                        with self._inference():
                            self._result(frame, self._track_frame_all(tracks, frame, reverse))

    return Overlap


def main() -> None:
    import torch

    from videoseg_desktop.core.prompts import Box
    from videoseg_desktop.inference.checkpoint import build_predictor, save_random_checkpoint
    from videoseg_desktop.inference.video_session import VideoSession

    warnings.filterwarnings("ignore")
    tmp = Path(tempfile.mkdtemp())
    predictor = build_predictor("tiny", save_random_checkpoint(tmp / "r.pt"), 256, "cpu")
    frames, _, source = load_frames(13, tmp)
    overlap = overlap_session_class()

    def run(cls, objects: int, threads: int) -> float:
        torch.set_num_threads(threads)
        with cls(predictor, ArrayFrames(frames), tmp / "spill") as session:
            for i in range(objects):
                session.add_prompts(i + 1, 0, [], Box(*BOXES[i]))
            began = time.perf_counter()
            session.propagate(0, "forward")
            return time.perf_counter() - began

    variants = (("ours_2_threads", VideoSession, 2), ("overlap_1_thread", overlap, 1))
    variants += (("overlap_2_threads", overlap, 2),)
    times: dict[str, list[float]] = {}
    for _round in range(4):
        for objects in (1, 4, 8):
            for name, cls, threads in variants:
                times.setdefault(f"{name}, {objects} objects", []).append(
                    run(cls, objects, threads)
                )
    fps = {key: round(12 / min(ts), 3) for key, ts in times.items()}
    print(json.dumps({"benchmark": "encoder_overlap", "source": source, "fps": fps}, indent=2))


if __name__ == "__main__":
    main()
