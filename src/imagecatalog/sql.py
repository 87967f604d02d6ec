"""One catalog for many processes and hosts: a CatalogStore on SQL.

:class:`SqlImageRepository` keeps the catalog in SQLite (one file, several
processes on one machine) or PostgreSQL (many processes, many hosts), through
SQLAlchemy 2 Core (``pip install "imagecatalog[sql]"``).

**Concurrency** (``docs/sql.md`` argues it).  Every rule of the catalog is per
account, so reads take no lock and a write locks the accounts its rules read.
A read runs on PostgreSQL in autocommit, on SQLite in a deferred transaction of a
file in WAL mode; a listing (its page and total, every group) is one statement,
from one snapshot.  A write is one transaction (a nested unit of work a
``SAVEPOINT``) that on PostgreSQL first takes transaction-scoped advisory locks
in one order: its catalog's lock (:func:`catalog_lock_key`: shared, or exclusive
for the whole catalog), then its accounts' (:func:`account_lock_key`, exclusive,
ascending): writes for different owners run at once, and none can deadlock.  It
begins in one round trip (``BEGIN``, the locks, the rows it reads), writes only
what changed, and sends its writes with its ``COMMIT``; through psycopg, reads
and these units of work send their statements on the driver
(:mod:`imagecatalog._sqldriver`).  On SQLite
every write begins ``BEGIN IMMEDIATE`` (the file's one writer).  An in-memory
SQLite database (``"sqlite://"``) is one connection that threads take turns on.
A database that is away or busy is
:class:`~imagecatalog.StoreUnavailableError`, and the call changed nothing.

**Schema.** Built and changed only by migrations (:mod:`imagecatalog.migrations`,
Alembic), with its version recorded in ``imagecatalog_meta``: opening a store builds
the schema of an empty database (unless ``create=False``), migrates an older one
forward in one transaction (unless ``migrate=False``), and refuses a newer one, with a
:class:`~imagecatalog.SchemaVersionError` naming both versions.  Indexes serve each
listing and count without scanning the tables.

>>> from imagecatalog import ImageService
>>> service = ImageService(SqlImageRepository("sqlite://"))
>>> alice = service.register_account("100000000001")
>>> service.image_quota(alice, "ap-guangzhou")
Quota(used=0, limit=10)
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import json
import math
import re
import sqlite3
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.expression import Executable

from imagecatalog._deprecation import deprecated
from imagecatalog._sqldriver import Bound, driver_for, log_sent
from imagecatalog._validation import require_int
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.exceptions import (
    InvalidParameterError,
    SchemaVersionError,
    StoreError,
    StoreUnavailableError,
)
from imagecatalog.images import (
    Architecture,
    BootMode,
    Image,
    ImageKind,
    ImageOrigin,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
    Support,
)
from imagecatalog.instances import Instance
from imagecatalog.query import FILTER_FIELDS, ImageGroup, ImageQuery
from imagecatalog.records import (
    AccountRecord,
    ImageRecord,
    InstanceRecord,
    account_from_record,
    account_record,
    decode_time,
    encode_time,
    from_data,
    image_record,
    instance_from_record,
    instance_record,
    to_data,
)
from imagecatalog.regions import Region
from imagecatalog.repository import LegacyRepositoryMethods
from imagecatalog.tags import Tag

__all__ = [
    "LEGACY_LOCK_KEY",
    "REVISIONS",
    "SCHEMA_VERSION",
    "VERSION_TABLE",
    "SqlImageRepository",
    "account_lock_key",
    "catalog_lock_key",
]

_T = TypeVar("_T")

#: The schema version this release writes and reads.
SCHEMA_VERSION = 3
#: Where Alembic records the migrations a database has had (its own name, so that
#: it never meets an application's own Alembic table in the same schema).
VERSION_TABLE = "imagecatalog_alembic_version"
#: The Alembic revision of each schema version (schema 1 is what 0.1.0 created).
REVISIONS = {1: "s0001", 2: "s0002", 3: "s0003"}

_METADATA = sa.MetaData()

_META = sa.Table(
    "imagecatalog_meta",
    _METADATA,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)
_ACCOUNTS = sa.Table(
    "ic_accounts",
    _METADATA,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, index=True),
    sa.Column("trusted_sharers", sa.Text, nullable=True),  # JSON list, or NULL: no list
)
_IMAGES = sa.Table(
    "ic_images",
    _METADATA,
    sa.Column("id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("owner", sa.String(20), nullable=True),  # NULL: a public image
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("description", sa.String(256), nullable=False),
    sa.Column("os_type", sa.String(16), nullable=False),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("os_name", sa.String(128), nullable=False),
    sa.Column("architecture", sa.String(16), nullable=False),
    sa.Column("size_gb", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),  # ISO 8601 UTC, fixed width
    sa.Column("licence_type", sa.String(16), nullable=False),
    sa.Column("software", sa.Text, nullable=False),  # JSON list
    sa.Column("support", sa.String(16), nullable=True),
    sa.Column("copied_from", sa.String(12), nullable=True),
    sa.Column("boot_mode", sa.String(16), nullable=False, server_default="Legacy BIOS"),
    sa.Column("tags", sa.Text, nullable=False, server_default="[]"),  # JSON [{key, value}]
    sa.Column("family", sa.String(60), nullable=True),
    sa.Column("deprecated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("encrypted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("kms_key_id", sa.String(128), nullable=True),
    # Listing order within each group, and the name rule:
    sa.Index(
        "ix_ic_images_public",
        "region",
        "created_at",
        "id",
        postgresql_where=sa.text("owner IS NULL"),
        sqlite_where=sa.text("owner IS NULL"),
    ),
    sa.Index("ix_ic_images_custom", "owner", "region", "created_at", "id"),
    sa.Index("ux_ic_images_name", "owner", "region", "name", unique=True),
)
_SHARES = sa.Table(
    "ic_shares",
    _METADATA,
    sa.Column(
        "image_id",
        sa.String(12),
        sa.ForeignKey("ic_images.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("account_id", sa.String(20), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("shared_at", sa.String(40), nullable=False),
    # Copied from the image so that "shared with me in this region" is one index range:
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Index("ix_ic_shares_receiver", "account_id", "region", "created_at", "image_id"),
)
_INSTANCES = sa.Table(
    "ic_instances",
    _METADATA,
    sa.Column("id", sa.String(12), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, index=True),
    sa.Column("owner", sa.String(20), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("image_id", sa.String(12), nullable=False),
    sa.Column("os_type", sa.String(16), nullable=False),
    sa.Column("platform", sa.String(64), nullable=False),
    sa.Column("os_name", sa.String(128), nullable=False),
    sa.Column("architecture", sa.String(16), nullable=False),
    sa.Column("system_disk_gb", sa.Integer, nullable=False),
    sa.Column("licence_type", sa.String(16), nullable=False),
    sa.Column("launched_at", sa.String(40), nullable=False),
    sa.Column("charges", sa.Text, nullable=False),  # JSON list
    sa.Column("boot_mode", sa.String(16), nullable=False, server_default="Legacy BIOS"),
    sa.Column("zone", sa.String(40), nullable=True),  # NULL: the region's first zone
    # An owner's instances in launch order, everywhere or in one region:
    sa.Index("ix_ic_instances_owner", "owner", "launched_at", "id"),
    sa.Index("ix_ic_instances_owner_region", "owner", "region", "launched_at", "id"),
)


class SqlImageRepository(LegacyRepositoryMethods):
    """A :class:`~imagecatalog.CatalogStore` in a SQL database.

    *url_or_engine* is a SQLAlchemy URL (``sqlite:///catalog.db``,
    ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) or an
    :class:`~sqlalchemy.engine.Engine`.  With *create* (the default) the schema
    is created when missing; with *migrate* (the default) an older schema is
    migrated forward, in one transaction, and without it refused.  Several
    stores, in several processes and on several hosts, may open the same
    database: reads take no lock, and writes for different owners run at once
    (see the module's documentation).

    For a URL, the connections are configurable: *pool_size* connections kept
    open (default 5) and *max_overflow* more when busy (default 10), for each
    store; *pool_timeout* seconds to wait for a free one (default 30);
    *connect_timeout* seconds to wait for the database to answer a new
    connection (default 10); *lock_timeout* seconds a write waits for the lock
    of an account it writes for, or on SQLite for the database's write lock
    (default 60).  Past any of them a call raises
    :class:`~imagecatalog.StoreUnavailableError` and changes nothing.  An
    engine you pass is configured by you.
    """

    def __init__(
        self,
        url_or_engine: str | Engine,
        *,
        create: bool = True,
        migrate: bool = True,
        pool_size: int | None = None,
        max_overflow: int | None = None,
        pool_timeout: float | None = None,
        connect_timeout: float | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        settings = _ConnectionSettings.checked(
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            connect_timeout=connect_timeout,
            lock_timeout=lock_timeout,
        )
        if isinstance(url_or_engine, Engine):
            if settings.given:
                raise InvalidParameterError(
                    f"{', '.join(settings.given)} configure the engine the store makes from a "
                    "URL; configure the engine you pass yourself (sqlalchemy.create_engine), "
                    "or pass the URL",
                    parameter=settings.given[0],
                    value=getattr(settings, settings.given[0]),
                )
            self._engine = url_or_engine
        else:
            self._engine = _make_engine(url_or_engine, settings)
        self._dialect = self._engine.dialect.name
        self._postgres = self._dialect == "postgresql"
        if self._dialect == "sqlite":
            _serialise_sqlite(self._engine)
        self._single_connection_lock = _connection_lock(self._engine)
        self._local = threading.local()
        self._schema = "public"
        self._sql = _statements(self._dialect)
        #: On PostgreSQL through psycopg 3.2+, statements are sent on the driver.
        self._driver = driver_for(self._engine)
        #: The image select as SQL text (PostgreSQL: sent with the locks).
        self._image_text = str(self._sql.images.compile(dialect=self._engine.dialect))
        #: Accounts seen registered (they never stop being: see account_exists).
        self._known_accounts: set[str] = set()
        try:
            if self._postgres:
                self._schema = _current_schema(self._engine)
            self._open(create=create, migrate=migrate)
            if self._dialect == "sqlite":
                _write_ahead_log(self._engine)
        except BaseException:
            if not isinstance(url_or_engine, Engine):
                self._engine.dispose()  # the store made it: nobody else will close it
            raise

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine."""
        return self._engine

    def close(self) -> None:
        """Close the engine's pooled connections (an engine passed in is closed too)."""
        self._engine.dispose()

    def __enter__(self) -> SqlImageRepository:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def create_schema(self) -> None:
        """Create the schema if it is missing, and migrate it to this release's version.

        Refuses a database whose schema is newer than this release knows.
        """
        self._open(create=True, migrate=True)

    def schema_version(self) -> int | None:
        """The schema version the database holds (None: no imagecatalog schema)."""
        with self._engine.connect() as connection:
            return _schema_version(connection)

    def _open(self, *, create: bool, migrate: bool) -> None:
        """Check the schema's version; create or migrate it, in one transaction (on
        PostgreSQL under the catalog's lock and 0.1.x's, both exclusive).  A schema
        already this release's is only read, with no lock: opening a store holds
        no other process's writes back."""
        try:
            with self._single_connection_lock, self._engine.connect() as connection:
                connection.execution_options(imagecatalog_reading=True)  # SQLite: no lock
                if _schema_version(connection) == SCHEMA_VERSION:
                    return
        except sa.exc.SQLAlchemyError as error:
            raise _store_error(error) from error
        with self._writing(None, legacy=True):
            connection = self._unit().alchemy
            found = _schema_version(connection)
            if found == SCHEMA_VERSION:
                return
            if found is not None and found > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"this database has imagecatalog schema version {found}, newer than the "
                    f"version {SCHEMA_VERSION} this release knows; upgrade imagecatalog",
                    found=found,
                    expected=SCHEMA_VERSION,
                )
            if found is None and not create:
                raise SchemaVersionError(
                    "this database has no imagecatalog schema; open it with create=True or "
                    "call create_schema()",
                    found=None,
                    expected=SCHEMA_VERSION,
                )
            if found is not None and not migrate:
                raise SchemaVersionError(
                    f"this database has imagecatalog schema version {found}, older than the "
                    f"version {SCHEMA_VERSION} this release uses; open it with migrate=True "
                    "(the default) to migrate it forward, in one transaction",
                    found=found,
                    expected=SCHEMA_VERSION,
                )
            _migrate(connection, found)

    # Units of work ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A unit of work over the whole catalog: one database transaction that
        no other write runs beside (on PostgreSQL it holds the catalog's lock
        exclusively).  A nested block is a savepoint (``SAVEPOINT``): when it
        raises, only its own writes are rolled back."""
        with self._writing(None):
            yield

    @contextmanager
    def write_transaction(
        self, account_ids: Iterable[str], *, prefetch_image_ids: Iterable[str] = ()
    ) -> Iterator[None]:
        """A unit of work whose rules read only the state of *account_ids*
        (their images, quotas, names, shares and trust lists): one database
        transaction that, on PostgreSQL, holds those accounts' locks, so that
        writes for other accounts run beside it.  On PostgreSQL it begins in one
        round trip that also reads the accounts and the images *prefetch_image_ids* (the
        call reads them next).  A nested block is a savepoint in the enclosing
        unit of work (and takes no lock of its own)."""
        with self._writing(frozenset(account_ids), tuple(prefetch_image_ids)):
            yield

    @contextmanager
    def read_transaction(self, *, snapshot: bool = False) -> Iterator[None]:
        """A block of reads: it takes no lock and waits for no write.  Each
        listing (a page and its total) is answered by one statement, from one
        snapshot; with *snapshot*, every read of the block is (on PostgreSQL a
        ``REPEATABLE READ READ ONLY`` transaction; SQLite's reads always are).
        Inside a unit of work, reads are the unit's (they see its writes)."""
        local = self._local
        if getattr(local, "unit", None) is not None:
            yield
            return
        with self._single_connection_lock:
            if self._driver is not None and not snapshot:
                # Each statement on the driver, in autocommit; a connection is
                # checked out only if a statement is sent (see _on_driver).
                unit = _Unit(None, scope=frozenset(), reading=True)
                unit.driven = True
            else:
                unit = _Unit(
                    self._connect(reading=True, snapshot=snapshot),
                    scope=frozenset(),
                    reading=True,
                )
            unit.standalone = self._postgres and not snapshot
            local.unit = unit
            try:
                yield
            except sa.exc.SQLAlchemyError as error:
                raise _store_error(error) from error
            finally:
                local.unit = None
                unit.close()

    @contextmanager
    def _writing(
        self,
        scope: frozenset[str] | None,
        image_ids: tuple[str, ...] = (),
        *,
        legacy: bool = False,
    ) -> Iterator[None]:
        local = self._local
        current: _Unit | None = getattr(local, "unit", None)
        if current is not None:
            if current.reading:
                raise StoreError(
                    "a unit of work was opened inside a block of reads (read_transaction); "
                    "open the unit of work first, and read inside it"
                )
            try:
                self._send_writes(current)  # the unit's writes go before the savepoint
                with current.alchemy.begin_nested():
                    yield
                    self._send_writes(current)  # and the savepoint's inside it
            except BaseException as error:
                current.take_writes()  # the savepoint's, never sent: undone with it
                current.forget()  # what it remembers may be writes the savepoint undid
                if isinstance(error, sa.exc.SQLAlchemyError):
                    raise _store_error(error, in_unit=True) from error
                raise
            return
        with self._single_connection_lock:
            unit = self._begin(scope, image_ids, legacy=legacy)
            local.unit = unit
            connection = unit.alchemy
            try:
                yield
            except sa.exc.SQLAlchemyError as error:  # a database failure, not a rule
                unit.rollback()
                raise _store_error(error) from error
            except BaseException:
                unit.rollback()
                raise
            else:
                if connection.invalidated or _broken(connection):
                    # Lost before it could commit (a call of the unit said so): the
                    # database rolled it back; COMMIT was never sent.
                    raise StoreUnavailableError(
                        "the connection to the database was lost before this unit of work "
                        "could commit: the database rolled all of it back; do the whole "
                        "unit of work again",
                        outcome_unknown=False,
                    )
                if _transaction_failed(connection):
                    # A statement failed and its caller went on: PostgreSQL has
                    # undone the unit, and would answer COMMIT with a silent ROLLBACK.
                    unit.rollback()
                    raise StoreError(
                        "a statement of this unit of work failed earlier and the unit went "
                        "on past its error: the database rolled all of it back, and nothing "
                        "of it was applied; do the whole unit of work again, without "
                        "swallowing the error"
                    )
                try:
                    self._commit(unit)
                except _FAILURES as error:
                    unit.rollback()
                    raise _store_error(_wrapped(error, connection), committing=True) from error
            finally:
                local.unit = None
                unit.close()

    def _begin(
        self, scope: frozenset[str] | None, image_ids: tuple[str, ...] = (), *, legacy: bool = False
    ) -> _Unit:
        """A connection in a new transaction that holds the locks of *scope* (None:
        the whole catalog's).  A pooled connection the database has dropped is
        found by the first statement, before anything was done on it: it is
        replaced, once."""
        for attempt in (1, 2):
            connection: Connection | None = None
            try:
                connection = self._engine.connect()
                if self._driver is not None and scope is not None:
                    return self._begin_for_accounts(connection, scope, image_ids)
                connection.begin()
                if self._postgres:
                    connection.execute(*_lock(self._sql, scope, self._schema, legacy=legacy))
                return _Unit(connection, scope=scope)
            except _FAILURES as error:
                wrapped = _wrapped(error, connection)
                _discard(connection)
                if attempt == 1 and _connection_lost(wrapped):
                    continue
                raise _store_error(wrapped) from error
            except BaseException:  # a row it cannot read, an interrupt: no lock kept
                _discard(connection)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _begin_for_accounts(
        self, connection: Connection, scope: frozenset[str], image_ids: tuple[str, ...]
    ) -> _Unit:
        """PostgreSQL, a unit of work for *scope*'s accounts, begun in one round trip:
        ``BEGIN``, the locks, and the accounts' rows, sent together (each statement
        reads a snapshot taken when it starts: the rows are read once the locks are
        held).  The store then ends the transaction itself (``COMMIT`` or
        ``ROLLBACK`` on the driver's connection, which SQLAlchemy keeps in
        autocommit)."""
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.begin()  # SQLAlchemy's own bookkeeping: sends nothing in autocommit
        driver: Any = connection.connection.driver_connection
        unit = _Unit(connection, scope=scope, driver=driver)
        unit.driven = True
        images = self._image_text if image_ids else None
        assert self._driver is not None
        # The answers, in order: BEGIN's (no rows), the locks' row, then the
        # accounts' rows (if any) and the images' (if any).
        answers = self._driver.script(driver, _begin_text(scope, image_ids, images, self._schema))
        accounts = answers[2] if scope else []
        found = {account_id: _account_of(account_id, trusted) for account_id, trusted in accounts}
        for account_id in scope:
            unit.accounts[account_id] = found.get(account_id)
        self._known_accounts.update(found)  # committed before the unit began: for good
        if image_ids:
            for row in answers[-1]:
                unit.remember_loaded(_image(row), row)
        return unit

    def _connect(self, *, reading: bool, snapshot: bool = False) -> Connection:
        """A connection for a block of reads: on PostgreSQL in autocommit (each
        statement its own snapshot, no transaction to begin or end) or, for a
        *snapshot*, in a read-only repeatable-read transaction; on SQLite in a
        deferred transaction (in WAL mode, a snapshot no writer blocks)."""
        connection: Connection | None = None
        try:
            connection = self._engine.connect()
            if self._postgres and snapshot:
                connection = connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
                connection.begin()
            elif self._postgres:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                connection.execution_options(imagecatalog_reading=True)
                connection.begin()
            return connection
        except sa.exc.SQLAlchemyError as error:
            _discard(connection)
            raise _store_error(error) from error
        except BaseException:
            _discard(connection)
            raise

    def _unit(self) -> _Unit:
        unit: _Unit | None = getattr(self._local, "unit", None)
        assert unit is not None, "outside a unit of work"
        return unit

    @contextmanager
    def _reading(self) -> Iterator[_Unit]:
        """The current unit of work or block of reads, or a new block of reads."""
        unit: _Unit | None = getattr(self._local, "unit", None)
        if unit is not None:
            yield unit
            return
        with self.read_transaction():
            yield self._local.unit

    @contextmanager
    def _changing(self) -> Iterator[_Unit]:
        """The current unit of work, or a new one over the whole catalog (a store
        written to directly, outside the service)."""
        unit: _Unit | None = getattr(self._local, "unit", None)
        if unit is not None and not unit.reading:
            yield unit
            return
        with self.transaction():
            yield self._local.unit

    def _rows(self, unit: _Unit, statement: Executable, params: Any = None) -> list[Any]:
        """*statement*'s rows on *unit*, each indexed by column position (on the
        driver, sent after the unit's writes not sent yet, in one round trip)."""
        driver = self._driver
        if unit.driven and driver is not None:
            read = driver.read(statement, params)  # if it fails, the writes stay kept
            writes = unit.take_writes()
            return self._on_driver(
                unit, lambda connection: driver.rows(connection, read, after=writes)
            )
        return list(self._run(unit, statement, params))

    def _execute(self, unit: _Unit, statement: Executable, params: Any = None) -> None:
        """Run *statement* on *unit* (once for each of a list of *params*).  On the
        driver it is kept, to be sent with the unit's next read or its COMMIT, in
        one round trip (or, before a savepoint starts or ends, in one of its own)."""
        driver = self._driver
        if unit.driven and driver is not None:
            unit.writes.append(driver.write(statement, params))
        else:
            self._run(unit, statement, params)

    def _send_writes(self, unit: _Unit) -> None:
        """Send what the unit of work wrote and has not sent yet."""
        driver, writes = self._driver, unit.take_writes()
        if writes and driver is not None:
            self._on_driver(unit, lambda connection: driver.send(connection, writes))

    def _commit(self, unit: _Unit) -> None:
        """Commit the unit of work: on the driver, its writes not sent yet and
        ``COMMIT`` in one round trip."""
        driver, writes = self._driver, unit.take_writes()
        if unit.driver is None or driver is None:
            unit.alchemy.commit()
        else:  # the server is in the transaction the store began: COMMIT ends it
            driver.send(unit.driver, writes, commit=True)

    def _on_driver(self, unit: _Unit, work: Callable[[Any], _T]) -> _T:
        """*work* done on *unit*'s psycopg connection; a block of reads checks one
        out of the pool (in autocommit) at its first statement.  A driver's error
        is raised as SQLAlchemy's would be (:func:`_wrapped`).  In a block of
        reads, a connection the database dropped is replaced and *work* done
        again, once: each statement stands alone there, so nothing is lost."""
        for attempt in (1, 2):
            try:
                if unit.driver is None:
                    unit.check_out(self._engine)
                return work(unit.driver)
            except _DRIVER_ERRORS as error:
                wrapped = unit.failed(error)
                if not (attempt == 1 and unit.reading and _connection_lost(wrapped)):
                    raise wrapped from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, unit: _Unit, statement: Executable, params: Any = None) -> Any:
        """*statement*'s result on *unit*'s connection, with *params*.  In a block of
        reads, a connection the database dropped is replaced and the statement sent
        again, once, where nothing is lost by it: on PostgreSQL, where each statement
        stands alone, or at a snapshot's first statement."""
        first, unit.fresh = unit.fresh, False
        try:
            return unit.alchemy.execute(statement, params)
        except sa.exc.DBAPIError as error:
            if not ((unit.standalone or (first and unit.reading)) and _connection_lost(error)):
                raise
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                unit.alchemy.close()
            unit.connection = self._connect(reading=True, snapshot=not unit.standalone)
            return unit.connection.execute(statement, params)

    # Accounts -----------------------------------------------------------------------

    def get_account(self, account_id: str) -> AccountProfile | None:
        with self._reading() as unit:
            known = unit.accounts
            if account_id in known:
                return known[account_id]
            scope = unit.scope
            if not unit.reading and scope and account_id in scope:
                # The accounts this unit locked: all of them in one statement, now
                # that their locks are held (nobody else changes them until it ends).
                rows = self._rows(unit, self._sql.accounts, {"ids": sorted(scope)})
                found = {row[0]: _account_of(*row) for row in rows}
                for member in scope:
                    known[member] = found.get(member)
                return known[account_id]
            rows = self._rows(unit, self._sql.account, {"id": account_id})
            return _account_of(*rows[0]) if rows else None

    def account_exists(self, account_id: str) -> bool:
        """Whether the account is registered.  An account, once registered, is
        never removed: the store remembers those it has seen committed, and asks
        the database only about the others."""
        if account_id in self._known_accounts:
            return True
        with self._reading() as unit:
            if account_id in unit.accounts:
                return unit.accounts[account_id] is not None
            if not self._rows(unit, self._sql.account, {"id": account_id}):
                return False
            if account_id not in unit.added_accounts:  # else: committed only with the unit
                self._known_accounts.add(account_id)
            return True

    def add_account(self, profile: AccountProfile | Account) -> None:
        if isinstance(profile, Account):
            deprecated("store.add_account(Account)", "pass an AccountProfile")
            profile = AccountProfile(account=profile)
        with self._changing() as unit:
            self._execute(unit, self._sql.insert_account, _account_row(profile))
            unit.added_accounts.add(profile.id)
            unit.remember_account(profile)

    def replace_account(self, profile: AccountProfile) -> None:
        row = _account_row(profile)
        with self._changing() as unit:
            self._execute(
                unit,
                self._sql.update_account,
                {"id_": row["id"], "trusted_sharers": row["trusted_sharers"]},
            )
            unit.remember_account(profile)

    def all_accounts(self) -> Iterator[AccountProfile]:
        with self._reading() as unit:
            rows = self._rows(unit, self._sql.all_accounts)
        return iter([_account_of(*row) for row in rows])

    # Images -------------------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        with self._reading() as unit:
            loaded = unit.images.get(image_id)
            if loaded is not None:
                return loaded.image
            rows = self._rows(unit, self._sql.image_by_id, {"id": image_id})
            return self._loaded(unit, rows[0]) if rows else None

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        with self._reading() as unit:
            rows = self._rows(
                unit,
                self._sql.image_by_name,
                {"owner": owner.id, "region": region.id, "name": name},
            )
            return self._loaded(unit, rows[0]) if rows else None

    def add_image(self, image: Image) -> None:
        record = image_record(image)
        row = _image_row(record)
        shares = _share_rows(record)
        with self._changing() as unit:
            self._execute(unit, self._sql.insert_image, row)
            if shares:
                self._execute(unit, self._sql.insert_shares, shares)
            unit.remember_image(image, row, shares)

    def replace_image(self, image: Image) -> None:
        """Write what changed since the image was read in this unit of work: the
        changed columns, the shares added (one statement) and those cancelled (one
        statement); an image not read in it is written whole."""
        record = image_record(image)
        row = _image_row(record)
        with self._changing() as unit:
            before = unit.images.get(image.id)
            changed = (
                {key: value for key, value in row.items() if before.row.get(key) != value}
                if before is not None
                else {key: value for key, value in row.items() if key != "id"}
            )
            if changed:
                self._execute(unit, self._sql.update_image, {**changed, "image_id_": image.id})
            shares = self._write_shares(
                unit, record, before, rewrite="region" in changed or "created_at" in changed
            )
            unit.remember_image(image, row, shares)

    def _write_shares(
        self, unit: _Unit, record: ImageRecord, before: _Loaded | None, *, rewrite: bool
    ) -> list[dict[str, Any]]:
        """Bring the image's share rows from *before* to *record*'s; the rows now.

        When the shares kept are still in their order and the new ones come after
        them (what sharing and cancelling do), the cancelled ones are deleted in
        one statement and the new ones inserted in one; else all are rewritten."""
        wanted = [(share.account, encode_time(share.shared_at)) for share in record.shared_with]
        if before is not None and not rewrite:
            keep = set(wanted)
            had = [(share["account_id"], share["shared_at"]) for share in before.shares]
            kept = [entry for entry in had if entry in keep]
            if wanted[: len(kept)] == kept:
                gone = [account for account, shared_at in had if (account, shared_at) not in keep]
                if gone:
                    self._execute(
                        unit,
                        self._sql.delete_some_shares,
                        {"image_id_": record.id, "accounts_": gone},
                    )
                rows = [
                    share
                    for share in before.shares
                    if (share["account_id"], share["shared_at"]) in keep
                ]
                start = max((share["position"] for share in before.shares), default=-1) + 1
                added = [
                    _share_row(record, account, shared_at, start + number)
                    for number, (account, shared_at) in enumerate(wanted[len(kept) :])
                ]
                if added:
                    self._execute(unit, self._sql.insert_shares, added)
                return rows + added
        self._execute(unit, self._sql.delete_shares, {"image_id_": record.id})
        rows = _share_rows(record)
        if rows:
            self._execute(unit, self._sql.insert_shares, rows)
        return rows

    def remove_image(self, image_id: str) -> None:
        with self._changing() as unit:
            self._execute(unit, self._sql.delete_shares, {"image_id_": image_id})
            self._execute(unit, self._sql.delete_image, {"image_id_": image_id})
            unit.images.pop(image_id, None)

    def all_images(self) -> Iterator[Image]:
        with self._reading() as unit:
            rows = self._rows(unit, self._sql.all_images)
        return iter([_image(row) for row in rows])

    def select_images(
        self, group: ImageGroup, query: ImageQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[Image]]:
        """One group's page, in listing order, with its count, in one statement."""
        return self.select_image_groups([group], query, offset, limit)[0]

    def select_image_groups(
        self, groups: Sequence[ImageGroup], query: ImageQuery, offset: int, limit: int
    ) -> list[tuple[int, Sequence[Image]]]:
        """Several groups listed as one (group after group, each in listing order):
        for each group, how many of its images pass *query* and those of them on
        the page from *offset*, at most *limit* in all; one statement, so the
        counts and the page come from one snapshot.

        Exact filters (IDs, OS types, architectures) run in SQL; the substring
        filters (names, platforms, ...) are checked here with
        :meth:`ImageQuery.matches`, which folds case exactly as the in-memory
        store does (SQL's ``lower`` and ``LIKE`` do not): then every image of the
        groups that passes the SQL filters is read."""
        if not groups:
            return []
        kinds = tuple(group.kind for group in groups)
        params: dict[str, Any] = {}
        for number, group in enumerate(groups):
            params[f"region{number}"] = group.region.id
            if group.kind is not ImageKind.PUBLIC:
                assert group.account is not None
                params[f"account{number}"] = group.account.id
        filters = []
        if query.ids is not None:
            filters.append("ids")
            params["ids"] = sorted(query.ids)
        if query.os_types is not None:
            filters.append("os_types")
            params["os_types"] = sorted(kind.value for kind in query.os_types)
        if query.architectures is not None:
            filters.append("architectures")
            params["architectures"] = sorted(arch.value for arch in query.architectures)
        in_python = any(getattr(query, name) is not None for name in _PYTHON_FILTERS)
        sql = self._sql
        with self._reading() as unit:
            if in_python:
                rows = self._rows(unit, sql.listing(kinds, tuple(filters), "all"), params)
                return _filtered(rows, len(groups), query, offset, limit)
            if not limit:
                (row,) = self._rows(unit, sql.listing(kinds, tuple(filters), "count"), params)
                return [(int(count), []) for count in row]
            params.update(offset=offset, limit=limit, last=offset + limit)
            rows = self._rows(unit, sql.listing(kinds, tuple(filters), "page"), params)
        # A page's rows: each group's count, then the group's number and the image
        # (none: the page is empty, and the one row carries only the counts).
        number = len(groups)
        totals = [int(count) for count in rows[0][:number]]
        found: list[list[Image]] = [[] for _ in groups]
        for row in rows:
            group = row[number]
            if group is not None:
                found[group].append(_image(row, number + 1))
        return list(zip(totals, found, strict=True))

    def _loaded(self, unit: _Unit, row: Any) -> Image:
        """The image of *row*, remembered by a unit of work (which may replace it)."""
        image = _image(row)
        if not unit.reading:
            unit.remember_loaded(image, row)
        return image

    # Instances ----------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        with self._reading() as unit:
            rows = self._rows(unit, self._sql.instance_by_id, {"id": instance_id})
        return _instance(rows[0]) if rows else None

    def add_instance(self, instance: Instance) -> None:
        row = _instance_row(instance_record(instance))
        with self._changing() as unit:
            self._execute(unit, self._sql.insert_instance, row)

    def select_instances(
        self, owner: Account, region: Region | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Instance]]:
        """A page of *owner*'s instances and their count, in one statement."""
        params: dict[str, Any] = {"owner": owner.id, "offset": offset, "limit": limit}
        if region is not None:
            params["region"] = region.id
        statement = self._sql.instance_pages[(region is not None, not limit)]
        with self._reading() as unit:
            rows = self._rows(unit, statement, params)
        # Rows: the count, then the instance (none: an empty page's one row).
        return int(rows[0][0]), [_instance(row, 1) for row in rows if limit and row[1] is not None]

    def all_instances(self) -> Iterator[Instance]:
        with self._reading() as unit:
            rows = self._rows(unit, self._sql.all_instances)
        return iter([_instance(row) for row in rows])


