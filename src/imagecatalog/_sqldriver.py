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
driver, the store lets SQLAlchemy run everything (see :func:`driver_for`).  Sending
several statements in one round trip needs psycopg's pipeline mode (libpq 14 or
later); without it they are sent one after another.

SQLAlchemy's engine events and its ``echo`` do not see these statements: they are
logged instead to the ``imagecatalog.sql`` logger, at DEBUG, before each is sent.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.expression import Executable

__all__ = ["LOGGER", "Bound", "Compiled", "Driver", "driver_for", "log_sent"]

#: Where the statements sent on the driver are logged (DEBUG), before each is sent.
LOGGER = logging.getLogger("imagecatalog.sql")

#: A statement's parameters: one mapping, or a list of them (one row each).
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class Compiled:
    """A statement compiled once for psycopg's raw cursor: its text (bytes, so
    that psycopg neither encodes nor hashes it anew), the names of the values
    bound to ``$1``, ``$2``, ... in that order, the values the statement binds
    itself (SQLAlchemy's literals) and the conversions SQLAlchemy would apply to
    the values sent.  Rows come back as psycopg reads them: a statement with a
    column SQLAlchemy would convert as it reads it is refused here (run it
    through SQLAlchemy)."""

    __slots__ = ("constants", "names", "processors", "text")

    def __init__(self, statement: Executable, dialect: sa.Dialect, keys: Sequence[str]) -> None:
        if not isinstance(statement, sa.sql.ClauseElement):
            raise TypeError(f"not a SQLAlchemy statement: {statement!r}")
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        binds = compiled.binds.values()
        # A list bound as IN's values changes the text with its length: the store
        # binds lists as one array on PostgreSQL (= ANY), so each text is fixed.
        if any(bind.expanding for bind in binds):
            raise TypeError("a list bound as IN's values: bind it as one array (= ANY)")
        for column in compiled._result_columns:  # (key, name, objects, type), RETURNING too
            if _converted_on_read(column[3], dialect):
                raise TypeError(f"column {column[1]} is converted as it is read: not on the driver")
        self.text = compiled.string.encode()
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        required = {bind.key for bind in binds if bind.required}
        self.constants = {
            name: value for name, value in compiled.params.items() if name not in required
        }
        processors = compiled._bind_processors  # SQLAlchemy's conversions of values sent
        self.processors = {name: processors[name] for name in self.names if name in processors}

    def arguments(self, params: Mapping[str, Any] | None) -> list[Any]:
        """The values for ``$1``, ``$2``, ... from *params* (a name the statement
        needs and *params* lacks is a KeyError: a bug, never a silent NULL); a
        value SQLAlchemy cannot convert is its StatementError, as SQLAlchemy
        would raise it."""
        given = params or {}
        constants = self.constants
        values = [given[name] if name in given else constants[name] for name in self.names]
        for position, name in enumerate(self.names):
            process = self.processors.get(name)
            if process is not None:
                try:
                    values[position] = process(values[position])
                except Exception as error:  # what SQLAlchemy's conversions raise varies
                    raise sa.exc.StatementError(
                        f"the value of {name!r} cannot be sent ({error})",
                        self.text.decode(),
                        dict(given),
                        error,
                    ) from error
        return values


