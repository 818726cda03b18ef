"""The unit calculator against CMS's worked examples (facts.md §1.2) and the per-code method."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptbill.units import TimedMinutes, UnitMethod, compute_units, units_for_minutes


def timed(**minutes: int) -> list[TimedMinutes]:
    return [TimedMinutes(code.removeprefix("c"), m, True) for code, m in minutes.items()]


@pytest.mark.parametrize(
    ("minutes", "units"),
    [
        (0, 0),
        (7, 0),
        (8, 1),
        (22, 1),
        (23, 2),
        (37, 2),
        (38, 3),
        (52, 3),
        (53, 4),
        (67, 4),
        (68, 5),
        (82, 5),
        (83, 6),
        (97, 6),
        (98, 7),
        (112, 7),
        (113, 8),
        (127, 8),
        (128, 9),
    ],
)
def test_the_cms_minutes_table(minutes: int, units: int) -> None:
    assert units_for_minutes(minutes) == units


def test_cms_example_1_gives_more_units_to_the_longer_service() -> None:
    result = compute_units(timed(c97112=24, c97110=23), UnitMethod.CMS)
    assert result.total_timed_minutes == 47
    assert result.units == {"97112": 2, "97110": 1}
    assert result.ties == ()


def test_cms_example_2_is_a_tie_either_code_may_take_two_units() -> None:
    result = compute_units(timed(c97112=20, c97110=20), UnitMethod.CMS)
    assert sorted(result.units.values()) == [1, 2]
    assert sum(result.units.values()) == 3
    assert len(result.ties) == 1
    assert set(result.ties[0].codes) == {"97112", "97110"}
    assert result.units[result.ties[0].chosen] == 2


def test_cms_example_3_bills_the_seven_minute_code_for_the_leftover_unit() -> None:
    result = compute_units(timed(c97110=33, c97140=7), UnitMethod.CMS)
    assert result.units == {"97110": 2, "97140": 1}


def test_example_4_never_bills_more_units_than_the_pooled_total() -> None:
    result = compute_units(timed(c97110=18, c97140=13, c97116=10, c97035=8), UnitMethod.CMS)
    assert result.units == {"97110": 1, "97140": 1, "97116": 1, "97035": 0}


def test_example_5_three_seven_minute_codes_give_one_unit_and_report_the_tie() -> None:
    result = compute_units(timed(c97112=7, c97110=7, c97140=7), UnitMethod.CMS)
    assert sum(result.units.values()) == 1
    assert set(result.ties[0].codes) == {"97112", "97110", "97140"}


def test_a52758_b_compares_leftover_minutes() -> None:
    assert compute_units(timed(c97140=35, c97035=7), UnitMethod.CMS).units == {"97140": 2, "97035": 1}


def test_untimed_codes_get_one_unit_and_add_no_timed_minutes() -> None:
    services = [*timed(c97110=33, c97140=7), TimedMinutes("97012", 15, False)]
    result = compute_units(services, UnitMethod.CMS)
    assert result.to_json() == {
        "method": "cms",
        "total_timed_minutes": 40,
        "units": {"97110": 2, "97140": 1, "97012": 1},
    }


def test_per_code_method_counts_each_code_on_its_own() -> None:
    assert compute_units(timed(c97110=10, c97112=10), UnitMethod.PER_CODE).units == {"97110": 1, "97112": 1}
    assert compute_units(timed(c97110=10, c97112=10), UnitMethod.CMS).units == {"97110": 1, "97112": 0}


def test_the_same_code_twice_is_pooled_into_one_line() -> None:
    result = compute_units(timed(c97110=10) + timed(c97110=13), UnitMethod.CMS)
    assert result.units == {"97110": 2}


def test_ties_are_broken_the_same_way_every_time() -> None:
    first = compute_units(timed(c97112=20, c97110=20), UnitMethod.CMS)
    again = compute_units(timed(c97112=20, c97110=20), UnitMethod.CMS)
    assert first.units == again.units


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        compute_units(timed(c97110=-1), UnitMethod.CMS)


@given(st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=6))
def test_cms_units_always_equal_the_pooled_table_and_respect_full_units(minutes: list[int]) -> None:
    services = [TimedMinutes(f"9{7100 + i}", m, True) for i, m in enumerate(minutes)]
    result = compute_units(services, UnitMethod.CMS)
    assert sum(result.units.values()) == units_for_minutes(sum(minutes))
    for service in services:
        # "at least 15 minutes -> at least one unit; at least 30 -> at least two" (ch.5 §20.2)
        assert result.units[service.code] >= service.minutes // 15
        assert result.units[service.code] <= service.minutes // 15 + 1


@given(st.lists(st.integers(min_value=0, max_value=70), min_size=1, max_size=6))
def test_the_units_left_over_go_to_the_most_leftover_minutes_and_a_tie_names_every_rival(minutes: list[int]) -> None:
    """The pool's units beyond each code's full 15s go one each to the codes with the most leftover minutes (then
    the most minutes, then the first documented); a tie is reported, once per leftover, when a code with the same
    leftover as one that got a unit goes without, naming every code of that leftover in that order."""
    services = [TimedMinutes(f"9{7100 + i}", m, True) for i, m in enumerate(minutes)]
    result = compute_units(services, UnitMethod.CMS)
    ranked = sorted(services, key=lambda s: (-(s.minutes % 15), -s.minutes, services.index(s)))
    extra = {s.code for s in services if result.units[s.code] > s.minutes // 15}
    assert [s.code for s in ranked[: len(extra)]] == [s.code for s in ranked if s.code in extra]
    expected = []
    for leftover in dict.fromkeys(s.minutes % 15 for s in ranked if s.code in extra):
        rivals = tuple(s.code for s in ranked if s.minutes % 15 == leftover)
        if any(code not in extra for code in rivals):
            chosen = next(code for code in rivals if code in extra)
            expected.append((rivals, chosen, leftover))
    assert [(t.codes, t.chosen, t.leftover_minutes) for t in result.ties] == expected
