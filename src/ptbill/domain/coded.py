"""Small values the X12 answers share: a code with its meaning in words, a party named in an NM1."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Coded:
    """A code as the file gives it and our short wording of it ('' when we have none)."""

    code: str
    meaning: str

    def __str__(self) -> str:
        return f"{self.code} ({self.meaning})" if self.meaning else self.code


@dataclass(frozen=True, slots=True)
class Party:
    """Someone named in the file: the payer, the provider, a member. ``id`` is the identifier it carries
    (payer id, NPI, member id), ``id_kind`` its qualifier (PI, XX, MI ...)."""

    name: str
    id: str | None = None
    id_kind: str | None = None
    first_name: str | None = None

    def __str__(self) -> str:
        full = f"{self.first_name} {self.name}" if self.first_name else self.name
        return f"{full} ({self.id})" if self.id and full else (full or self.id or "")