class Driver:
    """The store's statements compiled for psycopg's raw cursor (each once per
    process and shape), and sent on a psycopg connection."""

    def __init__(self, raw_cursor: type[Any], *, pipelines: bool = True) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

        self._raw_cursor = raw_cursor
        #: Several statements in one round trip (psycopg's pipeline: libpq 14+).
        self.pipelines = pipelines
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

    def write(self, statement: Executable, params: Params = None) -> Bound:
        """*statement* with its values, ready to send (once for each of a list of
        *params*); a value it lacks is an error now, not when it is sent."""
        compiled = self.compiled(statement, params)
        if isinstance(params, Sequence):
            return Bound(compiled.text, [compiled.arguments(row) for row in params], many=True)
        return Bound(compiled.text, compiled.arguments(params), many=False)

    def read(self, statement: Executable, params: Params = None) -> Bound:
        """*statement*, a read, with its values, ready to send (see :meth:`rows`);
        a value it lacks or cannot convert is an error now, before anything is sent."""
        if isinstance(params, Sequence):
            raise TypeError("a read takes one set of values")
        compiled = self.compiled(statement, params)
        return Bound(compiled.text, compiled.arguments(params), many=False)

    def rows(self, connection: Any, read: Bound, *, after: Sequence[Bound] = ()) -> list[Any]:
        """The rows (tuples) *read* answers on the psycopg *connection*, sent after
        the writes *after*, all in one round trip."""
        with self._raw_cursor(connection) as cursor:
            if after:
                with self._round_trip(connection), self._raw_cursor(connection) as writing:
                    for write in after:
                        write.send(writing)
                    read.send(cursor)
            else:
                read.send(cursor)
            rows: list[Any] = cursor.fetchall()
            return rows

    def send(self, connection: Any, writes: Sequence[Bound], *, commit: bool = False) -> None:
        """Send *writes* and, with *commit*, ``COMMIT`` after them, in one round
        trip (psycopg's pipeline: the first that fails raises, and PostgreSQL
        runs none after it)."""
        with self._raw_cursor(connection) as cursor:
            if len(writes) + commit == 1:
                (writes[0] if writes else _COMMIT).send(cursor)
                return
            with self._round_trip(connection):
                for write in writes:
                    write.send(cursor)
                if commit:
                    _COMMIT.send(cursor)

    def _round_trip(self, connection: Any) -> AbstractContextManager[object]:
        """Statements sent in it go in one round trip (psycopg's pipeline), or,
        without pipelines, one after another."""
        return connection.pipeline() if self.pipelines else contextlib.nullcontext()

    def script(self, connection: Any, text: str) -> list[list[Any]]:
        """Run *text*, statements separated by semicolons with their values written
        in, in one round trip (PostgreSQL's simple query protocol); the rows each
        statement answered (none for a statement that answers no rows)."""
        from psycopg import pq

        _log(text.encode(), None)
        answers: list[list[Any]] = []
        with self._raw_cursor(connection) as cursor:
            cursor.execute(text, prepare=False)  # several statements: never prepared
            while True:
                result = cursor.pgresult
                tuples = result is not None and result.status == pq.ExecStatus.TUPLES_OK
                answers.append(cursor.fetchall() if tuples else [])
                if not cursor.nextset():
                    return answers


def _converted_on_read(type_: Any, dialect: sa.Dialect) -> bool:
    """Whether SQLAlchemy converts a column of *type_* as it reads it (a type that
    cannot even say is taken to: refused)."""
    try:
        return type_.dialect_impl(dialect).result_processor(dialect, None) is not None
    except Exception:
        return True


class Bound:
    """A statement with its values bound, ready to send (a read or a write): its
    text and its values (with *many*, a list of rows of values: the statement is
    run once for each).  psycopg prepares a statement it has seen five times,
    unless *prepare* is False."""

    __slots__ = ("arguments", "many", "prepare", "text")

    def __init__(
        self, text: bytes, arguments: list[Any], *, many: bool, prepare: bool | None = None
    ) -> None:
        self.text = text
        self.arguments = arguments
        self.many = many
        self.prepare = prepare

    def send(self, cursor: Any) -> None:
        _log(self.text, self.arguments)
        if self.many:
            cursor.executemany(self.text, self.arguments)
        else:
            cursor.execute(self.text, self.arguments, prepare=self.prepare)


#: Ends the transaction the store began (a statement, never prepared).
_COMMIT = Bound(b"COMMIT", [], many=False, prepare=False)


def _log(text: bytes, arguments: object) -> None:
    if LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.debug("%s %r", text.decode(), arguments)


def log_sent(text: str) -> None:
    """Log *text*, a statement sent on the driver by other means than a cursor
    (psycopg's ``rollback()``)."""
    _log(text.encode(), None)


def driver_for(engine: Engine) -> Driver | None:
    """The driver path for *engine*: on PostgreSQL through psycopg 3.2 or later;
    else None (SQLAlchemy runs every statement)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return None
    try:
        from psycopg import Pipeline, RawCursor
    except ImportError:  # psycopg 3.1: no raw cursor
        return None
    return Driver(RawCursor, pipelines=Pipeline.is_supported())
