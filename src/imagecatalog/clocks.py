"""Clocks: where the catalog's times come from.

A service reads the time from a clock, a function that returns a
timezone-aware :class:`~datetime.datetime`.  :func:`utc_now` is the default;
:func:`stepping_clock` gives repeatable times (for the demo, examples and tests).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["DEFAULT_START", "Clock", "stepping_clock", "utc_now"]

#: A clock: returns the current time, timezone-aware.
Clock = Callable[[], datetime]

#: Where :func:`stepping_clock` starts by default.
DEFAULT_START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def utc_now() -> datetime:
    """Now, in UTC, to the microsecond (listings order by it)."""
    return datetime.now(UTC)


def stepping_clock(
    start: datetime = DEFAULT_START, step: timedelta = timedelta(seconds=1)
) -> Clock:
    """A clock that reads *start*, then one *step* later at every reading.

    Safe under threads: each reading is a new instant.

    >>> clock = stepping_clock()
    >>> clock().isoformat(), clock().isoformat()
    ('2026-11-27T09:00:00+00:00', '2026-11-27T09:00:01+00:00')
    """
    ticks = itertools.count()
    return lambda: start + step * next(ticks)