#: One group of a listing: its number, its rows' source, the conditions, the order.
_Part = tuple[int, sa.FromClause, list[Any], tuple[Any, ...]]


def _filtered(
    rows: Sequence[Any], groups: int, query: ImageQuery, offset: int, limit: int
) -> list[tuple[int, Sequence[Image]]]:
    """Each group's count of the images of *rows* that pass *query*, and its share
    of the page from *offset*, at most *limit* in all."""
    matches: list[list[Image]] = [[] for _ in range(groups)]
    for row in rows:  # each: the group's number, then the image
        image = _image(row, 1)
        if query.matches(image):
            matches[row[0]].append(image)
    answer: list[tuple[int, Sequence[Image]]] = []
    for found in matches:
        taken = found[offset : offset + limit]
        answer.append((len(found), taken))
        offset = max(offset - len(found), 0)
        limit -= len(taken)
    return answer


@attrs.define
class _Loaded:
    """An image a unit of work read or wrote, with its row and its share rows as
    the database now holds them (so a replacement writes only what changed)."""

    image: Image
    row: dict[str, Any]
    shares: list[dict[str, Any]]


class _Unit:
    """What one thread's open unit of work (or block of reads) holds."""

    __slots__ = (
        "accounts",
        "added_accounts",
        "autocommit",
        "connection",
        "driven",
        "driver",
        "fresh",
        "images",
        "pooled",
        "reading",
        "scope",
        "standalone",
        "writes",
    )

    def __init__(
        self,
        connection: Connection | None,
        *,
        scope: frozenset[str] | None,
        reading: bool = False,
        driver: Any = None,
    ) -> None:
        #: SQLAlchemy's connection (None: a block of reads on the driver).
        self.connection = connection
        #: The driver's connection, when the store began the transaction itself on
        #: it (and so ends it itself), or reads on it; else None.
        self.driver = driver
        #: Its statements are sent on the driver (see imagecatalog._sqldriver).
        self.driven = False
        #: The pool's connection a block of reads on the driver checked out, and
        #: whether it was in autocommit when checked out.
        self.pooled: Any = None
        self.autocommit = False
        #: On the driver, what the unit wrote and has not sent yet (see _execute).
        self.writes: list[Bound] = []
        #: The accounts whose locks it holds; None: the whole catalog's.
        self.scope = scope
        self.reading = reading
        #: Each statement stands alone (autocommit): one may be sent again.
        self.standalone = False
        #: No statement was sent on it yet.
        self.fresh = True
        #: What it has read or written, while it lasts (a write only: reads stand alone).
        self.accounts: dict[str, AccountProfile | None] = {}
        self.images: dict[str, _Loaded] = {}
        #: The accounts it registered (known to exist only once it commits).
        self.added_accounts: set[str] = set()

    def remember_account(self, profile: AccountProfile) -> None:
        if self.scope is None or profile.id in self.scope:
            self.accounts[profile.id] = profile

    def remember_loaded(self, image: Image, row: Sequence[Any]) -> None:
        """Remember *image*, read from *row* (an image select's: the image's columns,
        then its shares)."""
        end = len(_IMAGE_COLUMNS)
        self.images[image.id] = _Loaded(
            image=image,
            row=dict(zip(_IMAGE_COLUMNS, row[:end], strict=True)),
            shares=[
                {"account_id": share[1], "shared_at": share[2], "position": share[0]}
                for share in _share_list(row[end])
            ],
        )

    def remember_image(
        self, image: Image, row: dict[str, Any], shares: list[dict[str, Any]]
    ) -> None:
        self.images[image.id] = _Loaded(image=image, row=dict(row), shares=shares)

    @property
    def alchemy(self) -> Connection:
        """SQLAlchemy's connection (every unit of work has one; a block of reads
        on the driver has none)."""
        assert self.connection is not None, "a block of reads on the driver"
        return self.connection

    def check_out(self, engine: Engine) -> None:
        """A block of reads on the driver: a connection from the pool, in autocommit
        (given back as it came: see :meth:`close`)."""
        pooled = engine.raw_connection()
        driver: Any = pooled.driver_connection
        self.pooled, self.autocommit = pooled, bool(driver.autocommit)
        driver.autocommit = True
        self.driver = driver

    def failed(self, error: BaseException) -> sa.exc.SQLAlchemyError:
        """*error*, a driver's, as SQLAlchemy's (:func:`_wrapped`); a connection it
        found lost is invalidated (and a block of reads' given up: the next
        statement checks out another)."""
        if self.connection is not None:
            return _wrapped(error, self.connection)
        pooled = self.pooled
        driver: Any = None if pooled is None else pooled.driver_connection
        lost = bool(driver is None or driver.broken or driver.closed)
        if lost and pooled is not None:
            _invalidate_pool(pooled, error)
            self.pooled = self.driver = None
        return _as_sqlalchemy(error, lost=lost)

    def close(self) -> None:
        """Give the connection back to the pool (out of autocommit, as it was)."""
        if self.connection is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self.connection.close()
        pooled, self.pooled, self.driver = self.pooled, None, None
        if pooled is not None:
            try:
                pooled.driver_connection.autocommit = self.autocommit
            except _FAILURES:  # mid-statement (interrupted): not fit to go back
                with contextlib.suppress(*_FAILURES):
                    pooled.invalidate()
            with contextlib.suppress(*_FAILURES):
                pooled.close()

    def take_writes(self) -> list[Bound]:
        """The writes not sent yet, which it no longer keeps."""
        writes, self.writes = self.writes, []
        return writes

    def rollback(self) -> None:
        """Roll back, if the connection can still say so (a lost one has nothing to
        undo: the database rolls back what a lost connection left unfinished)."""
        self.writes = []  # never sent
        if self.driver is None:
            _rollback(self.alchemy)
            return
        with contextlib.suppress(*_FAILURES):
            if self.driver.info.transaction_status in _PG_IN_TRANSACTION:
                log_sent("ROLLBACK")  # psycopg sends it only then
            self.driver.rollback()

    def forget(self) -> None:
        self.accounts.clear()
        self.images.clear()


