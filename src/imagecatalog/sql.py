"""One catalog for many processes and hosts: a CatalogStore on SQL.

:class:`SqlImageRepository` keeps the catalog in SQLite (one file, several
processes on one machine) or PostgreSQL (many processes, many hosts), through
SQLAlchemy 2 Core (``pip install "imagecatalog[sql]"``).

**Concurrency.** Each service call is one database transaction, and these
transactions run one at a time, reads included: on PostgreSQL every
transaction first takes one transaction-scoped advisory lock
(``pg_advisory_xact_lock``), the same key for the whole catalog; on SQLite
every transaction begins with ``BEGIN IMMEDIATE`` (the database's write lock).
So the service's check-then-write sequences (quota, share limit, names, delete
while shared) see no interleaving from other threads or processes, exactly as
the in-memory store's lock does for threads; unique constraints back the name
rule up.  The price is throughput: every call, a listing as much as a share,
queues behind that one lock (see the benchmarks).  A nested unit of work is a
``SAVEPOINT``.  An in-memory SQLite database (``"sqlite://"``) is one connection
that threads take turns on.

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
import json
import threading
import weakref
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from imagecatalog._deprecation import deprecated
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.exceptions import InvalidParameterError, SchemaVersionError, StoreError
from imagecatalog.images import Image, ImageKind
from imagecatalog.instances import Instance
from imagecatalog.query import FILTER_FIELDS, ImageGroup, ImageQuery
from imagecatalog.records import (
    AccountRecord,
    ImageRecord,
    InstanceRecord,
    account_from_record,
    account_record,
    encode_time,
    from_data,
    image_from_record,
    image_record,
    instance_from_record,
    instance_record,
    to_data,
)
from imagecatalog.regions import Region
from imagecatalog.repository import LegacyRepositoryMethods

__all__ = ["REVISIONS", "SCHEMA_VERSION", "VERSION_TABLE", "SqlImageRepository"]

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
    stores, in several processes, may open the same database: each service call
    is one transaction, and transactions run one at a time (see the module's
    documentation).
    """

    def __init__(
        self, url_or_engine: str | Engine, *, create: bool = True, migrate: bool = True
    ) -> None:
        if isinstance(url_or_engine, Engine):
            self._engine = url_or_engine
        else:
            self._engine = _make_engine(url_or_engine)
        self._dialect = self._engine.dialect.name
        if self._dialect == "sqlite":
            _serialise_sqlite(self._engine)
        self._single_connection_lock = _connection_lock(self._engine)
        self._local = threading.local()
        self._lock_key = zlib.crc32(b"imagecatalog") & 0x7FFFFFFF
        try:
            self._open(create=create, migrate=migrate)
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
        """Check the schema's version; create or migrate it, in one transaction."""
        with self.transaction():
            connection = self._local.connection
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

    # Unit of work -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One database transaction; a nested block is a savepoint (``SAVEPOINT``):
        when it raises, only its own writes are rolled back."""
        local = self._local
        current: Connection | None = getattr(local, "connection", None)
        if current is not None:
            with current.begin_nested():
                yield
            return
        with self._single_connection_lock, self._begin() as connection:
            local.connection = connection
            try:
                yield
            except sa.exc.SQLAlchemyError as error:  # a database failure, not a rule
                connection.rollback()
                raise _store_error(error) from error
            except BaseException:
                connection.rollback()
                raise
            else:
                try:
                    connection.commit()
                except sa.exc.SQLAlchemyError as error:
                    raise _store_error(error) from error
            finally:
                local.connection = None

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A connection in a new transaction that holds the catalog's lock; a database
        that cannot give one raises :class:`~imagecatalog.StoreError`."""
        connection: Connection | None = None
        try:
            connection = self._engine.connect()
            connection.begin()
            if self._dialect == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(self._lock_key)))
        except sa.exc.SQLAlchemyError as error:
            if connection is not None:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    connection.close()
            raise _store_error(error) from error
        with connection:
            yield connection

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "connection", None)
        if current is not None:
            yield current
            return
        with self.transaction():
            yield self._local.connection

    # Accounts -----------------------------------------------------------------------

    def get_account(self, account_id: str) -> AccountProfile | None:
        with self._connection() as db:
            row = db.execute(
                sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.trusted_sharers).where(
                    _ACCOUNTS.c.id == account_id
                )
            ).first()
        return None if row is None else _account(row)

    def add_account(self, profile: AccountProfile | Account) -> None:
        if isinstance(profile, Account):
            deprecated("store.add_account(Account)", "pass an AccountProfile")
            profile = AccountProfile(account=profile)
        row = _account_row(profile)
        with self._connection() as db:
            seq = db.execute(sa.select(sa.func.coalesce(sa.func.max(_ACCOUNTS.c.seq), 0))).scalar()
            db.execute(sa.insert(_ACCOUNTS).values(seq=int(seq or 0) + 1, **row))

    def replace_account(self, profile: AccountProfile) -> None:
        row = _account_row(profile)
        with self._connection() as db:
            db.execute(sa.update(_ACCOUNTS).where(_ACCOUNTS.c.id == profile.id).values(**row))

    def all_accounts(self) -> Iterator[AccountProfile]:
        with self._connection() as db:
            rows = db.execute(
                sa.select(_ACCOUNTS.c.id, _ACCOUNTS.c.trusted_sharers).order_by(_ACCOUNTS.c.seq)
            ).all()
        return iter([_account(row) for row in rows])

    # Images -------------------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        with self._connection() as db:
            row = db.execute(sa.select(_IMAGES).where(_IMAGES.c.id == image_id)).first()
            return None if row is None else self._images(db, [row])[0]

    def add_image(self, image: Image) -> None:
        record = image_record(image)
        with self._connection() as db:
            db.execute(sa.insert(_IMAGES).values(**_image_row(record)))
            self._insert_shares(db, record)

    def replace_image(self, image: Image) -> None:
        record = image_record(image)
        row = _image_row(record)
        del row["id"]
        with self._connection() as db:
            db.execute(sa.update(_IMAGES).where(_IMAGES.c.id == image.id).values(**row))
            db.execute(sa.delete(_SHARES).where(_SHARES.c.image_id == image.id))
            self._insert_shares(db, record)

    def remove_image(self, image_id: str) -> None:
        with self._connection() as db:
            db.execute(sa.delete(_SHARES).where(_SHARES.c.image_id == image_id))
            db.execute(sa.delete(_IMAGES).where(_IMAGES.c.id == image_id))

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        with self._connection() as db:
            row = db.execute(
                sa.select(_IMAGES).where(
                    _IMAGES.c.owner == owner.id,
                    _IMAGES.c.region == region.id,
                    _IMAGES.c.name == name,
                )
            ).first()
            return None if row is None else self._images(db, [row])[0]

    def all_images(self) -> Iterator[Image]:
        with self._connection() as db:
            rows = db.execute(sa.select(_IMAGES).order_by(_IMAGES.c.created_at, _IMAGES.c.id))
            return iter(self._images(db, rows.all()))

    def select_images(
        self, group: ImageGroup, query: ImageQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[Image]]:
        """One group's page, in listing order.  Exact filters (IDs, OS types,
        architectures) run in SQL; the substring filters (names, platforms)
        are checked here with :meth:`ImageQuery.matches`, which folds case
        exactly as the in-memory store does (SQL's ``lower`` and ``LIKE`` do not)."""
        source: sa.FromClause
        if group.kind is ImageKind.SHARED:
            assert group.account is not None
            source = _IMAGES.join(_SHARES, _SHARES.c.image_id == _IMAGES.c.id)
            where = [_SHARES.c.account_id == group.account.id, _SHARES.c.region == group.region.id]
            order = (_SHARES.c.created_at, _SHARES.c.image_id)
        else:
            source = _IMAGES
            owner = (
                _IMAGES.c.owner.is_(None)
                if group.kind is ImageKind.PUBLIC
                else _IMAGES.c.owner == (group.account.id if group.account else None)
            )
            where = [owner, _IMAGES.c.region == group.region.id]
            order = (_IMAGES.c.created_at, _IMAGES.c.id)
        if query.ids is not None:
            where.append(_IMAGES.c.id.in_(sorted(query.ids)))
        if query.os_types is not None:
            where.append(_IMAGES.c.os_type.in_(sorted(t.value for t in query.os_types)))
        if query.architectures is not None:
            where.append(_IMAGES.c.architecture.in_(sorted(a.value for a in query.architectures)))
        listing = sa.select(_IMAGES).select_from(source).where(*where).order_by(*order)
        with self._connection() as db:
            if any(getattr(query, name) is not None for name in _PYTHON_FILTERS):
                found = [
                    image
                    for image in self._images(db, db.execute(listing).all())
                    if query.matches(image)
                ]
                return len(found), found[offset : offset + limit]
            total = int(
                db.execute(
                    sa.select(sa.func.count()).select_from(source).where(*where)
                ).scalar_one()
            )
            if not limit or offset >= total:
                return total, []
            rows = db.execute(listing.offset(offset).limit(limit)).all()
            return total, self._images(db, rows)

    def _insert_shares(self, db: Connection, record: ImageRecord) -> None:
        if not record.shared_with:
            return
        created = encode_time(record.created_at)
        db.execute(
            sa.insert(_SHARES),
            [
                {
                    "image_id": record.id,
                    "account_id": share.account,
                    "position": position,
                    "shared_at": encode_time(share.shared_at),
                    "region": record.region,
                    "created_at": created,
                }
                for position, share in enumerate(record.shared_with)
            ],
        )

    def _images(self, db: Connection, rows: Sequence[Any]) -> list[Image]:
        """Images from their rows, with their shares (one query for all of them)."""
        if not rows:
            return []
        shares: dict[str, list[dict[str, str]]] = {}
        ids = [row.id for row in rows if row.owner is not None]
        for start in range(0, len(ids), 500):
            found = db.execute(
                sa.select(_SHARES.c.image_id, _SHARES.c.account_id, _SHARES.c.shared_at)
                .where(_SHARES.c.image_id.in_(ids[start : start + 500]))
                .order_by(_SHARES.c.image_id, _SHARES.c.position)
            )
            for share in found:
                shares.setdefault(share.image_id, []).append(
                    {"account": share.account_id, "shared_at": share.shared_at}
                )
        return [_image(row, shares.get(row.id, [])) for row in rows]

    # Instances ----------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        with self._connection() as db:
            row = db.execute(sa.select(_INSTANCES).where(_INSTANCES.c.id == instance_id)).first()
        return None if row is None else _instance(row)

    def add_instance(self, instance: Instance) -> None:
        row = _instance_row(instance_record(instance))
        with self._connection() as db:
            seq = db.execute(sa.select(sa.func.coalesce(sa.func.max(_INSTANCES.c.seq), 0))).scalar()
            db.execute(sa.insert(_INSTANCES).values(seq=int(seq or 0) + 1, **row))

    def select_instances(
        self, owner: Account, region: Region | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Instance]]:
        where = [_INSTANCES.c.owner == owner.id]
        if region is not None:
            where.append(_INSTANCES.c.region == region.id)
        with self._connection() as db:
            total = int(
                db.execute(
                    sa.select(sa.func.count()).select_from(_INSTANCES).where(*where)
                ).scalar_one()
            )
            if not limit or offset >= total:
                return total, []
            rows = db.execute(
                sa.select(_INSTANCES)
                .where(*where)
                .order_by(_INSTANCES.c.launched_at, _INSTANCES.c.id)
                .offset(offset)
                .limit(limit)
            ).all()
        return total, [_instance(row) for row in rows]

    def all_instances(self) -> Iterator[Instance]:
        with self._connection() as db:
            rows = db.execute(
                sa.select(_INSTANCES).order_by(_INSTANCES.c.launched_at, _INSTANCES.c.id)
            ).all()
        return iter([_instance(row) for row in rows])


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


