"""Small argument checks shared by the value types and the service.

Each raises :class:`~imagecatalog.exceptions.InvalidParameterError` naming the
parameter, what was given and what is accepted.
"""

from __future__ import annotations

import re
from typing import TypeVar

from imagecatalog.exceptions import ErrorCode, InvalidParameterError

__all__ = ["require_identifier", "require_int", "require_str"]

_T = TypeVar("_T")


def require_str(value: object, parameter: str) -> str:
    """Return *value* if it is a ``str``, else raise."""
    if not isinstance(value, str):
        raise InvalidParameterError(
            f"{parameter} must be a string, not {type(value).__name__} {value!r}",
            parameter=parameter,
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )
    return value


def require_int(
    value: object,
    parameter: str,
    *,
    minimum: int,
    maximum: int | None = None,
    code: str = ErrorCode.INVALID_PARAMETER_VALUE,
) -> int:
    """Return *value* if it is an ``int`` (not a ``bool``) in range, else raise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameterError(
            f"{parameter} must be an integer, not {type(value).__name__} {value!r}",
            parameter=parameter,
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidParameterError(
            f"{parameter} must be {bounds}, not {value}",
            parameter=parameter,
            value=value,
            code=code,
        )
    return value


def require_identifier(
    value: object, parameter: str, pattern: re.Pattern[str], form: str, code: str
) -> str:
    """Return *value* if it is a string matching *pattern* in full, else raise."""
    text = require_str(value, parameter)
    if pattern.fullmatch(text) is None:
        raise InvalidParameterError(
            f"{parameter} {text!r} is malformed: expected {form}",
            parameter=parameter,
            value=value,
            code=code,
        )
    return text