# Statements, built once ----------------------------------------------------------------
#
# Building a SQLAlchemy statement costs far more than running it: each statement
# here is built once (per dialect, and per shape for listings), its values bound
# at execution, so that SQLAlchemy also compiles it once.


def _param(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name)


def _in(dialect: str, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    """*column* is one of the list bound to *name*: on PostgreSQL ``= ANY`` of an
    array (one parameter, so the statement's text never changes with the list's
    length), elsewhere ``IN`` the list's values."""
    if dialect == "postgresql":
        # Text as VARCHAR[] (no length: a cast to VARCHAR(n) would cut longer values).
        item = sa.String() if isinstance(column.type, sa.String) else column.type
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(item)))
    return column.in_(sa.bindparam(name, expanding=True))


class _Statements:
    """The statements of a store on one dialect (see :func:`_statements`)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        shares = _shares_column(dialect)
        self.images = sa.select(*_IMAGES.c, shares)
        self.image_by_id = self.images.where(_IMAGES.c.id == _param("id"))
        self.image_by_name = self.images.where(
            _IMAGES.c.owner == _param("owner"),
            _IMAGES.c.region == _param("region"),
            _IMAGES.c.name == _param("name"),
        )
        self.all_images = self.images.order_by(_IMAGES.c.created_at, _IMAGES.c.id)
        self.insert_image = sa.insert(_IMAGES)
        self.update_image = sa.update(_IMAGES).where(_IMAGES.c.id == _param("image_id_"))
        self.delete_image = sa.delete(_IMAGES).where(_IMAGES.c.id == _param("image_id_"))
        self.insert_shares = sa.insert(_SHARES)
        self.delete_shares = sa.delete(_SHARES).where(_SHARES.c.image_id == _param("image_id_"))
        self.delete_some_shares = sa.delete(_SHARES).where(
            _SHARES.c.image_id == _param("image_id_"),
            _in(dialect, _SHARES.c.account_id, "accounts_"),
        )
        account = sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.trusted_sharers)
        self.account = account.where(_ACCOUNTS.c.id == _param("id"))
        self.accounts = account.where(_in(dialect, _ACCOUNTS.c.id, "ids"))
        self.all_accounts = account.order_by(_ACCOUNTS.c.seq, _ACCOUNTS.c.id)
        self.insert_account = sa.insert(_ACCOUNTS).from_select(
            ["id", "trusted_sharers", "seq"],
            sa.select(
                sa.bindparam("id", type_=sa.String),
                sa.bindparam("trusted_sharers", type_=sa.Text),
                sa.select(sa.func.coalesce(sa.func.max(_ACCOUNTS.c.seq), 0) + 1).scalar_subquery(),
            ),
        )
        self.update_account = (
            sa.update(_ACCOUNTS)
            .where(_ACCOUNTS.c.id == _param("id_"))
            .values(trusted_sharers=_param("trusted_sharers"))
        )
        columns = [column.name for column in _INSTANCES.c if column.name != "seq"]
        self.instance_columns = tuple(columns)
        self.insert_instance = sa.insert(_INSTANCES).from_select(
            [*columns, "seq"],
            sa.select(
                *[sa.bindparam(name, type_=_INSTANCES.c[name].type) for name in columns],
                sa.select(sa.func.coalesce(sa.func.max(_INSTANCES.c.seq), 0) + 1).scalar_subquery(),
            ),
        )
        self.instance_by_id = sa.select(_INSTANCES).where(_INSTANCES.c.id == _param("id"))
        self.all_instances = sa.select(_INSTANCES).order_by(
            _INSTANCES.c.launched_at, _INSTANCES.c.id
        )
        self.instance_pages = {
            (by_region, counting): _instance_listing(by_region, counting_only=counting)
            for by_region in (False, True)
            for counting in (False, True)
        }
        self._listings: dict[tuple[Any, ...], Executable] = {}
        self._locks: dict[int | None, Executable] = {}

    def lock(self, count: int | None) -> Executable:
        """The locks of a unit of work (see :func:`_lock_parameters`): the catalog's
        exclusively (*count* None), or shared with *count* accounts' after it."""
        statement = self._locks.get(count)
        if statement is None:
            catalog = sa.bindparam("catalog", type_=sa.BigInteger)
            if count is None:
                statement = sa.select(sa.func.pg_advisory_xact_lock(catalog))
            else:
                # PostgreSQL evaluates a select list left to right: the catalog's
                # lock first, then each account's, in the order of the keys bound.
                statement = sa.select(
                    sa.func.pg_advisory_xact_lock_shared(catalog),
                    *[
                        sa.func.pg_advisory_xact_lock(sa.bindparam(f"k{n}", type_=sa.BigInteger))
                        for n in range(count)
                    ],
                )
            self._locks[count] = statement
        return statement

    def lock_legacy(self) -> Executable:
        """The catalog's lock and 0.1.x's, both exclusive (see :func:`_lock`)."""
        statement = self._locks.get(-1)
        if statement is None:
            statement = self._locks[-1] = sa.select(
                sa.func.pg_advisory_xact_lock(sa.bindparam("catalog", type_=sa.BigInteger)),
                sa.func.pg_advisory_xact_lock(sa.bindparam("legacy", type_=sa.BigInteger)),
            )
        return statement

    def listing(
        self, kinds: tuple[ImageKind, ...], filters: tuple[str, ...], shape: str
    ) -> Executable:
        """The listing of groups of *kinds* (one after the other), with the SQL
        *filters*: their counts (*shape* ``"count"``), their counts and one page
        (``"page"``), or all their rows (``"all"``).  Binds ``region{n}`` and
        ``account{n}`` per group, the filters' lists, ``offset``, ``limit`` and
        ``last`` (how many of each group's first rows a page may need)."""
        key = (kinds, filters, shape)
        statement = self._listings.get(key)
        if statement is None:
            statement = self._listings[key] = self._build_listing(kinds, filters, shape)
        return statement

    def _build_listing(
        self, kinds: tuple[ImageKind, ...], filters: tuple[str, ...], shape: str
    ) -> Executable:
        parts = [_group_part(self.dialect, n, kind, filters) for n, kind in enumerate(kinds)]
        counts = [
            sa.select(sa.func.count()).select_from(source).where(*where).scalar_subquery()
            for _, source, where, _ in parts
        ]
        if shape == "count":
            return sa.select(*[count.label(f"n{n}") for n, count in enumerate(counts)])
        shares = _shares_column(self.dialect)
        branches = []
        for n, source, where, order in parts:
            branch = (
                sa.select(sa.literal(n).label("g"), *_IMAGES.c, shares)
                .select_from(source)
                .where(*where)
                .order_by(*order)
            )
            if shape == "page":
                branch = branch.limit(_param("last"))
            branches.append(sa.select(branch.subquery()))
        union = sa.union_all(*branches).subquery("listed")
        ordered = sa.select(union).order_by(union.c.g, union.c.created_at, union.c.id)
        if shape == "all":
            return ordered
        page = ordered.offset(_param("offset")).limit(_param("limit")).subquery("page")
        one = sa.select(sa.literal(1).label("one")).subquery("one")
        return (
            sa.select(*[count.label(f"n{n}") for n, count in enumerate(counts)], page)
            .select_from(one.outerjoin(page, sa.true()))
            .order_by(page.c.g, page.c.created_at, page.c.id)
        )


