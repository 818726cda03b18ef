"""Bounded memos: ``BoundedMemo``, a dict that empties itself when it reaches its limit, for answers that repeat
note after note and depend on their key alone; and ``kept``, for values worked out from long-lived objects (a fee
schedule's year, a locality, a parameter's value) and kept by those objects' ids: hashing the objects themselves
would cost more than the work it saves.

An id is reused once its object is gone, so each entry keeps its objects beside the value and a read answers only
when they are the very objects asked about. Nothing else invalidates an entry: the value depends on the key and
those objects alone, which never change. The memo is emptied when it reaches its limit.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, cast

_T = TypeVar("_T")
_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class BoundedMemo(dict[_K, _V], Generic[_K, _V]):
    """A memo read as a dict (``get``: a hit costs no call of ours) and written through ``keep``, which empties it
    first when it holds ``limit`` entries: what a long run meets is bounded, and what it meets again is soon kept
    again."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: _K, value: _V) -> _V:
        """``value``, kept under ``key``."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


IdentityMemo = dict[Hashable, tuple[object, object, Any]]


def kept(
    memo: IdentityMemo, key: Hashable, make: Callable[[], _T], limit: int, first: object, second: object = None
) -> _T:
    """``make()``, kept in ``memo`` under ``key``, which names ``first`` (and ``second``) by id."""
    found = memo.get(key)
    if found is not None and found[0] is first and found[1] is second:
        return cast(_T, found[2])
    value = make()
    if len(memo) >= limit:
        memo.clear()
    memo[key] = (first, second, value)
    return value
