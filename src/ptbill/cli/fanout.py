"""Work over several processes with the results in the input's order and a bounded window in flight.

``ordered(function, chunks, jobs, *args)`` yields ``function(chunk, *args)`` for each chunk, in order. With
one job it runs in this process. With more, the first chunk runs here (loading the reference data lazily),
then a process pool started by fork (the children begin with what the parent loaded) takes at most
``jobs * WINDOW_PER_JOB`` chunks ahead of the one being handed back, so neither the inputs read nor the
results waiting grow with the batch.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
WINDOW_PER_JOB = 4  # chunks in flight per process


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ordered(function: Callable[..., R], chunks: Iterable[Any], jobs: int, *args: Any) -> Iterator[R]:
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    # The first chunk runs here, before the fork: it loads the reference data, the code sets and the
    # catalog's first snapshots lazily, and the children then start with them instead of each loading its own.
    yield function(first, *args)
    # What the first chunk loaded lives as long as the run: out of the collector's scans, the later
    # collections skip it (with one job too, where a full collection would scan it all again), and the
    # children's do not touch (and so copy) the pages it shares with them.
    gc.freeze()
    if jobs <= 1:
        for chunk in chunks:
            yield function(chunk, *args)
        return
    import multiprocessing  # here: one process (most runs) never loads it

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with multiprocessing.get_context(method).Pool(jobs) as pool:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(function, (chunk, *args)))
            if len(pending) >= jobs * WINDOW_PER_JOB:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
