"""Small argument checks shared by the value types and the service.

Each raises :class:`~imagecatalog.exceptions.InvalidParameterError` naming the
parameter, what was given and what is accepted.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping
from typing import TypeVar

from imagecatalog.exceptions import ErrorCode, InvalidParameterError

__all__ = ["parse_enum", "require_bool", "require_identifier", "require_int", "require_str"]

_E = TypeVar("_E", bound=enum.Enum)


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


def require_bool(value: object, parameter: str) -> bool:
    """Return *value* if it is ``True`` or ``False`` (not 0, 1 or "false"), else raise."""
    if not isinstance(value, bool):
        raise InvalidParameterError(
            f"{parameter} must be True or False, not {value!r}",
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


@functools.cache
def _spellings(enum_type: type[enum.Enum]) -> dict[str, enum.Enum]:
    """Every spelling of *enum_type*'s members, casefolded: names and values."""
    found: dict[str, enum.Enum] = {}
    for member in enum_type:
        found[member.name.casefold()] = member
        found[str(member.value).casefold()] = member
    return found


def parse_enum(
    enum_type: type[_E],
    value: object,
    parameter: str,
    *,
    code: str = ErrorCode.INVALID_PARAMETER_VALUE,
    aliases: Mapping[str, _E] | None = None,
    exact: bool = False,
) -> _E:
    """The member of *enum_type* that *value* names.

    Accepted: a member; the provider's value (``"PRIVATE_IMAGE"``); the member's
    name in any case (``"CUSTOM"``, ``"custom"``); the value in any case; and
    *aliases* (such as ImportImage's ``"arm_64"``).  With *exact*, only the
    provider's values and the aliases, spelled exactly (what the live API takes).
    Anything else raises :class:`InvalidParameterError` with *code*, listing the
    provider's values.
    """
    if isinstance(value, enum_type):
        return value
    text = require_str(value, parameter)
    try:
        return enum_type(text)
    except ValueError:
        pass
    if exact:
        if aliases and text in aliases:
            return aliases[text]
        choices = ", ".join(str(member.value) for member in enum_type)
        extra = f" (or {', '.join(aliases)})" if aliases else ""
        raise InvalidParameterError(
            f"{parameter} {text!r} is not one of {choices}{extra}",
            parameter=parameter,
            value=value,
            code=code,
        )
    folded = text.casefold()
    if aliases:
        for alias, member in aliases.items():
            if alias.casefold() == folded:
                return member
    spelled = _spellings(enum_type).get(folded)
    if isinstance(spelled, enum_type):
        return spelled
    choices = ", ".join(str(member.value) for member in enum_type)
    extra = f" (or {', '.join(aliases)})" if aliases else ""
    raise InvalidParameterError(
        f"{parameter} {text!r} is not one of {choices}{extra}",
        parameter=parameter,
        value=value,
        code=code,
    )
