"""Types every resource's schemas share: ids, checked text, money, error bodies. Money leaves the API as a
string with two decimals ("14.64"), never a float; only the note check keeps the spec's JSON numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, PlainSerializer, WithJsonSchema

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite: larger ids would fail in the driver


def _no_nul(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; refusing it here gives a 422 instead of a driver error.
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _cents(value: Decimal) -> str:
    return f"{value:.2f}"


Money = Annotated[
    Decimal,
    PlainSerializer(_cents, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?[0-9]+\.[0-9]{2}$",
            "description": "US dollars as a string with exactly two decimals.",
            "examples": ["14.64"],
        },
        mode="serialization",
    ),
]


class ErrorPublic(BaseModel):
    detail: str = Field(description="What went wrong, in plain words.")


class ProblemPublic(BaseModel):
    detail: str = Field(description="What went wrong, in plain words.")
    problems: list[str] = Field(description="One line per offending field: `<field>: <problem>`.")
