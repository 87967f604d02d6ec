"""The SQL store's statements, sent on psycopg's own connection (PostgreSQL).

SQLAlchemy builds every statement of :mod:`imagecatalog.sql` and, on SQLite and on
any other PostgreSQL driver, runs it.  On PostgreSQL through psycopg 3 the store
sends its statements on the driver directly: each is compiled once, to
PostgreSQL's own numbered placeholders (``$1``, ``$2``, ...), and sent on
psycopg's :class:`~psycopg.RawCursor`, which neither parses the text again nor
builds a result object around the rows.  Per statement that saves SQLAlchemy's
execution (its compiled-cache lookup, parameter processing and result set-up,
~75 µs measured) and psycopg's own parse of a long text (~60 µs for a listing of
three groups, whose 7 KiB pass psycopg's cache of parsed queries).  The rows are
plain tuples, in the statement's column order; a statement psycopg has seen five
times is prepared on the server as before.

Needs psycopg 3.2 or later (``RawCursor``); with an older psycopg, or another
driver, the store lets SQLAlchemy run everything (see :func:`driver_for`).

SQLAlchemy's engine events and its ``echo`` do not see these statements: they are
logged instead to the ``imagecatalog.sql`` logger, at DEBUG, before each is sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.expression import Executable

__all__ = ["LOGGER", "Compiled", "Driver", "driver_for"]

#: Where the statements sent on the driver are logged (DEBUG), before each is sent.
LOGGER = logging.getLogger("imagecatalog.sql")

#: A statement's parameters: one mapping, or a list of them (one row each).
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class Compiled:
    """A statement compiled once for psycopg's raw cursor: its text (bytes, so
    that psycopg neither encodes nor hashes it anew), the names of the values
    bound to ``$1``, ``$2``, ... in that order, the values the statement binds
    itself (SQLAlchemy's literals) and the conversions SQLAlchemy would apply."""

    __slots__ = ("constants", "names", "processors", "text")

    def __init__(self, statement: Executable, dialect: sa.Dialect, keys: Sequence[str]) -> None:
        assert isinstance(statement, sa.sql.ClauseElement)
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        binds = compiled.binds.values()
        # A list bound as IN's values changes the text with its length: the store
        # binds lists as one array on PostgreSQL (= ANY), so each text is fixed.
        assert not any(bind.expanding for bind in binds), "bind lists as arrays (= ANY)"
        self.text = compiled.string.encode()
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        required = {bind.key for bind in binds if bind.required}
        self.constants = {
            name: value for name, value in compiled.params.items() if name not in required
        }
        processors = getattr(compiled, "_bind_processors", {})
        self.processors = {name: processors[name] for name in self.names if name in processors}

    def arguments(self, params: Mapping[str, Any] | None) -> list[Any]:
        """The values for ``$1``, ``$2``, ... from *params* (a name the statement
        needs and *params* lacks is a KeyError: a bug, never a silent NULL)."""
        given = params or {}
        constants = self.constants
        values = [given[name] if name in given else constants[name] for name in self.names]
        for position, name in enumerate(self.names):
            process = self.processors.get(name)
            if process is not None:
                values[position] = process(values[position])
        return values


class Driver:
    """The store's statements compiled for psycopg's raw cursor (each once per
    process and shape), and sent on a psycopg connection."""

    def __init__(self, raw_cursor: type[Any]) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

        self._raw_cursor = raw_cursor
        self._dialect = PGDialect_psycopg(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
        self._compiled: dict[tuple[Executable, tuple[str, ...]], Compiled] = {}
        self._guard = threading.Lock()

    def compiled(self, statement: Executable, params: Params = None) -> Compiled:
        """*statement* compiled; an INSERT or UPDATE for the columns *params* give."""
        keys: tuple[str, ...] = ()
        if isinstance(statement, ValuesBase):
            first = params[0] if isinstance(params, Sequence) else params
            keys = tuple(sorted(first or ()))
        found = self._compiled.get((statement, keys))
        if found is None:
            found = Compiled(statement, self._dialect, keys)
            with self._guard:
                self._compiled[(statement, keys)] = found
        return found

    def rows(self, connection: Any, statement: Executable, params: Params = None) -> list[Any]:
        """The rows (tuples) *statement* answers on the psycopg *connection*."""
        compiled = self.compiled(statement, params)
        assert not isinstance(params, Sequence)
        arguments = compiled.arguments(params)
        _log(compiled.text, arguments)
        with self._raw_cursor(connection) as cursor:
            cursor.execute(compiled.text, arguments)
            rows: list[Any] = cursor.fetchall()
            return rows

    def execute(self, connection: Any, statement: Executable, params: Params = None) -> None:
        """Run *statement* (once for each of a list of *params*, in one round trip)."""
        compiled = self.compiled(statement, params)
        with self._raw_cursor(connection) as cursor:
            if isinstance(params, Sequence):
                rows = [compiled.arguments(row) for row in params]
                _log(compiled.text, rows)
                cursor.executemany(compiled.text, rows)
            else:
                arguments = compiled.arguments(params)
                _log(compiled.text, arguments)
                cursor.execute(compiled.text, arguments)

    def script(self, connection: Any, text: str) -> list[list[Any]]:
        """Run *text*, statements separated by semicolons with their values written
        in, in one round trip (PostgreSQL's simple query protocol); the rows each
        statement answered (none for a statement that answers no rows)."""
        from psycopg import pq

        _log(text.encode(), None)
        answers: list[list[Any]] = []
        with self._raw_cursor(connection) as cursor:
            cursor.execute(text)
            while True:
                result = cursor.pgresult
                tuples = result is not None and result.status == pq.ExecStatus.TUPLES_OK
                answers.append(cursor.fetchall() if tuples else [])
                if not cursor.nextset():
                    return answers


def _log(text: bytes, arguments: object) -> None:
    if LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.debug("%s %r", text.decode(), arguments)


def driver_for(engine: Engine) -> Driver | None:
    """The driver path for *engine*: on PostgreSQL through psycopg 3.2 or later;
    else None (SQLAlchemy runs every statement)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return None
    try:
        from psycopg import RawCursor
    except ImportError:  # psycopg 3.1: no raw cursor
        return None
    return Driver(RawCursor)
