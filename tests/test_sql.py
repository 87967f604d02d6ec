"""The SQL store: the repository contract on SQLite and PostgreSQL, schema, snapshots."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import settings

from imagecatalog import CatalogStore, ImageService, InvalidParameterError, Limits, StoreError
from imagecatalog.snapshot import dump, restore
from imagecatalog.sql import SCHEMA_VERSION, SqlImageRepository
from imagecatalog.testing import CatalogBuilder, catalog_state
from imagecatalog.testing.contract import RepositoryContract
from tests.support import PostgresSchemas, needs_postgres

#: The stateful machine over SQL: fewer, shorter runs (each step is several queries).
SQL_STATEFUL = settings(settings(), max_examples=15, stateful_step_count=30, deadline=None)


class SqlContract(RepositoryContract):
    """The contract on SQL stores, closing every store it opened after each test."""

    stateful_settings = SQL_STATEFUL

    @pytest.fixture(autouse=True)
    def _close_stores(self) -> Iterator[None]:
        self.opened: list[SqlImageRepository] = []
        yield
        for store in self.opened:
            store.close()

    def open(self, url: str) -> SqlImageRepository:
        store = SqlImageRepository(url)
        self.opened.append(store)
        return store


class TestSqliteMemory(SqlContract):
    def make_repository(self) -> CatalogStore:
        return self.open("sqlite://")


class TestSqliteFile(SqlContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    def make_repository(self) -> CatalogStore:
        return self.open(f"sqlite:///{self.folder / uuid.uuid4().hex}.db")


@needs_postgres
class TestPostgres(SqlContract):
    @pytest.fixture(autouse=True)
    def _schemas(self, postgres: PostgresSchemas) -> None:
        self.postgres = postgres

    def make_repository(self) -> CatalogStore:
        return self.open(self.postgres.url_for_new_schema())


@needs_postgres
class TestPostgresThroughSqlAlchemy(TestPostgres):
    """PostgreSQL with SQLAlchemy running every statement, as it does with another
    driver than psycopg, or psycopg before 3.2 (no raw cursor)."""

    @pytest.fixture(autouse=True)
    def _no_driver(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("imagecatalog.sql.driver_for", lambda engine: None)


def test_schema_version_is_recorded_and_a_newer_one_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    SqlImageRepository(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        version = connection.exec_driver_sql(
            "SELECT value FROM imagecatalog_meta WHERE key = 'schema_version'"
        ).scalar()
        assert version == str(SCHEMA_VERSION)
        connection.exec_driver_sql(
            f"UPDATE imagecatalog_meta SET value = '{SCHEMA_VERSION + 1}' "
            "WHERE key = 'schema_version'"
        )
    engine.dispose()
    with pytest.raises(InvalidParameterError, match="newer than the version"):
        SqlImageRepository(url)
    with pytest.raises(InvalidParameterError, match="no imagecatalog schema"):
        SqlImageRepository(f"sqlite:///{tmp_path / 'empty.db'}", create=False)


def test_the_catalog_survives_the_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with SqlImageRepository(url) as store, SqlImageRepository(url) as other_process_store:
        builder = CatalogBuilder(store=store)
        builder.custom_image("100000000001", "ap-guangzhou", "web", shared_with=["100000000002"])
        first = builder.build()
        again = ImageService(other_process_store)
        assert catalog_state(again) == catalog_state(first)
        page = again.describe_images("100000000002", "ap-guangzhou", kinds=["SHARED_IMAGE"])
        assert [image.name for image in page.items] == ["web"]


def test_snapshots_move_a_catalog_between_stores(tmp_path: Path) -> None:
    memory = (
        CatalogBuilder()
        .custom_image("100000000001", "ap-guangzhou", "web", shared_with=["100000000002"])
        .copied("100000000001", "web", "ap-guangzhou", "ap-tokyo")
        .build()
    )
    with SqlImageRepository(f"sqlite:///{tmp_path}/a.db") as store:
        in_sql = restore(dump(memory), store=store)
        assert catalog_state(in_sql) == catalog_state(memory)
        back = restore(dump(in_sql))
        assert catalog_state(back) == catalog_state(memory)


@needs_postgres
def test_snapshots_move_a_catalog_to_postgres(postgres: PostgresSchemas) -> None:
    memory = ImageService(public_catalog=True)
    memory.register_account("100000000001")
    with SqlImageRepository(postgres.url_for_new_schema()) as store:
        in_pg = restore(dump(memory), store=store)
        assert catalog_state(in_pg) == catalog_state(memory)


@needs_postgres
def test_postgres_answers_listings_and_counts_from_indexes(postgres: PostgresSchemas) -> None:
    """EXPLAIN on PostgreSQL: with sequential scans priced out, every listing and count
    the service runs has an index path (so none needs to read the whole table)."""
    url = postgres.url_for_new_schema()
    with SqlImageRepository(url) as store:
        queries = {
            "public listing": "SELECT * FROM ic_images WHERE owner IS NULL AND "
            "region = 'ap-guangzhou' ORDER BY created_at, id LIMIT 20",
            "quota count": "SELECT count(*) FROM ic_images WHERE owner = "
            "'100000000001' AND region = 'ap-guangzhou'",
            "name lookup": "SELECT * FROM ic_images WHERE owner = '100000000001' AND "
            "region = 'ap-guangzhou' AND name = 'web'",
            "shared listing": "SELECT image_id FROM ic_shares WHERE account_id = "
            "'100000000002' AND region = 'ap-guangzhou' ORDER BY created_at, image_id",
        }
        with store.engine.connect() as connection:
            connection.exec_driver_sql("SET enable_seqscan = off")
            for what, query in queries.items():
                plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {query}"))
                assert "Seq Scan" not in plan and "Index" in plan, (what, plan)


def test_an_in_memory_sqlite_store_is_safe_under_threads() -> None:
    """The module's own example store, ``"sqlite://"``, used from several threads:
    every call succeeds or raises a rule's error, and the rules hold after
    (0.1.0 leaked ``OperationalError: cannot start a transaction within a
    transaction`` here)."""
    with SqlImageRepository("sqlite://") as store:
        builder = CatalogBuilder(store=store, limits=Limits(custom_images_per_region=30))
        builder.custom_image("100000000001", "ap-guangzhou", "seed-image")
        service = builder.build()
        public = service.describe_images("100000000001", "ap-guangzhou", kinds=["PUBLIC_IMAGE"])
        base = public.items[0]
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                account = f"10000000010{worker}"
                service.register_account(account)
                for number in range(6):
                    instance = service.launch_instance(account, base.id)
                    image = service.create_image(account, instance.id, name=f"build-{number}")
                    service.describe_images(account, "ap-guangzhou")
                    service.share_image(account, image.id, ["100000000001"])
                    service.image_quota(account, "ap-guangzhou")
            except BaseException as error:  # collected, asserted empty below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for worker in range(8):
            assert service.image_quota(f"10000000010{worker}", "ap-guangzhou").used == 6
        shared = service.describe_images("100000000001", "ap-guangzhou", kinds=["SHARED_IMAGE"])
        assert shared.total_count == 48


def test_an_engine_that_would_give_each_thread_its_own_database_is_refused() -> None:
    """SQLAlchemy's default pool for an in-memory SQLite engine gives each thread a
    connection of its own, that is, a database of its own: the store refuses it
    and says how to make one that works."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.SingletonThreadPool)
    with pytest.raises(InvalidParameterError, match="StaticPool") as raised:
        SqlImageRepository(engine)
    assert raised.value.parameter == "url_or_engine"
    engine.dispose()


