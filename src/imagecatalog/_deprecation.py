"""Deprecation warnings for names that moved: kept one release, then removed."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from types import FrameType
from typing import TypeVar

__all__ = ["REMOVED_IN", "deprecated", "replaced_argument"]

#: The release that removes what is deprecated now.
REMOVED_IN = "0.3"

_PACKAGE = str(Path(__file__).resolve().parent) + os.sep
_T = TypeVar("_T")


def _outside_the_package() -> int:
    """The stack level of the first caller outside imagecatalog, so that the
    warning names the user's line however deep inside the package it is raised
    (``load`` calling ``restore`` calling ``ImageService``, say)."""
    level = 2  # the caller of deprecated()
    frame: FrameType | None = sys._getframe(level)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def deprecated(old: str, new: str) -> None:
    """Warn that *old* is deprecated in favour of *new* (say how, in *new*), at the
    user's line."""
    warnings.warn(
        f"{old} is deprecated and will be removed in imagecatalog {REMOVED_IN}; {new}",
        DeprecationWarning,
        stacklevel=_outside_the_package(),
    )


def replaced_argument(
    new: _T | None, old: _T | None, *, where: str, new_name: str, old_name: str
) -> _T | None:
    """The value of an argument renamed from *old_name* to *new_name*: *old* (with a
    warning) when only it is given; both at once is refused."""
    if old is None:
        return new
    deprecated(f"{where}({old_name}=...)", f"pass {new_name}=")
    if new is not None:
        from imagecatalog.exceptions import ErrorCode, InvalidParameterError

        raise InvalidParameterError(
            f"give {new_name}= alone: {old_name}= is its old name, and both were given",
            parameter=old_name,
            value=old,
            code=ErrorCode.INVALID_PARAMETER,
        )
    return old
