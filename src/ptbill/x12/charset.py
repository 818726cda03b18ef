"""The characters a claim can carry (X12 005010 basic and extended sets), and the one way ptbill reaches them.

Source: ASC X12 005010X222A1 (837P) TR3, Appendix B (Nomenclature), "Basic Character Set" and "Extended
Character Set" (the same in every 005010 TR3). The basic set is A-Z, 0-9,
space and ``! " & ' ( ) * + , - . / : ; ? =``; the 005010 extended set adds a-z and
``% ~ @ [ ] _ { } \\ | < > ^ ` # $``. Together they are exactly printable ASCII (0x20-0x7E), which is also
all a CMS-1500 printed in Courier can show. Names and addresses written in other letters are
transliterated, in this order (docs/claim-text.md says the same for clinics):

1. Unicode compatibility decomposition (NFKD): ``ñ`` → ``n`` + tilde, ``ễ`` → ``e`` + marks, ``ﬁ`` → ``fi``,
   fullwidth ``Ａ`` → ``A``, a no-break space → a space;
2. combining marks (accents, tildes, cedillas) and invisible format characters are dropped;
3. letters that do not decompose use the small table ``LETTERS`` (``ß`` → ``ss``, ``Æ`` → ``AE``,
   ``Ø`` → ``O``, ``Ł`` → ``L``, ``Đ`` → ``D``, ``Þ`` → ``TH``, ``œ`` → ``oe``, ``ı`` → ``i`` ...), typographic
   quotes and dashes use ``PUNCTUATION``, and any other white space becomes a space;
4. whatever is then still outside printable ASCII (CJK, Cyrillic, Arabic digits, NUL ...) has no X12 form:
   ``transliterate`` raises ``TransliterationError`` and ``untransliterable`` lists those characters, so
   the rule engine can refuse the note before a claim is built.

Identifiers (member ids, authorization numbers) are never transliterated: a changed identifier is a
wrong one. They must already be printable ASCII (``is_x12_identifier``).
"""

from __future__ import annotations

import functools
import unicodedata

from ptbill.domain.errors import PtbillError

X12_CHARACTERS = frozenset(chr(code) for code in range(0x20, 0x7F))

# Letters NFKD leaves whole: the usual Latin-script spellings of their sounds.
LETTERS = {
    "ß": "ss",
    "ẞ": "SS",
    "Æ": "AE",
    "æ": "ae",
    "Ø": "O",
    "ø": "o",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "TH",
    "þ": "th",
    "Œ": "OE",
    "œ": "oe",
    "ı": "i",
    "Ħ": "H",
    "ħ": "h",
    "Ŧ": "T",
    "ŧ": "t",
    "Ŋ": "NG",
    "ŋ": "ng",
    "Ə": "E",
    "ə": "e",
    "ƒ": "f",
}
# Typographic punctuation a word processor or phone keyboard substitutes for the ASCII one.
PUNCTUATION = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (the apostrophe of O’Brien)
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",  # prime
    "\u2039": "'",
    "\u203a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",  # hyphen
    "\u2012": "-",
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",
    "\u2212": "-",  # minus sign
    "\u00b7": ".",  # middle dot (Catalan l·l, which NFKD gives for ŀ)
}


class TransliterationError(PtbillError, ValueError):
    """Text has characters with no form in the X12 character set; ``characters`` lists them, once each."""

    def __init__(self, characters: str) -> None:
        self.characters = characters
        super().__init__(f"characters with no X12 form: {describe(characters)}")


def describe(characters: str) -> str:
    """``王 (U+738B), NUL (U+0000)``: each character shown, or named when it is invisible."""
    shown = []
    for character in characters:
        visible = character.isprintable() and not character.isspace()
        label = character if visible else unicodedata.name(character, "control character")
        shown.append(f"{label} (U+{ord(character):04X})")
    return ", ".join(shown)


def _is_x12(text: str) -> bool:
    return text.isascii() and text.isprintable()


def _one(character: str) -> str | None:
    """The X12 form of one decomposed character: itself, a replacement, '' (dropped), or None (none)."""
    if character in X12_CHARACTERS:
        return character
    if character in LETTERS:
        return LETTERS[character]
    if character in PUNCTUATION:
        return PUNCTUATION[character]
    if character.isspace():
        return " "
    category = unicodedata.category(character)
    if category.startswith("M") or category == "Cf":  # accents; zero-width joiners, soft hyphens, BOMs
        return ""
    return None


@functools.lru_cache(maxsize=8192)
def _transliterated(text: str) -> tuple[str, str]:
    """(the X12 form, the characters that have none); cached, since claims repeat the same names."""
    parts: list[str] = []
    missing: list[str] = []
    for original in text:
        for character in unicodedata.normalize("NFKD", original):
            replacement = _one(character)
            if replacement is None:
                if original not in missing:
                    missing.append(original)
                break
            parts.append(replacement)
    return "".join(parts), "".join(missing)


def transliterate(text: str) -> str:
    """``text`` in printable ASCII, case kept (``Muñoz-Peña`` → ``Munoz-Pena``); raises TransliterationError."""
    if _is_x12(text):
        return text
    result, missing = _transliterated(text)
    if missing:
        raise TransliterationError(missing)
    return result


def untransliterable(text: str) -> str:
    """The characters of ``text`` that have no X12 form, once each, in order; '' when it can be written."""
    return "" if _is_x12(text) else _transliterated(text)[1]


def is_x12_identifier(text: str) -> bool:
    """An identifier can be sent as it is: printable ASCII only (no transliteration, no control characters)."""
    return _is_x12(text)


def outside_x12(text: str) -> str:
    """The characters of ``text`` outside the X12 character set as they stand, once each, in order."""
    return "" if _is_x12(text) else "".join(dict.fromkeys(c for c in text if c not in X12_CHARACTERS))
