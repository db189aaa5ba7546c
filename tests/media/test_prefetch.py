"""Decoding ahead on a helper thread: order kept, errors at their turn, bounded look-ahead."""

from __future__ import annotations

import threading
import time

import pytest

from videoseg_desktop.media.prefetch import prefetched


def test_results_come_in_order_and_loads_run_ahead_on_another_thread():
    threads, started = set(), []

    def load(i):
        threads.add(threading.current_thread().name)
        started.append(i)
        time.sleep(0.01)
        return i * 10

    seen = []
    for item, future in prefetched(range(6), load, depth=2):
        seen.append((item, future.result()))
        assert len(started) <= item + 3  # never more than depth + 1 ahead
    assert seen == [(i, i * 10) for i in range(6)]
    assert threading.current_thread().name not in threads


def test_an_error_surfaces_for_its_item_only_and_stopping_early_cancels_the_rest():
    def load(i):
        if i == 1:
            raise ValueError("bad file")
        return i

    results = []
    for _item, future in prefetched(range(4), load):
        try:
            results.append(future.result())
        except ValueError:
            results.append("error")
    assert results == [0, "error", 2, 3]
    loaded = []
    for item, future in prefetched(range(100), lambda i: loaded.append(i) or i, depth=1):
        future.result()
        if item == 2:
            break
    assert len(loaded) <= 5
    with pytest.raises(ValueError):
        next(prefetched([1], len, depth=0))