_STATEMENTS: dict[str, _Statements] = {}
_STATEMENTS_GUARD = threading.Lock()


def _statements(dialect: str) -> _Statements:
    """The statements for *dialect*, built once per process."""
    with _STATEMENTS_GUARD:
        found = _STATEMENTS.get(dialect)
        if found is None:
            found = _STATEMENTS[dialect] = _Statements(dialect)
        return found


def _group_part(dialect: str, number: int, kind: ImageKind, filters: tuple[str, ...]) -> _Part:
    """The rows of the *number*-th group of a listing, of *kind*: where they come
    from, the conditions (binding ``region{number}``, ``account{number}`` and the
    *filters*' lists), the order."""
    source: sa.FromClause
    region, account = _param(f"region{number}"), _param(f"account{number}")
    if kind is ImageKind.SHARED:
        source = _IMAGES.join(_SHARES, _SHARES.c.image_id == _IMAGES.c.id)
        where = [_SHARES.c.account_id == account, _SHARES.c.region == region]
        order: tuple[Any, ...] = (_SHARES.c.created_at, _SHARES.c.image_id)
    else:
        source = _IMAGES
        owner = (
            _IMAGES.c.owner.is_(None) if kind is ImageKind.PUBLIC else _IMAGES.c.owner == account
        )
        where = [owner, _IMAGES.c.region == region]
        order = (_IMAGES.c.created_at, _IMAGES.c.id)
    for name in filters:
        where.append(_in(dialect, _IMAGES.c[_FILTER_COLUMNS[name]], name))
    return number, source, where, order


