"""YAML as ptbill's data files need it: safe types only, and a key written twice in one mapping is an
error with its line, at any depth (plain YAML keeps the last value and silently drops the first).
"""

from __future__ import annotations

from typing import Any

import yaml

from ptbill.domain.errors import ReferenceDataError

# The C parser is several times faster; fall back when PyYAML was built without libyaml.
_Base: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def shown_key(key: Any) -> str:
    """A key as the author wrote it: text in quotes, a date or number as is."""
    return repr(key) if isinstance(key, str) else str(key)


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                earlier = first_line.get(key)
            except TypeError:
                continue  # an unhashable key: the base constructor reports it
            if earlier is not None:  # also on the same line, as in a flow mapping {b: 1, b: 2}
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {shown_key(key)} (first on line {earlier})", key_node.start_mark
                )
            first_line[key] = line
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:  # 2026-13-01 matches the pattern but is no day
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date ({exc})", node.start_mark
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def load_strict_yaml(text: str, origin: str) -> Any:
    """The document in ``text``; ReferenceDataError naming ``origin`` and the line when it is not valid."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a subclass of the safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReferenceDataError(f"{origin}:{where}: {problem}") from None
