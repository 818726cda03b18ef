"""`cli.fanout.divided`: every chunk's result once, in order, whichever process built it; a child's
exception raised at its chunk's turn; a child that dies named; no child left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from ptbill.cli.fanout import divided

PARENT = os.getpid()


def built(chunk: list[int]) -> tuple[int, list[int]]:
    """The chunk squared, with the pid that built it."""
    return os.getpid(), [n * n for n in chunk]


def slow_in_parent(chunk: list[int]) -> tuple[int, list[int]]:
    """The parent slower than its children, so that the children take most chunks."""
    if os.getpid() == PARENT:
        time.sleep(0.005)
    return built(chunk)


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.parametrize("count", [0, 1, 2, 3, 40])
def test_every_chunk_once_in_order(jobs: int, count: int) -> None:
    chunks = [[n, n + 1000] for n in range(count)]
    results = list(divided(slow_in_parent, chunks, jobs))
    assert [squares for _, squares in results] == [[n * n, (n + 1000) ** 2] for n in range(count)]
    if jobs > 1 and count == 40:  # the children built some, the parent the first one
        assert results[0][0] == PARENT
        assert {pid for pid, _ in results} - {PARENT}
    assert no_children_left()


def fails_at_seven(chunk: int) -> int:
    if chunk == 7:
        raise KeyError("seven")
    if os.getpid() == PARENT:
        time.sleep(0.005)
    return chunk


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_an_exception_is_raised_at_its_chunks_turn_whichever_process_raised_it(jobs: int) -> None:
    results = divided(fails_at_seven, list(range(20)), jobs)
    assert [next(results) for _ in range(7)] == list(range(7))
    with pytest.raises(KeyError, match="seven"):
        next(results)
    assert no_children_left()


def fails_ahead_in_the_parent(chunk: int) -> int:
    """The child slower than the parent, which fails from chunk 5 on: ahead of the chunks the child holds."""
    if os.getpid() != PARENT:
        time.sleep(0.03)
    elif chunk >= 5:
        raise KeyError("ahead")
    else:
        time.sleep(0.01)
    return chunk


def test_the_parents_own_exception_waits_for_the_chunks_before_it() -> None:
    results = divided(fails_ahead_in_the_parent, list(range(20)), 2)
    seen = []
    with pytest.raises(KeyError, match="ahead"):
        seen.extend(results)
    assert len(seen) >= 5
    assert seen == list(range(len(seen)))
    assert no_children_left()


class UnpicklableError(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("not this one")


def unpicklable_in_a_child(chunk: int) -> int:
    if os.getpid() != PARENT:
        raise UnpicklableError()
    time.sleep(0.005)
    return chunk


def test_an_exception_that_does_not_pickle_comes_back_as_its_kind() -> None:
    with pytest.raises(RuntimeError, match=r"^UnpicklableError$"):
        list(divided(unpicklable_in_a_child, list(range(40)), 2))
    assert no_children_left()


def dies_in_a_child(chunk: int) -> int:
    if os.getpid() != PARENT:
        os._exit(5)
    time.sleep(0.005)
    return chunk


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(ChildProcessError, match="ended before sending its results"):
        list(divided(dies_in_a_child, list(range(40)), 2))
    assert no_children_left()


def test_a_consumer_that_stops_early_leaves_no_child_behind() -> None:
    results = divided(slow_in_parent, [[n] for n in range(200)], 3)
    assert next(results)[1] == [0]
    assert next(results)[1] == [1]
    results.close()
    assert no_children_left()


def test_without_fork_it_is_the_pool_of_ordered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where os.fork is missing (Windows), ``divided`` hands the chunks to ``ordered`` (a spawned pool there)."""
    from ptbill.cli import fanout

    calls = []

    def ordered(function: Any, chunks: list[list[int]], jobs: int) -> Any:
        calls.append(jobs)
        return map(function, chunks)

    monkeypatch.delattr(os, "fork")
    monkeypatch.setattr(fanout, "ordered", ordered)
    chunks = [[n] for n in range(12)]
    assert [squares for _, squares in divided(built, chunks, 2)] == [[n * n] for n in range(12)]
    assert calls == [2]


def test_two_chunks_are_built_here_without_a_child_or_a_pool() -> None:
    assert {pid for pid, _ in divided(built, [[1], [2]], 4)} == {PARENT}
    assert no_children_left()


def test_a_child_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A parent killed outright (SIGKILL, the out-of-memory killer) takes its children with it at once: none
    goes on building chunks nobody will read, or waits for ever for the chunk counter."""
    script = tmp_path / "killed_parent.py"
    pids = tmp_path / "children"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, signal, time
            from ptbill.cli.fanout import divided

            PARENT = os.getpid()

            def chunk(n):
                if os.getpid() == PARENT:
                    if n > 0:
                        time.sleep(0.5)  # the child has started its long chunk
                        os.kill(PARENT, signal.SIGKILL)
                    return n
                with open({str(pids)!r}, "a") as out:
                    out.write(f"{{os.getpid()}}\\n")
                time.sleep(60)
                return n

            list(divided(chunk, list(range(10)), 2))
            """
        )
    )
    finished = subprocess.run([sys.executable, str(script)], check=False, timeout=30)
    assert finished.returncode == -signal.SIGKILL
    children = [int(line) for line in pids.read_text().split()]
    assert children
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in children)


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "State:\tZ" not in status