#: The query's filters that run in SQL, and the column each filters.
_FILTER_COLUMNS = {"ids": "id", "os_types": "os_type", "architectures": "architecture"}


def _instance_listing(by_region: bool, *, counting_only: bool) -> Executable:
    """An owner's instances (``owner``; in ``region`` if *by_region*): their count,
    and unless *counting_only*, with the page from ``offset``, at most ``limit``."""
    where = [_INSTANCES.c.owner == _param("owner")]
    if by_region:
        where.append(_INSTANCES.c.region == _param("region"))
    count = sa.select(sa.func.count()).select_from(_INSTANCES).where(*where).scalar_subquery()
    if counting_only:
        return sa.select(count.label("total"))
    page = (
        sa.select(_INSTANCES)
        .where(*where)
        .order_by(_INSTANCES.c.launched_at, _INSTANCES.c.id)
        .offset(_param("offset"))
        .limit(_param("limit"))
        .subquery("page")
    )
    one = sa.select(sa.literal(1).label("one")).subquery("one")
    return (
        sa.select(count.label("total"), page)
        .select_from(one.outerjoin(page, sa.true()))
        .order_by(page.c.launched_at, page.c.id)
    )


#: The query's filters that run here in Python (with ImageQuery.matches): every one
#: but those select_images writes in SQL.  A new filter is filtered in Python until
#: someone writes its SQL.
_SQL_FILTERS = frozenset({"ids", "os_types", "architectures"})
_PYTHON_FILTERS = tuple(name for name in FILTER_FIELDS[1:] if name not in _SQL_FILTERS)


