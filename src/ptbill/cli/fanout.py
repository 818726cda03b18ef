"""Work over several processes with the results in the input's order and a bounded window in flight.

``ordered(function, chunks, jobs, *args)`` yields ``function(chunk, *args)`` for each chunk, in order. With
one job it runs in this process. With more, the first chunk runs here (loading the reference data lazily),
then a process pool started by fork (the children begin with what the parent loaded) takes at most
``jobs * WINDOW_PER_JOB`` chunks ahead of the one being handed back, so neither the inputs read nor the
results waiting grow with the batch (``ptbill check``, whose input may be a stream).

``divided(function, chunks, jobs, *args)`` yields the same for chunks all known at the start (``ptbill
claim``'s files): this process builds its share of them beside ``jobs - 1`` forked children instead of only
handing chunks out, which on two cores is most of what a second job can give.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
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


def divided(function: Callable[..., R], chunks: Sequence[Any], jobs: int, *args: Any) -> Iterator[R]:
    """``ordered``'s results for chunks all known at the start (``ptbill claim``'s files), with this process
    doing its share of the work rather than only handing it out and collecting it.

    The first chunk runs here (as in ``ordered``: it loads what every process needs), then ``jobs - 1``
    children are forked, and every process, this one too, takes the next chunk nobody has taken yet
    (``_Counter``), so a process that a busy core slows down takes fewer. The children read the chunks from
    the memory they began with and send their results back pickled, each through its own pipe
    (``_Child``); this process reads them between its own chunks and hands every result back in order.
    Against ``ordered``'s pool, with two jobs, the parent's core is not left to pool threads and pickling
    while one child works: there is one child, no chunk is pickled out, and no thread runs beside the work.
    An exception in a child is raised here, at its chunk's turn, as the pool would raise it. Without fork
    (Windows) this is ``ordered``.
    """
    if jobs <= 1 or len(chunks) <= 2:  # the first chunk runs here anyway: a second is no work for a child
        yield from ordered(function, chunks, 1, *args)
        return
    if not hasattr(os, "fork"):
        yield from ordered(function, chunks, jobs, *args)
        return
    yield function(chunks[0], *args)
    gc.freeze()  # as in ordered: what the first chunk loaded, shared with the children and out of every scan
    counter = _Counter(1)
    children: list[_Child] = []
    finished = False
    try:
        for _ in range(min(jobs, len(chunks) - 1) - 1):  # no child that would find nothing left to take
            children.append(_Child.fork(function, chunks, args, counter))
        own: dict[int, tuple[bool, Any]] = {}  # this process's results ahead of their turn, as the children's
        received: dict[int, bytes] = {}
        for index in range(1, len(chunks)):
            while index not in own and index not in received:
                taken = counter.take()
                if taken < len(chunks):
                    try:
                        own[taken] = (True, function(chunks[taken], *args))
                    except Exception as error:  # raised at its chunk's turn, after the chunks before it
                        own[taken] = (False, error)
                    _receive(children, received, wait=False)
                else:  # every chunk taken: what is missing is being built by a child
                    _receive(children, received, wait=True)
            yield _outcome(*own.pop(index)) if index in own else _outcome(*pickle.loads(received.pop(index)))
        finished = True
    finally:
        counter.close()
        for child in children:
            child.end(finished)


class _Counter:
    """The index of the next chunk nobody has taken, shared by forked processes: one 8-byte number in a
    pipe. A process takes it (``os.read``; any other process that wants it meanwhile waits for the pipe
    to fill again) and puts it back plus one: a lock and a counter in one, as make's jobserver shares its
    job tokens through a pipe. Eight bytes are below PIPE_BUF, so the number is always read whole."""

    def __init__(self, start: int) -> None:
        self.read, self.write = os.pipe()
        os.write(self.write, start.to_bytes(8, "little"))

    def take(self) -> int:
        number = int.from_bytes(os.read(self.read, 8), "little")
        os.write(self.write, (number + 1).to_bytes(8, "little"))
        return number

    def close(self) -> None:
        os.close(self.read)
        os.close(self.write)


HEADER = struct.Struct("<QQ")  # a child's record: the chunk's index, then the length of the pickled result
PIPE_SIZE = 1 << 20  # a child's pipe (Linux): about 35 chunks of 837P text, so a child never waits for the parent


class _Child:
    """A forked process building chunks, and the pipe it sends their results through."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe = pipe  # the parent's end; -1 once the child has closed its own
        self.unread = bytearray()

    @classmethod
    def fork(
        cls, function: Callable[..., Any], chunks: Sequence[Any], args: tuple[Any, ...], counter: _Counter
    ) -> _Child:
        import fcntl  # here: POSIX only, as fork is

        read, write = os.pipe()
        if hasattr(fcntl, "F_SETPIPE_SZ"):
            with contextlib.suppress(OSError):  # over the user's pipe allowance: the usual 64 KiB, slower only
                fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        parent = os.getpid()
        pid = os.fork()
        if pid:
            os.close(write)
            return cls(pid, read)
        status = 1
        try:  # the child: never back into the parent's code, whatever happens
            _end_with(parent)
            os.close(read)
            while (index := counter.take()) < len(chunks):
                try:
                    record = pickle.dumps((True, function(chunks[index], *args)), pickle.HIGHEST_PROTOCOL)
                except BaseException as error:  # raised by the parent at this chunk's turn
                    record = _pickled_error(error)
                    _write_all(write, HEADER.pack(index, len(record)) + record)
                    break
                _write_all(write, HEADER.pack(index, len(record)) + record)
            else:
                status = 0
        finally:
            os._exit(status)

    def end(self, finished: bool) -> None:
        """Wait for the child's exit; stop it first if the parent stopped before the end."""
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1
        if not finished:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _end_with(parent: int) -> None:
    """In a forked child: have Linux kill this process when its parent ends (``prctl(PR_SET_PDEATHSIG)``).

    A child left behind by a parent that was killed outright (SIGKILL, the out-of-memory killer) would otherwise
    go on building chunks nobody reads, or wait for ever for the chunk counter if the parent held it when it
    died. Elsewhere than Linux nothing is asked (the child still ends at its next write to the parent's closed
    pipe)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # here: only a child on Linux needs it

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


def _receive(children: list[_Child], received: dict[int, bytes], wait: bool) -> None:
    """Read what the children have sent (``wait``: block until one sends something) into ``received``."""
    open_pipes = [child.pipe for child in children if child.pipe >= 0]
    if not open_pipes:
        if wait:
            raise ChildProcessError("a worker process ended before sending its results")
        return
    ready, _, _ = select.select(open_pipes, [], [], None if wait else 0)
    for child in children:
        if child.pipe not in ready:
            continue
        data = os.read(child.pipe, PIPE_SIZE)
        if not data:
            os.close(child.pipe)
            child.pipe = -1
            continue
        unread = child.unread
        unread += data
        while len(unread) >= HEADER.size:
            index, size = HEADER.unpack_from(unread)
            if len(unread) < HEADER.size + size:
                break
            received[index] = bytes(unread[HEADER.size : HEADER.size + size])
            del unread[: HEADER.size + size]


def _outcome(succeeded: bool, value: Any) -> Any:
    """A chunk's result, or its exception raised."""
    if not succeeded:
        raise value
    return value


def _pickled_error(error: BaseException) -> bytes:
    try:
        return pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its kind at least
        return pickle.dumps((False, RuntimeError(type(error).__name__)), pickle.HIGHEST_PROTOCOL)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
