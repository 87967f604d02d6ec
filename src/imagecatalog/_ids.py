"""New resource IDs: a prefix and 8 random lowercase letters or digits."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

__all__ = ["IdGenerator"]

_ALPHABET = string.ascii_lowercase + string.digits


class IdGenerator:
    """Draws IDs such as ``img-9qabwvbn``; seeded, it draws the same ones each run."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def new(self, prefix: str, taken: Callable[[str], bool]) -> str:
        """A fresh ``<prefix>-xxxxxxxx`` ID for which *taken* is false."""
        while True:
            candidate = f"{prefix}-{''.join(self._random.choices(_ALPHABET, k=8))}"
            if not taken(candidate):
                return candidate