# Rows <-> records (imagecatalog.records maps records <-> values) ---------------------------


def _account_row(profile: AccountProfile) -> dict[str, Any]:
    record = account_record(profile)
    trusted = record.trusted_sharers
    return {"id": record.id, "trusted_sharers": None if trusted is None else json.dumps(trusted)}


def _account_of(account_id: str, trusted_sharers: str | None) -> AccountProfile:
    return account_from_record(
        from_data(
            {
                "id": account_id,
                "trusted_sharers": None if trusted_sharers is None else json.loads(trusted_sharers),
            },
            AccountRecord,
        )
    )


def _image_row(record: ImageRecord) -> dict[str, Any]:
    row = to_data(record)
    del row["shared_with"]
    row["software"] = json.dumps(row["software"])
    row["tags"] = json.dumps(row["tags"], ensure_ascii=False)
    return row


def _image(row: Sequence[Any], start: int = 0) -> Image:
    """The image of a row whose columns from *start* are an image select's (the
    image's columns, then its shares, aggregated).  Images are immutable values,
    so a row read again (a waiter polling, a listing paged through) is decoded
    once: the last :data:`DECODED_IMAGES` decoded are kept, keyed by the row's
    every value."""
    end = start + len(_IMAGE_COLUMNS)
    shares = row[end]
    if isinstance(shares, list):  # PostgreSQL's json, parsed: made hashable
        shares = tuple(tuple(share) for share in shares)
    return _decoded((*row[start:end], shares))


#: How many decoded images the SQL stores of a process keep (a few KiB each, with
#: the row they were decoded from).
DECODED_IMAGES = 4096
_IMAGE_COLUMNS = tuple(column.name for column in _IMAGES.c)
_INSTANCE_COLUMNS = tuple(column.name for column in _INSTANCES.c)


@functools.lru_cache(maxsize=DECODED_IMAGES)
def _decoded(values: tuple[Any, ...]) -> Image:
    """The image of a row's *values* (:data:`_IMAGE_COLUMNS`, then the shares),
    mapped column by column as :func:`~imagecatalog.records.image_from_record`
    maps a record, with every value checked by the domain's own validators; a
    value the domain refuses is a :class:`~imagecatalog.StoreError`."""
    mapping = dict(zip((*_IMAGE_COLUMNS, "shares"), values, strict=True))
    try:
        owner = mapping["owner"]
        support = mapping["support"]
        return Image(
            id=mapping["id"],
            name=mapping["name"],
            description=mapping["description"],
            region=Region.of(mapping["region"]),
            owner=None if owner is None else Account.of(owner),
            os_type=_OS_TYPES[mapping["os_type"]],
            platform=mapping["platform"],
            os_name=mapping["os_name"],
            architecture=_ARCHITECTURES[mapping["architecture"]],
            size_gb=mapping["size_gb"],
            state=_STATES[mapping["state"]],
            origin=_ORIGINS[mapping["origin"]],
            created_at=decode_time(mapping["created_at"]),
            licence_type=_LICENCE_TYPES[mapping["licence_type"]],
            software=json.loads(mapping["software"]),
            support=None if support is None else _SUPPORTS[support],
            copied_from=mapping["copied_from"],
            shared_with=[
                SharePermission(account=Account.of(account), shared_at=decode_time(shared_at))
                for _, account, shared_at in _share_list(mapping["shares"])
            ],
            boot_mode=_BOOT_MODES[mapping["boot_mode"]],
            tags=[Tag(tag["key"], tag["value"]) for tag in json.loads(mapping["tags"])],
            family=mapping["family"],
            deprecated=bool(mapping["deprecated"]),
            encrypted=bool(mapping["encrypted"]),
            kms_key_id=mapping["kms_key_id"],
        )
    except (KeyError, TypeError, ValueError) as error:  # InvalidParameterError is a ValueError
        raise StoreError(
            f"the database holds image {mapping['id']!r} with a value this release "
            f"cannot read ({type(error).__name__}: {error}); nothing was answered: "
            "repair the row, or restore the database from a snapshot"
        ) from error


def _members(enum_type: type[enum.Enum]) -> dict[str, Any]:
    return {member.value: member for member in enum_type}


_OS_TYPES = _members(OsType)
_ARCHITECTURES = _members(Architecture)
_STATES = _members(ImageState)
_ORIGINS = _members(ImageOrigin)
_LICENCE_TYPES = _members(LicenceType)
_SUPPORTS = _members(Support)
_BOOT_MODES = _members(BootMode)


def _share_list(value: object) -> list[tuple[int, str, str]]:
    """The aggregated shares of an image (JSON text, parsed JSON or NULL), each
    ``(position, account, shared_at)``, in position order."""
    if value is None:
        return []
    parsed = json.loads(value) if isinstance(value, str) else value
    assert isinstance(parsed, (list, tuple))
    return sorted((int(position), account, shared_at) for position, account, shared_at in parsed)


def _share_row(record: ImageRecord, account: str, shared_at: str, position: int) -> dict[str, Any]:
    return {
        "image_id": record.id,
        "account_id": account,
        "position": position,
        "shared_at": shared_at,
        "region": record.region,
        "created_at": encode_time(record.created_at),
    }


def _share_rows(record: ImageRecord) -> list[dict[str, Any]]:
    return [
        _share_row(record, share.account, encode_time(share.shared_at), position)
        for position, share in enumerate(record.shared_with)
    ]


