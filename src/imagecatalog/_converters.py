"""What the private cattrs converters of serialization and snapshots share."""

from __future__ import annotations

from collections.abc import Callable

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


def strict_converter() -> cattrs.Converter:
    """A new private converter that refuses to coerce str, int and bool."""
    converter = cattrs.Converter()
    for kind in (str, int, bool):
        converter.register_structure_hook(kind, _exactly(kind))
    return converter