def _account(row: Any) -> AccountProfile:
    text = row.trusted_sharers
    return account_from_record(
        from_data(
            {"id": row.id, "trusted_sharers": None if text is None else json.loads(text)},
            AccountRecord,
        )
    )


def _image_row(record: ImageRecord) -> dict[str, Any]:
    row = to_data(record)
    del row["shared_with"]
    row["software"] = json.dumps(row["software"])
    row["tags"] = json.dumps(row["tags"], ensure_ascii=False)
    return row


def _image(row: Any, shares: list[dict[str, str]]) -> Image:
    data = dict(row._mapping)
    data["software"] = json.loads(data["software"])
    data["tags"] = json.loads(data["tags"])
    data["shared_with"] = shares
    return image_from_record(from_data(data, ImageRecord))


def _instance_row(record: InstanceRecord) -> dict[str, Any]:
    row = to_data(record)
    row["charges"] = json.dumps(row["charges"])
    return row


def _instance(row: Any) -> Instance:
    data = dict(row._mapping)
    del data["seq"]
    data["charges"] = json.loads(data["charges"])
    return instance_from_record(from_data(data, InstanceRecord))


def _store_error(error: sa.exc.SQLAlchemyError) -> StoreError:
    """A database failure, as the catalog's own error (the transaction was rolled back)."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return StoreError(
        f"the database failed ({type(error).__name__}: {reason}); the call was rolled back "
        "and changed nothing: check the database, then try again"
    )


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


def _make_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        return sa.create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            poolclass=sa.pool.StaticPool if in_memory else sa.pool.QueuePool,
        )
    return sa.create_engine(url, pool_pre_ping=True)


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


def _immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _serialise_sqlite(engine: Engine) -> None:
    """SQLite: let SQLAlchemy, not the driver, begin transactions, and begin them
    with BEGIN IMMEDIATE so that a unit of work holds the write lock from its start
    (SQLAlchemy's documented recipe for pysqlite).  Once per engine: several stores
    may share one."""
    if not event.contains(engine, "connect", _no_driver_transactions):
        event.listen(engine, "connect", _no_driver_transactions)
    if not event.contains(engine, "begin", _immediate):
        event.listen(engine, "begin", _immediate)