def _shares_column(dialect: str) -> sa.Label[Any]:
    """An image's shares, aggregated into one JSON array of ``[position, account,
    shared_at]`` (a correlated subquery: the image and its shares in one row)."""
    shares = _SHARES.alias("s")
    entry: tuple[Any, ...] = (shares.c.position, shares.c.account_id, shares.c.shared_at)
    if dialect == "postgresql":
        aggregate = sa.func.json_agg(sa.func.json_build_array(*entry))
    else:
        aggregate = sa.func.json_group_array(sa.func.json_array(*entry))
    return (
        sa.select(aggregate)
        .where(shares.c.image_id == _IMAGES.c.id)
        .scalar_subquery()
        .label("shares")
    )


def _instance_row(record: InstanceRecord) -> dict[str, Any]:
    row = to_data(record)
    row["charges"] = json.dumps(row["charges"])
    return row


def _instance(row: Sequence[Any], start: int = 0) -> Instance:
    """The instance of a row whose columns from *start* are the instances table's."""
    data = dict(zip(_INSTANCE_COLUMNS, row[start : start + len(_INSTANCE_COLUMNS)], strict=True))
    del data["seq"]
    data["charges"] = json.loads(data["charges"])
    return instance_from_record(from_data(data, InstanceRecord))


def _store_error(
    error: sa.exc.SQLAlchemyError, *, committing: bool = False, in_unit: bool = False
) -> StoreError:
    """A database failure, as the catalog's own error: :class:`StoreUnavailableError`
    when the database could not be reached, was lost or was too busy (try again),
    else :class:`StoreError` (a fault to look into, which a retry would meet again).
    *in_unit*: the call was part of a larger unit of work, which is lost with it."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    what = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    again = (
        "the unit of work this call is part of is lost with it: do the whole unit again"
        if in_unit
        else "try again (the next call opens a new connection)"
    )
    unavailable = _unavailable(error)
    if unavailable is None:
        return StoreError(
            f"the database failed ({what}); the call was rolled back and changed nothing. "
            "This is not the call's fault, and trying again will likely fail the same way: "
            "look into the database (its log, its schema, its disk)"
        )
    if committing and _connection_lost(error):
        return StoreUnavailableError(
            f"the connection to the database was lost while the call committed ({what}): "
            "the database either committed all of the call or none of it; read the catalog "
            "to see which before you try again",
            outcome_unknown=True,
        )
    return StoreUnavailableError(
        f"{unavailable} ({what}); the call was rolled back and changed nothing: {again}",
        outcome_unknown=False,
    )


#: PostgreSQL's SQLSTATE classes and codes of a database that is away or busy.
_UNAVAILABLE_CLASSES = ("08", "53", "57")  # connection, resources, operator intervention
_LOCK_NOT_AVAILABLE = "55P03"
#: Transactions that met another's (deadlock, serialization failure): try again.
_CONFLICTS = ("40P01", "40001")


def _unavailable(error: sa.exc.SQLAlchemyError) -> str | None:
    """Why the database was not there for the call, or None if it was."""
    if isinstance(error, sa.exc.TimeoutError):
        return "every connection of the store's pool was busy for its pool_timeout"
    if _connection_lost(error):
        return "the connection to the database was lost"
    original = getattr(error, "orig", None)
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(state, str) and state:  # PostgreSQL says what it was
        if state == _LOCK_NOT_AVAILABLE:
            return "the call waited for another's lock longer than the store's lock_timeout"
        if state in _CONFLICTS:
            return "the call met another transaction's, which the database ended"
        if state[:2] in _UNAVAILABLE_CLASSES:
            return "the database could not serve the call"
        return None
    if isinstance(error, sa.exc.OperationalError):
        text = str(original or error).lower()
        if "database is locked" in text or "database table is locked" in text:
            return "the SQLite database stayed locked by another writer past the lock_timeout"
        if "connect" in text or "connection" in text or "server closed" in text:
            return "the database could not be reached"
    return None


def _connection_lost(error: BaseException) -> bool:
    return isinstance(error, sa.exc.DBAPIError) and bool(error.connection_invalidated)


def _discard(connection: Connection | None) -> None:
    """Roll back and give back a connection a unit of work could not begin on
    (closing it rolls back a transaction the store began on the driver, too)."""
    if connection is None:
        return
    _rollback(connection)
    with contextlib.suppress(*_FAILURES):
        connection.close()


def _rollback(connection: Connection) -> None:
    """Roll back, if the connection can still say so (a lost one has nothing to undo:
    the database rolls back what a lost connection left unfinished)."""
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        connection.rollback()


# Locks (PostgreSQL) ---------------------------------------------------------------------

#: The advisory lock 0.1.x took for every call, whatever the schema.  This release
#: takes it only while it checks or migrates a database's schema, so that a
#: migration never runs beside a 0.1.x call.
LEGACY_LOCK_KEY = zlib.crc32(b"imagecatalog") & 0x7FFFFFFF


def catalog_lock_key(schema: str) -> int:
    """The advisory lock key of the catalog in PostgreSQL schema *schema*: 63 bits
    of a BLAKE2b hash, positive.  Advisory locks are per database, so the key
    names the schema: catalogs in two schemas of one database never wait for
    each other."""
    digest = hashlib.blake2b(f"imagecatalog\0{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


def account_lock_key(account_id: str, schema: str = "public") -> int:
    """The advisory lock key of an account in the catalog of schema *schema*: 63
    bits of a BLAKE2b hash, made negative, so that it never meets a catalog's key
    (positive)."""
    digest = hashlib.blake2b(f"{schema}\0{account_id}".encode(), digest_size=8).digest()
    return -1 - (int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF)


def _begin_text(
    scope: frozenset[str],
    image_ids: tuple[str, ...],
    images: str | None,
    schema: str = "public",
) -> str:
    """``BEGIN``, the locks of a unit of work for *scope* in the catalog of
    *schema*, its accounts' rows and the rows of *image_ids* (*images*: the image
    select, to which the IDs are added): statements for one round trip (the
    simple query protocol, so the values are written in: lock keys are integers,
    and account and image IDs, checked by the service, are plain letters, digits
    and dashes; any other ID is quoted by the driver)."""
    keys = sorted({account_lock_key(account, schema) for account in scope})
    locks = [f"pg_advisory_xact_lock_shared({catalog_lock_key(schema):d})"]
    locks += [f"pg_advisory_xact_lock({key:d})" for key in keys]
    parts = ["BEGIN", f"SELECT {', '.join(locks)}"]
    if scope:
        parts.append(
            f"SELECT id, trusted_sharers FROM ic_accounts WHERE id IN ({_literals(scope)})"
        )
    if image_ids and images is not None:
        parts.append(f"{images} WHERE ic_images.id IN ({_literals(image_ids)})")
    return "; ".join(parts)


def _literals(values: Iterable[str]) -> str:
    """*values* as SQL string literals, sorted, without repeats."""
    unique = sorted(set(values))
    if all(_PLAIN.fullmatch(value) for value in unique):
        return ", ".join(f"'{value}'" for value in unique)
    from psycopg import sql

    return sql.SQL(", ").join(sql.Literal(value) for value in unique).as_string(None)


_PLAIN = re.compile(r"[0-9A-Za-z-]+")


def _driver_errors() -> tuple[type[Exception], ...]:
    """The driver's error type, where the store speaks to psycopg directly."""
    try:
        import psycopg
    except ImportError:  # SQLite only: the store never speaks to psycopg
        return ()
    return (psycopg.Error,)


#: What a database failure raises: SQLAlchemy's errors, and the driver's where the
#: store speaks to it directly.
_DRIVER_ERRORS = _driver_errors()
_FAILURES: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError, *_DRIVER_ERRORS)


def _wrapped(error: BaseException, connection: Connection | None) -> sa.exc.SQLAlchemyError:
    """*error*, as SQLAlchemy would have raised it (a driver's error, from where
    the store spoke to the driver directly, becomes a DBAPIError; a lost
    connection is marked so and the connection invalidated)."""
    if isinstance(error, sa.exc.SQLAlchemyError):
        return error
    lost = _broken(connection)
    if lost and connection is not None:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            _invalidate_pool(connection.connection, error)  # first: once per restart
            connection.invalidate()
    return _as_sqlalchemy(error, lost=lost)


def _invalidate_pool(pooled: Any, error: BaseException) -> None:
    """*pooled*, a connection the database dropped, and every connection of its
    pool opened before it, invalidated, as SQLAlchemy does when it meets a
    disconnect (a restarted server dropped them all): each is replaced when next
    checked out, so the next call finds a live one.  A connection opened after
    that moment is kept when another of the old ones is found dead."""
    with contextlib.suppress(*_FAILURES):
        pool = getattr(pooled, "_pool", None)
        if pool is not None and hasattr(pool, "_invalidate"):
            pool._invalidate(pooled, error)
        else:  # pragma: no cover - SQLAlchemy's pools all have it
            pooled.invalidate(error)


def _as_sqlalchemy(error: BaseException, *, lost: bool) -> sa.exc.SQLAlchemyError:
    """A driver's *error* as the DBAPIError SQLAlchemy would have raised (*lost*:
    the connection was lost with it)."""
    wrapped = sa.exc.DBAPIError.instance(None, None, error, Exception, connection_invalidated=lost)
    assert isinstance(wrapped, sa.exc.SQLAlchemyError)
    return wrapped


