"""The SQL store on PostgreSQL through psycopg sends its statements on the driver
(imagecatalog._sqldriver): what that path promises besides answering as
SQLAlchemy's does (the contract and the concurrency tests run both)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from imagecatalog import ImageService
from imagecatalog._sqldriver import Compiled, Driver, driver_for
from imagecatalog.sql import SqlImageRepository
from tests.support import PostgresSchemas

POSTGRES_URL = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    POSTGRES_URL is None, reason="IMAGECATALOG_TEST_POSTGRES_URL is not set"
)
ALICE, BOB = "100000000001", "100000000002"
REGION = "ap-guangzhou"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresSchemas]:
    assert POSTGRES_URL is not None
    schemas = PostgresSchemas(POSTGRES_URL)
    yield schemas
    schemas.drop_all()


@pytest.fixture
def store(postgres: PostgresSchemas) -> Iterator[SqlImageRepository]:
    with SqlImageRepository(postgres.url_for_new_schema(), pool_size=1, max_overflow=0) as opened:
        yield opened


def _service(store: SqlImageRepository) -> tuple[ImageService, str]:
    service = ImageService(store)
    for account in (ALICE, BOB):
        service.register_account(account)
    image = service.import_image(
        ALICE,
        REGION,
        name="web",
        image_url=URL,
        platform="Debian",
        os_version="12",
        architecture="x86_64",
    )
    return service, image.id


def _dialect() -> sa.Dialect:
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    return PGDialect_psycopg(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


_TABLE = sa.Table("t", sa.MetaData(), sa.Column("id", sa.String), sa.Column("n", sa.Integer))


# The driver path, on its own --------------------------------------------------------------


def test_a_statement_is_compiled_to_numbered_placeholders_with_its_own_literals() -> None:
    """A value named twice is one placeholder; a literal the statement binds itself
    is sent with the caller's values, in placeholder order."""
    statement = sa.select(sa.literal(7).label("seven"), _TABLE.c.n).where(
        _TABLE.c.id == sa.bindparam("id"), _TABLE.c.n != sa.bindparam("id")
    )
    compiled = Compiled(statement, _dialect(), ())
    assert sorted(set(re.findall(r"\$\d+", compiled.text.decode()))) == ["$1", "$2"]
    assert compiled.arguments({"id": "x"}) == [7, "x"]


def test_a_value_the_statement_needs_and_is_not_given_is_an_error_not_null() -> None:
    compiled = Compiled(sa.select(_TABLE).where(_TABLE.c.id == sa.bindparam("id")), _dialect(), ())
    with pytest.raises(KeyError, match="id"):
        compiled.arguments({})


def test_a_list_bound_as_in_values_is_refused_by_the_driver() -> None:
    """IN with a list changes the statement's text with the list's length: on the
    driver every list is one array (= ANY), so a statement built otherwise is a bug,
    refused when it is compiled."""
    statement = sa.select(_TABLE).where(_TABLE.c.id.in_(sa.bindparam("ids", expanding=True)))
    with pytest.raises(AssertionError, match="ANY"):
        Compiled(statement, _dialect(), ())


def test_an_insert_is_compiled_for_the_columns_given() -> None:
    driver = Driver(object)
    insert = sa.insert(_TABLE)
    only_id = driver.compiled(insert, {"id": "x"})
    both = driver.compiled(insert, [{"id": "x", "n": 1}, {"id": "y", "n": 2}])
    assert b"(id)" in only_id.text and b"(id, n)" in both.text
    assert driver.compiled(insert, {"id": "z"}) is only_id  # compiled once per shape


def test_the_driver_path_is_taken_only_with_psycopg_3_2_or_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite, another PostgreSQL driver, and psycopg without its raw cursor (before
    3.2) leave every statement to SQLAlchemy."""
    import psycopg

    def engine(name: str, driver: str) -> Any:
        return SimpleNamespace(dialect=SimpleNamespace(name=name, driver=driver))

    assert driver_for(engine("postgresql", "psycopg")) is not None
    assert driver_for(engine("postgresql", "psycopg2")) is None
    assert driver_for(engine("sqlite", "pysqlite")) is None
    monkeypatch.delattr(psycopg, "RawCursor")
    assert driver_for(engine("postgresql", "psycopg")) is None


# On PostgreSQL ------------------------------------------------------------------------------


@needs_postgres
def test_statements_sent_on_the_driver_are_logged(
    store: SqlImageRepository, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLAlchemy's echo and engine events do not see statements sent on the driver;
    each is logged to ``imagecatalog.sql`` at DEBUG, with its values, before it is sent."""
    service, web = _service(store)
    with caplog.at_level(logging.DEBUG, logger="imagecatalog.sql"):
        service.describe_images(ALICE, REGION)
        service.share_image(ALICE, web, [BOB])
    sent = [record.getMessage() for record in caplog.records if record.name == "imagecatalog.sql"]
    assert any("FROM ic_images" in text and ALICE in text for text in sent)
    assert any(text.startswith("BEGIN; SELECT pg_advisory_xact_lock_shared(") for text in sent)
    assert any(text.startswith("INSERT INTO ic_shares") and BOB in text for text in sent)


@needs_postgres
def test_a_read_checks_out_a_connection_only_to_send_a_statement(
    store: SqlImageRepository,
) -> None:
    """A block of reads on the driver takes a connection from the pool at its first
    statement, keeps it for the block, and takes none when the store answers from
    what it remembers (an account seen registered)."""
    service, _ = _service(store)
    checkouts: list[object] = []
    sa.event.listen(store.engine.pool, "checkout", lambda *args: checkouts.append(args))
    assert store.account_exists(ALICE)  # asked of the database, then remembered
    del checkouts[:]
    assert store.account_exists(ALICE)
    assert checkouts == []
    service.describe_images(ALICE, REGION)
    assert len(checkouts) == 1
    with store.read_transaction():
        store.get_image("img-00000000")
        store.get_account(BOB)
    assert len(checkouts) == 2


@needs_postgres
def test_a_connection_a_read_used_goes_back_to_the_pool_out_of_autocommit(
    store: SqlImageRepository,
) -> None:
    """A read on the driver puts its connection in autocommit; the pool's next user
    (here SQLAlchemy, on the pool's one connection) gets it back in transactions: a
    row it inserts and rolls back is gone."""
    service, _ = _service(store)
    service.describe_images(ALICE, REGION)
    with store.engine.connect() as connection:
        connection.exec_driver_sql(
            "INSERT INTO ic_accounts (id, trusted_sharers, seq) VALUES ('100000000009', NULL, 99)"
        )
        connection.rollback()
    assert not store.account_exists("100000000009")
