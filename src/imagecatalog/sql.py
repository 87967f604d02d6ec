"""One catalog for many processes and hosts: an ImageRepository on SQL.

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

**Schema.** Created on first use (or by :meth:`SqlImageRepository.create_schema`)
with its version recorded in ``imagecatalog_meta``; opening a database whose
schema is newer than this release knows fails with a clear error.  Indexes
serve each listing and count without scanning the tables.

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
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from imagecatalog.accounts import Account
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import (
    Architecture,
    Image,
    ImageOrigin,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
    Support,
)
from imagecatalog.instances import Instance
from imagecatalog.pricing import Charge, ChargeItem
from imagecatalog.regions import Region

__all__ = ["SCHEMA_VERSION", "SqlImageRepository"]

#: The schema version this release writes and reads.
SCHEMA_VERSION = 1

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
)


def _time(moment: datetime) -> str:
    """Fixed-width UTC text that sorts like the times it holds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


class SqlImageRepository:
    """An :class:`~imagecatalog.ImageRepository` in a SQL database.

    *url_or_engine* is a SQLAlchemy URL (``sqlite:///catalog.db``,
    ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) or an
    :class:`~sqlalchemy.engine.Engine`.  With *create* (the default) the schema
    is created when missing.  Several repositories, in several processes, may
    open the same database: each service call is one transaction, and writing
    transactions run one at a time (see the module's documentation).
    """

    def __init__(self, url_or_engine: str | Engine, *, create: bool = True) -> None:
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
        if create:
            self.create_schema()
        else:
            self._check_version()

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
        """Create the tables and indexes if they are missing; record the schema version.

        Refuses a database whose schema is newer than this release knows.
        """
        with self._engine.begin() as connection:
            _METADATA.create_all(connection, checkfirst=True)
            version = connection.execute(
                sa.select(_META.c.value).where(_META.c.key == "schema_version")
            ).scalar_one_or_none()
            if version is None:
                connection.execute(
                    sa.insert(_META).values(key="schema_version", value=str(SCHEMA_VERSION))
                )
        self._check_version()

    def _check_version(self) -> None:
        with self._engine.connect() as connection:
            version = (
                connection.execute(
                    sa.select(_META.c.value).where(_META.c.key == "schema_version")
                ).scalar_one_or_none()
                if sa.inspect(connection).has_table(_META.name)
                else None
            )
        if version is None:
            raise InvalidParameterError(
                "this database has no imagecatalog schema; open it with create=True or "
                "call create_schema()",
                parameter="url_or_engine",
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if int(version) > SCHEMA_VERSION:
            raise InvalidParameterError(
                f"this database has imagecatalog schema version {version}, newer than the "
                f"version {SCHEMA_VERSION} this release knows; upgrade imagecatalog",
                parameter="url_or_engine",
                value=version,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )

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
        with self._single_connection_lock, self._engine.connect() as connection:
            connection.begin()
            if self._dialect == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(self._lock_key)))
            local.connection = connection
            try:
                yield
            except BaseException:
                connection.rollback()
                raise
            else:
                connection.commit()
            finally:
                local.connection = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "connection", None)
        if current is not None:
            yield current
            return
        with self.transaction():
            yield self._local.connection

    # Accounts -----------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        with self._connection() as db:
            seq = db.execute(sa.select(sa.func.coalesce(sa.func.max(_ACCOUNTS.c.seq), 0))).scalar()
            db.execute(sa.insert(_ACCOUNTS).values(id=account.id, seq=int(seq or 0) + 1))

    def has_account(self, account_id: str) -> bool:
        with self._connection() as db:
            found = db.execute(sa.select(_ACCOUNTS.c.id).where(_ACCOUNTS.c.id == account_id))
            return found.first() is not None

    def accounts(self) -> Iterator[Account]:
        with self._connection() as db:
            rows = db.execute(sa.select(_ACCOUNTS.c.id).order_by(_ACCOUNTS.c.seq)).all()
        return iter([Account.of(row.id) for row in rows])

    def trusted_sharers(self, account_id: str) -> frozenset[str] | None:
        with self._connection() as db:
            text = db.execute(
                sa.select(_ACCOUNTS.c.trusted_sharers).where(_ACCOUNTS.c.id == account_id)
            ).scalar_one_or_none()
        return None if text is None else frozenset(json.loads(text))

    def set_trusted_sharers(self, account_id: str, sharers: frozenset[str] | None) -> None:
        value = None if sharers is None else json.dumps(sorted(sharers))
        with self._connection() as db:
            db.execute(
                sa.update(_ACCOUNTS)
                .where(_ACCOUNTS.c.id == account_id)
                .values(trusted_sharers=value)
            )

    # Images -------------------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        with self._connection() as db:
            row = db.execute(sa.select(_IMAGES).where(_IMAGES.c.id == image_id)).first()
            return None if row is None else self._images(db, [row])[0]

    def add_image(self, image: Image) -> None:
        with self._connection() as db:
            db.execute(sa.insert(_IMAGES).values(**_image_row(image)))
            self._insert_shares(db, image)

    def replace_image(self, image: Image) -> None:
        with self._connection() as db:
            row = _image_row(image)
            del row["id"]
            db.execute(sa.update(_IMAGES).where(_IMAGES.c.id == image.id).values(**row))
            db.execute(sa.delete(_SHARES).where(_SHARES.c.image_id == image.id))
            self._insert_shares(db, image)

    def remove_image(self, image_id: str) -> None:
        with self._connection() as db:
            db.execute(sa.delete(_SHARES).where(_SHARES.c.image_id == image_id))
            db.execute(sa.delete(_IMAGES).where(_IMAGES.c.id == image_id))

    def images(self) -> Iterator[Image]:
        with self._connection() as db:
            rows = db.execute(sa.select(_IMAGES).order_by(_IMAGES.c.created_at, _IMAGES.c.id))
            return iter(self._images(db, rows.all()))

    def public_images(
        self, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        query = sa.select(_IMAGES).where(_IMAGES.c.owner.is_(None), _IMAGES.c.region == region.id)
        return self._listing(query, start, stop)

    def custom_images(
        self, owner: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        query = sa.select(_IMAGES).where(_IMAGES.c.owner == owner.id, _IMAGES.c.region == region.id)
        return self._listing(query, start, stop)

    def images_shared_with(
        self, account: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        ids = (
            sa.select(_SHARES.c.image_id, _SHARES.c.created_at)
            .where(_SHARES.c.account_id == account.id, _SHARES.c.region == region.id)
            .order_by(_SHARES.c.created_at, _SHARES.c.image_id)
            .offset(start)
        )
        if stop is not None:
            ids = ids.limit(max(stop - start, 0))
        with self._connection() as db:
            wanted = [row.image_id for row in db.execute(ids)]
            if not wanted:
                return iter(())
            rows = db.execute(sa.select(_IMAGES).where(_IMAGES.c.id.in_(wanted))).all()
            by_id = {image.id: image for image in self._images(db, rows)}
        return iter([by_id[image_id].as_seen_by(account) for image_id in wanted])

    def count_public_images(self, region: Region) -> int:
        return self._count(
            sa.select(sa.func.count())
            .select_from(_IMAGES)
            .where(_IMAGES.c.owner.is_(None), _IMAGES.c.region == region.id)
        )

    def count_custom_images(self, owner: Account, region: Region) -> int:
        return self._count(
            sa.select(sa.func.count())
            .select_from(_IMAGES)
            .where(_IMAGES.c.owner == owner.id, _IMAGES.c.region == region.id)
        )

    def count_images_shared_with(self, account: Account, region: Region) -> int:
        return self._count(
            sa.select(sa.func.count())
            .select_from(_SHARES)
            .where(_SHARES.c.account_id == account.id, _SHARES.c.region == region.id)
        )

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

    def _count(self, query: sa.Select[Any]) -> int:
        with self._connection() as db:
            return int(db.execute(query).scalar_one())

    def _listing(self, query: sa.Select[Any], start: int, stop: int | None) -> Iterator[Image]:
        query = query.order_by(_IMAGES.c.created_at, _IMAGES.c.id).offset(start)
        if stop is not None:
            query = query.limit(max(stop - start, 0))
        with self._connection() as db:
            return iter(self._images(db, db.execute(query).all()))

    def _insert_shares(self, db: Connection, image: Image) -> None:
        if not image.shared_with:
            return
        created = _time(image.created_at)
        db.execute(
            sa.insert(_SHARES),
            [
                {
                    "image_id": image.id,
                    "account_id": share.account.id,
                    "position": position,
                    "shared_at": _time(share.shared_at),
                    "region": image.region.id,
                    "created_at": created,
                }
                for position, share in enumerate(image.shared_with)
            ],
        )

    def _images(self, db: Connection, rows: Sequence[Any]) -> list[Image]:
        """Images from their rows, with their shares (one query for all of them)."""
        if not rows:
            return []
        shares: dict[str, list[SharePermission]] = {}
        ids = [row.id for row in rows if row.owner is not None]
        for start in range(0, len(ids), 500):
            found = db.execute(
                sa.select(_SHARES.c.image_id, _SHARES.c.account_id, _SHARES.c.shared_at)
                .where(_SHARES.c.image_id.in_(ids[start : start + 500]))
                .order_by(_SHARES.c.image_id, _SHARES.c.position)
            )
            for share in found:
                shares.setdefault(share.image_id, []).append(
                    SharePermission(
                        account=Account.of(share.account_id), shared_at=_parse(share.shared_at)
                    )
                )
        return [_image(row, shares.get(row.id, ())) for row in rows]

    # Instances ----------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        with self._connection() as db:
            row = db.execute(sa.select(_INSTANCES).where(_INSTANCES.c.id == instance_id)).first()
        return None if row is None else _instance(row)

    def add_instance(self, instance: Instance) -> None:
        with self._connection() as db:
            seq = db.execute(sa.select(sa.func.coalesce(sa.func.max(_INSTANCES.c.seq), 0))).scalar()
            db.execute(
                sa.insert(_INSTANCES).values(seq=int(seq or 0) + 1, **_instance_row(instance))
            )

    def instances(self) -> Iterator[Instance]:
        with self._connection() as db:
            rows = db.execute(sa.select(_INSTANCES).order_by(_INSTANCES.c.seq)).all()
        return iter([_instance(row) for row in rows])


# Rows <-> values ------------------------------------------------------------------------


def _image_row(image: Image) -> dict[str, Any]:
    return {
        "id": image.id,
        "region": image.region.id,
        "owner": None if image.owner is None else image.owner.id,
        "name": image.name,
        "description": image.description,
        "os_type": image.os_type.value,
        "platform": image.platform,
        "os_name": image.os_name,
        "architecture": image.architecture.value,
        "size_gb": image.size_gb,
        "state": image.state.value,
        "origin": image.origin.value,
        "created_at": _time(image.created_at),
        "licence_type": image.licence_type.value,
        "software": json.dumps(list(image.software)),
        "support": None if image.support is None else image.support.value,
        "copied_from": image.copied_from,
    }


def _image(row: Any, shares: Sequence[SharePermission]) -> Image:
    return Image(
        id=row.id,
        name=row.name,
        description=row.description,
        region=Region.of(row.region),
        owner=None if row.owner is None else Account.of(row.owner),
        os_type=OsType(row.os_type),
        platform=row.platform,
        os_name=row.os_name,
        architecture=Architecture(row.architecture),
        size_gb=row.size_gb,
        state=ImageState(row.state),
        origin=ImageOrigin(row.origin),
        created_at=_parse(row.created_at),
        licence_type=LicenceType(row.licence_type),
        software=json.loads(row.software),
        support=None if row.support is None else Support(row.support),
        copied_from=row.copied_from,
        shared_with=tuple(shares),
    )


def _instance_row(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "owner": instance.owner.id,
        "region": instance.region.id,
        "image_id": instance.image_id,
        "os_type": instance.os_type.value,
        "platform": instance.platform,
        "os_name": instance.os_name,
        "architecture": instance.architecture.value,
        "system_disk_gb": instance.system_disk_gb,
        "licence_type": instance.licence_type.value,
        "launched_at": _time(instance.launched_at),
        "charges": json.dumps(
            [
                {
                    "item": c.item.value,
                    "region": c.region.id,
                    "quantity": c.quantity,
                    "unit": c.unit,
                    "reason": c.reason,
                }
                for c in instance.charges
            ]
        ),
    }


def _instance(row: Any) -> Instance:
    return Instance(
        id=row.id,
        owner=Account.of(row.owner),
        region=Region.of(row.region),
        image_id=row.image_id,
        os_type=OsType(row.os_type),
        platform=row.platform,
        os_name=row.os_name,
        architecture=Architecture(row.architecture),
        system_disk_gb=row.system_disk_gb,
        licence_type=LicenceType(row.licence_type),
        launched_at=_parse(row.launched_at),
        charges=[
            Charge(
                item=ChargeItem(c["item"]),
                region=Region.of(c["region"]),
                quantity=c["quantity"],
                unit=c["unit"],
                reason=c["reason"],
            )
            for c in json.loads(row.charges)
        ],
    )


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
        return threading.RLock()
    return contextlib.nullcontext()


def _serialise_sqlite(engine: Engine) -> None:
    """SQLite: let SQLAlchemy, not the driver, begin transactions, and begin them
    with BEGIN IMMEDIATE so that a unit of work holds the write lock from its start
    (SQLAlchemy's documented recipe for pysqlite)."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