def _transaction_failed(connection: Connection) -> bool:
    """Whether PostgreSQL's transaction on *connection* failed (a statement raised:
    it runs no other, and answers COMMIT with ROLLBACK).  psycopg 3 and psycopg2
    say so; SQLite's transactions survive a failed statement."""
    try:
        driver: Any = connection.connection.driver_connection
    except sa.exc.SQLAlchemyError:
        return False
    info = getattr(driver, "info", None)  # psycopg 3
    if info is not None and hasattr(info, "transaction_status"):
        return bool(info.transaction_status == _PG_INERROR)
    status = getattr(driver, "get_transaction_status", None)  # psycopg2
    return bool(status is not None and status() == _PG_INERROR)


#: libpq's PQTRANS_INERROR: in a transaction that failed; and in one at all.
_PG_INERROR = 3
_PG_IN_TRANSACTION = (2, _PG_INERROR)


def _broken(connection: Connection | None) -> bool:
    if connection is None:
        return False
    try:
        driver = connection.connection.driver_connection
    except sa.exc.SQLAlchemyError:
        return True
    return bool(getattr(driver, "broken", False) or getattr(driver, "closed", False))


def _lock(
    statements: _Statements, scope: frozenset[str] | None, schema: str, *, legacy: bool = False
) -> tuple[Executable, Any]:
    """The statement and parameters that take a unit of work's locks, first thing,
    in the one order every unit takes them: the catalog's lock (exclusive for the
    whole catalog, else shared), then each account's, by ascending key; with
    *legacy* (checking or migrating the schema), 0.1.x's lock after the catalog's."""
    catalog = catalog_lock_key(schema)
    if scope is None:
        if legacy:
            return statements.lock_legacy(), {"catalog": catalog, "legacy": LEGACY_LOCK_KEY}
        return statements.lock(None), {"catalog": catalog}
    keys = sorted({account_lock_key(account, schema) for account in scope})
    params: dict[str, int] = {f"k{n}": key for n, key in enumerate(keys)}
    params["catalog"] = catalog
    return statements.lock(len(keys)), params


# Schema versions and migrations -------------------------------------------------------------


def _schema_version(connection: Connection) -> int | None:
    if not sa.inspect(connection).has_table(_META.name):
        return None
    value = connection.execute(
        sa.select(_META.c.value).where(_META.c.key == "schema_version")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _migrate(connection: Connection, found: int | None) -> None:
    """Bring the database on *connection* from schema *found* (None: empty) to
    :data:`SCHEMA_VERSION`, inside the caller's transaction."""
    _migrate_to(connection, found, SCHEMA_VERSION)


def _migrate_to(connection: Connection, found: int | None, target: int) -> None:
    """Bring the database on *connection* from schema *found* to *target*."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "imagecatalog:migrations")
    config.attributes["connection"] = connection
    has_history = sa.inspect(connection).has_table(VERSION_TABLE)
    if found is not None and not has_history:  # made by 0.1.0, before migrations
        command.stamp(config, REVISIONS[found])
    command.upgrade(config, REVISIONS[target])


# Engines ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _ConnectionSettings:
    """The connection settings of a store made from a URL."""

    pool_size: int = 5
    max_overflow: int = 10
    pool_timeout: float = 30.0
    connect_timeout: float = 10.0
    lock_timeout: float = 60.0
    #: The settings the caller gave (the others are defaults).
    given: tuple[str, ...] = ()

    @classmethod
    def checked(cls, **values: object) -> _ConnectionSettings:
        given = tuple(name for name, value in values.items() if value is not None)
        checked: dict[str, Any] = {}
        for name in given:
            value = values[name]
            if name in ("pool_size", "max_overflow"):
                checked[name] = require_int(value, name, minimum=1 if name == "pool_size" else 0)
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise InvalidParameterError(
                        f"{name} is a number of seconds, not {value!r}",
                        parameter=name,
                        value=value,
                    )
                if not 0 < value <= _MAX_SECONDS:
                    raise InvalidParameterError(
                        f"{name} must be more than 0 and at most {_MAX_SECONDS:,} seconds, "
                        f"not {value}",
                        parameter=name,
                        value=value,
                    )
                checked[name] = float(value)
        return cls(given=given, **checked)


_MAX_SECONDS = 86_400


def _current_schema(engine: Engine) -> str:
    """The PostgreSQL schema the store's tables are in (the first of the search
    path), which names its locks."""
    try:
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    except sa.exc.SQLAlchemyError as error:
        raise _store_error(error) from error
    if not isinstance(schema, str):
        raise StoreError(
            "the database's search path names no schema that exists, so the store has "
            "nowhere to keep its tables; create the schema, or fix the search path"
        )
    return schema


def _make_engine(url: str, settings: _ConnectionSettings) -> Engine:
    parsed = sa.make_url(url)
    pool = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout,
    }
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if in_memory:
            pooled = [name for name in settings.given if name in pool]
            if pooled:
                raise InvalidParameterError(
                    "an in-memory SQLite database is one connection that threads take turns "
                    f"on: {', '.join(pooled)} does not apply; use a SQLite file or PostgreSQL "
                    "for a pool",
                    parameter=pooled[0],
                    value=getattr(settings, pooled[0]),
                )
            return sa.create_engine(
                url,
                connect_args={"timeout": settings.lock_timeout, "check_same_thread": False},
                poolclass=sa.pool.StaticPool,
            )
        return sa.create_engine(
            url,
            connect_args={"timeout": settings.lock_timeout, "check_same_thread": False},
            poolclass=sa.pool.QueuePool,
            **pool,
        )
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        # libpq counts whole seconds; its options reach the server's settings
        # (added to any the URL already carries, such as a search_path).
        connect_args["connect_timeout"] = max(1, math.ceil(settings.connect_timeout))
        options = parsed.query.get("options", "")
        if not isinstance(options, str):
            options = " ".join(options)
        lock_ms = max(1, round(settings.lock_timeout * 1000))
        connect_args["options"] = f"{options} -c lock_timeout={lock_ms}".strip()
    return sa.create_engine(url, connect_args=connect_args, **pool)


def _connection_lock(engine: Engine) -> AbstractContextManager[object]:
    """What a transaction holds besides the database's own locks.

    An engine whose pool hands every thread the same connection (``StaticPool``,
    which an in-memory SQLite database needs) cannot run two transactions at
    once on it: a lock makes threads take turns.  A pool that gives each thread
    its own connection to an in-memory SQLite database (``SingletonThreadPool``)
    would give each thread its own, empty database: refused.  Any other pool
    gives each transaction a connection of its own.
    """
    pool = engine.pool
    if isinstance(pool, sa.pool.SingletonThreadPool):
        raise InvalidParameterError(
            "this engine's SingletonThreadPool gives each thread its own connection, and "
            "with an in-memory SQLite database each thread its own empty catalog; create "
            "the engine with poolclass=sqlalchemy.pool.StaticPool and "
            'connect_args={"check_same_thread": False}, or pass the URL "sqlite://"',
            parameter="url_or_engine",
            value=str(engine.url),
        )
    if isinstance(pool, sa.pool.StaticPool):
        with _ENGINE_LOCKS_GUARD:  # one lock per engine: several stores may share one
            lock = _ENGINE_LOCKS.get(engine)
            if lock is None:
                lock = _ENGINE_LOCKS[engine] = threading.RLock()
        return lock
    return contextlib.nullcontext()


_ENGINE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_ENGINE_LOCKS_GUARD = threading.Lock()


def _no_driver_transactions(dbapi_connection: Any, _: Any) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _write_ahead_log(engine: Engine) -> None:
    """A SQLite file in WAL mode: readers read a snapshot and never wait for the
    writer, nor the writer for them.  The mode stays with the file; it is set once
    the file's schema is known to be this release's (a database the store refuses
    is left as it was)."""
    if engine.url.database in (None, "", ":memory:"):
        return
    try:
        raw = engine.raw_connection()  # outside any transaction, as the pragma needs
        try:
            driver = raw.driver_connection
            assert driver is not None
            if driver.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                driver.execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()
    except (sa.exc.SQLAlchemyError, sqlite3.Error) as error:
        raise StoreError(
            f"the SQLite database could not be put in WAL mode ({error}); check that "
            "its folder is writable and on a local disk (WAL needs shared memory)"
        ) from error


def _begin_sqlite(connection: Connection) -> None:
    """A unit of work holds the write lock from its start (``BEGIN IMMEDIATE``);
    a block of reads takes none (``BEGIN``: a snapshot at its first read)."""
    if connection.get_execution_options().get("imagecatalog_reading"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _serialise_sqlite(engine: Engine) -> None:
    """SQLite: let SQLAlchemy, not the driver, begin transactions, and begin a unit
    of work with BEGIN IMMEDIATE so that it holds the write lock from its start
    (SQLAlchemy's documented recipe for pysqlite).  Once per engine: several
    stores may share one."""
    if not event.contains(engine, "connect", _no_driver_transactions):
        event.listen(engine, "connect", _no_driver_transactions)
    if not event.contains(engine, "begin", _begin_sqlite):
        event.listen(engine, "begin", _begin_sqlite)
