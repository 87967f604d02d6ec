"""Clocks: where the catalog's times come from.

A service reads the time from a clock, a function that returns a
timezone-aware :class:`~datetime.datetime`.  :func:`utc_now` is the default;
:func:`stepping_clock` gives repeatable times (for the demo, examples and tests);
a :class:`VirtualClock` stands still until a test moves it on.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from imagecatalog.exceptions import ErrorCode, InvalidParameterError

__all__ = ["DEFAULT_START", "Clock", "VirtualClock", "stepping_clock", "utc_now"]

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


class VirtualClock:
    """Simulated time: reads the same instant until :meth:`advance` moves it on.

    Give it to a service (``ImageService(clock=...)``) or to
    :func:`~imagecatalog.tencentcloud.mock_cvm` (``clock=``), and a test decides
    when time passes, without sleeping.  Safe under threads.

    >>> clock = VirtualClock()
    >>> clock().isoformat()
    '2026-11-27T09:00:00+00:00'
    >>> clock.advance(minutes=5).isoformat()
    '2026-11-27T09:05:00+00:00'
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        given: object = start
        if not isinstance(given, datetime) or given.utcoffset() is None:
            raise InvalidParameterError(
                f"a virtual clock starts at a timezone-aware datetime, not {start!r}; "
                "for example datetime(2026, 11, 27, tzinfo=UTC)",
                parameter="start",
                value=start,
                code=ErrorCode.INVALID_PARAMETER,
            )
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self._now

    @property
    def now(self) -> datetime:
        """The clock's time."""
        return self._now

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
    ) -> datetime:
        """Move the clock on by *delta* and/or the given seconds, minutes and
        hours (never back), and return the new time."""
        step = duration(delta, seconds=seconds, minutes=minutes, hours=hours)
        with self._lock:
            try:
                self._now += step
            except OverflowError:
                raise InvalidParameterError(
                    f"the clock reads {self._now.isoformat()}: {step} later is past the "
                    "last time a datetime holds",
                    parameter="delta",
                    value=step,
                    code=ErrorCode.INVALID_PARAMETER,
                ) from None
            return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self._now.isoformat()})"


def duration(
    delta: timedelta | None = None,
    *,
    seconds: float = 0,
    minutes: float = 0,
    hours: float = 0,
    parameter: str = "delta",
) -> timedelta:
    """*delta* plus the given seconds, minutes and hours: a span of time that
    is not negative, else :class:`~imagecatalog.InvalidParameterError` naming
    *parameter*."""
    given: object = delta
    if given is not None and not isinstance(given, timedelta):
        raise InvalidParameterError(
            f"{parameter} is a span of time, a timedelta, not {delta!r}",
            parameter=parameter,
            value=delta,
            code=ErrorCode.INVALID_PARAMETER,
        )
    spans: tuple[tuple[str, object], ...] = (
        ("seconds", seconds),
        ("minutes", minutes),
        ("hours", hours),
    )
    for name, value in spans:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise InvalidParameterError(
                f"{name} must be a number, not {value!r}",
                parameter=name,
                value=value,
                code=ErrorCode.INVALID_PARAMETER,
            )
    try:
        step = (delta or timedelta()) + timedelta(seconds=seconds, minutes=minutes, hours=hours)
    except OverflowError:
        raise InvalidParameterError(
            f"{parameter}: that span of time is too long for a datetime",
            parameter=parameter,
            value=(delta, seconds, minutes, hours),
            code=ErrorCode.INVALID_PARAMETER,
        ) from None
    if step < timedelta():
        raise InvalidParameterError(
            f"{parameter}: time only moves on, and {step} is negative",
            parameter=parameter,
            value=step,
            code=ErrorCode.INVALID_PARAMETER,
        )
    return step
