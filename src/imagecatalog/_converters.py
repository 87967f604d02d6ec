"""What the private cattrs converters of the provider's JSON and of storage share."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import cattrs

__all__ = ["strict_converter"]


def _exactly(kind: type) -> Callable[[object, object], object]:
    """A structure hook that takes only values of exactly *kind* (no "20" for 20,
    no True for 1, no "false" for False)."""

    def structure(value: object, _: object) -> object:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _member(value: object, enum_type: Any) -> enum.Enum:
    """The member of *enum_type* whose value is exactly *value* (a string, for a
    string-valued enum: no 1 for "1")."""
    member: enum.Enum = enum_type(value)
    if type(value) is not type(member.value):
        raise TypeError(f"expected {type(member.value).__name__}, got {type(value).__name__}")
    return member


def _value(member: enum.Enum) -> Any:
    return member.value


def strict_converter() -> cattrs.Converter:
    """A new private converter that refuses to coerce str, int and bool, and
    reads enums by their exact values."""
    converter = cattrs.Converter()
    for kind in (str, int, bool):
        converter.register_structure_hook(kind, _exactly(kind))
    # A string-valued enum is a str too: without this, the str hook above would
    # take it (it comes first in the enum's MRO) and hand back a plain string.
    for base in (enum.StrEnum, enum.Enum):
        converter.register_structure_hook(base, _member)
        converter.register_unstructure_hook(base, _value)
    return converter
