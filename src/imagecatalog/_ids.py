"""New resource IDs: a prefix and 8 random lowercase letters or digits."""

from __future__ import annotations

import os
import random
import string
import weakref
from collections.abc import Callable

__all__ = ["IdGenerator"]

_ALPHABET = string.ascii_lowercase + string.digits


class IdGenerator:
    """Draws IDs such as ``img-9qabwvbn``; seeded, it draws the same ones each run.

    Unseeded, it draws from the operating system's entropy, and a process forked
    from this one (a pre-forking server, ``multiprocessing``'s fork) draws anew
    rather than the parent's next IDs: processes that share one SQL store, each
    writing for its own owners at once, would otherwise draw the same new ID.
    Seeded generators are for one writer (repeatable runs): two services with one
    seed on one store draw the same IDs.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        if seed is None:
            _UNSEEDED.add(self)

    def _reseed(self) -> None:
        self._random.seed()

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


_UNSEEDED: weakref.WeakSet[IdGenerator] = weakref.WeakSet()


def _reseed_after_fork() -> None:
    for generator in list(_UNSEEDED):
        generator._reseed()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_reseed_after_fork)