def _schema_differences(store: SqlImageRepository) -> list[Any]:
    """What differs between the tables the store queries and those the migrations built."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from imagecatalog.sql import _METADATA, VERSION_TABLE

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        differences: list[Any] = compare_metadata(context, _METADATA)
    return [
        change
        for change in differences
        if not (isinstance(change, tuple) and getattr(change[1], "name", "") == VERSION_TABLE)
    ]


def test_the_migrations_build_the_tables_the_store_queries(tmp_path: Path) -> None:
    """A new database is built by the migrations alone, and what they build is exactly
    the schema the store's queries are written against (Alembic finds no difference)."""
    with SqlImageRepository(f"sqlite:///{tmp_path / 'new.db'}") as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert _schema_differences(store) == []


def test_the_first_migration_builds_what_0_1_0_built(tmp_path: Path) -> None:
    """Schema 1 made by the migrations is 0.1.0's schema, statement for statement."""
    import sqlite3

    from tests.test_compat_v0_1_0 import FIXTURES

    def statements(path: Path) -> list[tuple[str, ...]]:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
            return sorted(row for row in rows if "alembic" not in row[1])

    new = tmp_path / "new.db"
    engine = sa.create_engine(f"sqlite:///{new}")
    from imagecatalog.sql import _migrate_to

    with engine.begin() as connection:
        _migrate_to(connection, None, 1)
    engine.dispose()
    assert statements(new) == statements(FIXTURES / "catalog-schema-v1.sqlite")


@needs_postgres
def test_the_migrations_build_the_tables_the_store_queries_on_postgres(
    postgres: PostgresSchemas,
) -> None:
    with SqlImageRepository(postgres.url_for_new_schema()) as store:
        assert _schema_differences(store) == []


def test_a_file_that_is_no_database_is_a_store_error(tmp_path: Path) -> None:
    """A corrupt file is the store's failure, said as the catalog's own error."""
    corrupt = tmp_path / "catalog.db"
    corrupt.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="file is not a database") as raised:
        SqlImageRepository(f"sqlite:///{corrupt}")
    assert raised.value.code == "InternalError"
    assert isinstance(raised.value.__cause__, sa.exc.DatabaseError)


def test_a_database_failure_in_a_call_changes_nothing_and_is_a_store_error(
    tmp_path: Path,
) -> None:
    """A statement that fails in the middle of a call (here, a trigger refuses the share's
    row after the image's row was written) rolls the whole call back and raises
    StoreError, not SQLAlchemy's error."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with SqlImageRepository(url) as store:
        builder = CatalogBuilder(store=store).accounts(
            "100000000001", "100000000002", "100000000003"
        )
        builder.custom_image("100000000001", "ap-guangzhou", "web", shared_with=["100000000002"])
        service = builder.build()
        before = catalog_state(service)
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TRIGGER full_disk BEFORE INSERT ON ic_shares "
                "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
            )
        engine.dispose()
        web = builder.image("web")
        with pytest.raises(StoreError, match="the disk is full"):
            # Rewrites the image's shares: deletes Bob's row, then fails to insert any.
            service.share_image("100000000001", web, ["100000000003"])
        assert catalog_state(service) == before  # Bob's share is back: nothing changed
