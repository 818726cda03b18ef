"""``domain.identity_memo``: the memos the engine, pricing and X12 writer keep stay bounded, and a value kept by an
object's id is answered only for that very object."""

from __future__ import annotations

from ptbill.domain.identity_memo import BoundedMemo, IdentityMemo, kept


def test_a_bounded_memo_keeps_what_it_is_given_until_its_limit_then_starts_again() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(3)
    for number, key in enumerate("abc"):
        assert memo.keep(key, number) == number
    assert dict(memo) == {"a": 0, "b": 1, "c": 2}
    memo.keep("d", 3)
    assert dict(memo) == {"d": 3}


def test_a_value_kept_by_an_objects_id_is_not_answered_for_another_object() -> None:
    memo: IdentityMemo = {}
    first, second = ["year"], ["year"]
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return name

    assert kept(memo, "key", lambda: make("first"), 8, first) == "first"
    assert kept(memo, "key", lambda: make("again"), 8, first) == "first"
    assert kept(memo, "key", lambda: make("second"), 8, second) == "second"
    assert made == ["first", "second"]
