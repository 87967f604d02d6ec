"""Deprecation warnings for names that moved: kept one release, then removed."""

from __future__ import annotations

import warnings

__all__ = ["REMOVED_IN", "deprecated"]

#: The release that removes what is deprecated now.
REMOVED_IN = "0.3"


def deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that *old* is deprecated in favour of *new* (say how, in *new*)."""
    warnings.warn(
        f"{old} is deprecated and will be removed in imagecatalog {REMOVED_IN}; {new}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
