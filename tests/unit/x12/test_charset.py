"""The one transliteration to the X12 character set: accented Latin letters become their base letters,
what has no Latin form is refused with the characters named, identifiers are never changed."""

from __future__ import annotations

import pytest

from ptbill.domain.errors import PtbillError
from ptbill.x12.charset import (
    X12_CHARACTERS,
    TransliterationError,
    is_x12_identifier,
    outside_x12,
    transliterate,
    untransliterable,
)
from ptbill.x12.syntax import Delimiters, X12ValueError, clean_identifier, clean_text


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("Muñoz-Peña", "Munoz-Pena"),
        ("Nguyễn", "Nguyen"),
        ("Đặng Thị Hương", "Dang Thi Huong"),
        ("Françoise Lefèvre", "Francoise Lefevre"),
        ("Søren Kierkegård", "Soren Kierkegard"),
        ("Weiß", "Weiss"),
        ("Łukasz Żółć", "Lukasz Zolc"),
        ("Æsa Þórsdóttir", "AEsa THorsdottir"),
        ("Œuvre", "OEuvre"),
        ("Yıldız", "Yildiz"),
        ("O’Brien", "O'Brien"),
        ("Smith–Jones", "Smith-Jones"),
        ("9\u00a0Oak St", "9 Oak St"),  # a no-break space
        ("Ｍａｒｉａ", "Maria"),  # fullwidth letters
        ("Zoe\u0301", "Zoe"),  # a combining accent typed separately
        ("Ann\u200b", "Ann"),  # a zero-width space
    ],
)
def test_latin_letters_are_transliterated(written: str, sent: str) -> None:
    assert transliterate(written) == sent
    assert untransliterable(written) == ""


@pytest.mark.parametrize(
    ("written", "missing"),
    [("王芳", "王芳"), ("Иванова", "Ивано"), ("Ali ٣", "٣"), ("Ann\x00", "\x00"), ("Zoë 王 王", "王")],
)
def test_what_has_no_latin_form_is_refused_naming_each_character_once(written: str, missing: str) -> None:
    assert untransliterable(written) == missing
    with pytest.raises(TransliterationError) as refused:
        transliterate(written)
    assert refused.value.characters == missing
    assert isinstance(refused.value, PtbillError)
    assert "U+" in str(refused.value)


def test_every_transliteration_is_printable_ascii() -> None:
    sample = "".join(chr(c) for c in range(0x20, 0x3000) if not untransliterable(chr(c)))
    assert set(transliterate(sample)) <= X12_CHARACTERS


def test_the_x12_character_set_is_the_005010_basic_and_extended_sets() -> None:
    basic = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"&'()*+,-./:;?= ")
    extended = set("abcdefghijklmnopqrstuvwxyz%~@[]_{}\\|<>^`#$")
    assert basic | extended == X12_CHARACTERS


def test_identifiers_are_never_transliterated() -> None:
    assert is_x12_identifier("1EG4TE5MK73")
    for identifier in ("１EG4", "1EG4٣", "A-55\u00a031", "É12"):
        assert not is_x12_identifier(identifier)
        assert outside_x12(identifier)
        with pytest.raises(X12ValueError):
            clean_identifier(identifier, Delimiters())


def test_the_837p_text_cleaner_transliterates_uppercases_and_removes_delimiters() -> None:
    assert clean_text("Muñoz-Peña", Delimiters()) == "MUNOZ-PENA"
    assert clean_text("A*B~C:D^E", Delimiters()) == "A B C D E"
    assert clean_identifier("A*B~C:D^E", Delimiters()) == "A-B-C-D-E"
    with pytest.raises(TransliterationError):
        clean_text("王芳", Delimiters())
