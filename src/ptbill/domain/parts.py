"""The parts of a note document (``Encounter`` and everything in it): plain immutable values, without pydantic.

A part declares its fields once, as annotations with defaults, in ``encounter.py`` and ``note_content.py``. The
annotations name the field's kind (``IsoDate``, ``Count``, ``Rows[Goal]`` ...), which is the plain Python type
here and pydantic's constrained type in ``encounter_models.py``: that module makes pydantic's validators of the
parts from these declarations, at first use, and they produce the parts themselves. So ``ptbill check`` reads
and checks a plainly valid note without importing pydantic at all (``encounter_plain.py``), and a note that is
not plainly valid, the server and every other reader get pydantic's validation and its messages.

A part is frozen, compared and hashed by its fields, pickled by its fields, and ``replace`` makes a changed copy
(unvalidated, as pydantic's ``model_copy``). ``pydantic`` can validate a part wherever it is a field's type
(a note template holds flowsheet rows): ``__get_pydantic_core_schema__`` hands it the part's validator.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Self

_MISSING = object()


class Part:
    # __dict__ holds the fields; the other three are where pydantic's validators put what models keep beside
    # them, so that a validated part's __dict__ is its fields and nothing else, as a plainly read one's.
    __slots__ = ("__dict__", "__pydantic_extra__", "__pydantic_fields_set__", "__pydantic_private__")

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = [name for name in inspect.get_annotations(cls) if not name.startswith("_")]
        cls._fields = tuple(names)
        cls._defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}

    def __init__(self, **values: Any) -> None:
        """The part with these field values, as given (unvalidated: ``encounter_plain`` reads them first)."""
        fields: dict[str, Any] = {}
        for name in self._fields:
            value = values.pop(name, _MISSING)
            if value is _MISSING:
                value = self._defaults.get(name, _MISSING)
                if value is _MISSING:
                    raise TypeError(f"{type(self).__name__}: missing field {name!r}")
            fields[name] = value
        if values:
            raise TypeError(f"{type(self).__name__}: no field {sorted(values)[0]!r}")
        object.__setattr__(self, "__dict__", fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def replace(self, **changes: Any) -> Self:
        return type(self)(**(self.__dict__ | changes))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.__dict__))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from ptbill.domain.encounter_models import core_schema_of

        return core_schema_of(cls)


def _rebuilt(kind: type[Part], fields: dict[str, Any]) -> Part:
    made = object.__new__(kind)
    object.__setattr__(made, "__dict__", dict(fields))
    return made
