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
            number = self._random.getrandbits(48)  # 36**8 < 2**48: every tail reachable
            tail = []
            for _ in range(8):
                number, digit = divmod(number, 36)
                tail.append(_ALPHABET[digit])
            candidate = f"{prefix}-{''.join(tail)}"
            if not taken(candidate):
                return candidate
