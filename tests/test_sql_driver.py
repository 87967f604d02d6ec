"""The SQL store on PostgreSQL through psycopg sends its statements on the driver
(imagecatalog._sqldriver): what that path promises besides answering as
SQLAlchemy's does (the contract and the concurrency tests run both)."""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from imagecatalog import Account, AccountProfile, ImageService, StoreError, StoreUnavailableError
from imagecatalog._sqldriver import Compiled, Driver, driver_for
from imagecatalog.sql import SqlImageRepository
from tests.support import POSTGRES_URL, PostgresSchemas, needs_postgres, statements_sent

ALICE, BOB, DAVE = "100000000001", "100000000002", "100000000004"
REGION = "ap-guangzhou"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"


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
    with pytest.raises(TypeError, match="ANY"):
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


# Round trips --------------------------------------------------------------------------------


@contextlib.contextmanager
def _round_trips(store: SqlImageRepository) -> Iterator[list[str]]:
    """The messages that end a round trip (a simple ``Query``, or the ``Sync`` after
    extended-protocol statements) the client sends on the store's one pooled
    connection while the block runs, read from libpq's protocol trace."""
    from psycopg import pq

    pooled = store.engine.raw_connection()
    connection: Any = pooled.driver_connection
    pgconn = connection.pgconn
    pooled.close()
    ends: list[str] = []
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield ends
        finally:
            pgconn.untrace()
            trace.seek(0)
            ends += re.findall(r"^F\t\d+\t(Query|Sync)\b", trace.read(), re.M)


@needs_postgres
def test_a_share_is_two_round_trips_and_a_read_one(store: SqlImageRepository) -> None:
    """On the wire (libpq's trace): a share or a cancel is two round trips (BEGIN
    with the locks and the rows it reads; its writes with the COMMIT), a listing
    page with its total one, a quota one."""
    service, web = _service(store)
    service.share_image(ALICE, web, [BOB])  # BOB is now known to exist: not asked again
    service.unshare_image(ALICE, web, [BOB])
    with _round_trips(store) as ends:
        service.share_image(ALICE, web, [BOB])
    assert ends == ["Query", "Sync"]
    with _round_trips(store) as ends:
        service.unshare_image(ALICE, web, [BOB])
    assert ends == ["Query", "Sync"]
    with _round_trips(store) as ends:
        service.describe_images(ALICE, REGION, limit=20)
    assert ends == ["Sync"]
    with _round_trips(store) as ends:
        service.image_quota(ALICE, REGION)
    assert ends == ["Sync"]


# Writes sent with the COMMIT ----------------------------------------------------------------


def _share_row_behind_the_stores_back(store: SqlImageRepository, image: str, account: str) -> None:
    """A share row written on another connection, past the store's locks (as a
    0.1.x process, or a hand-written fix, might): the store's own INSERT of it
    then breaks the table's primary key."""
    other = sa.create_engine(store.engine.url)
    try:
        with other.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO ic_shares (image_id, account_id, position, shared_at, region, "
                f"created_at) SELECT id, '{account}', 99, created_at, region, created_at "
                f"FROM ic_images WHERE id = '{image}'"
            )
    finally:
        other.dispose()


@needs_postgres
def test_a_write_that_fails_with_the_commit_changes_nothing_and_keeps_no_lock(
    postgres: PostgresSchemas,
) -> None:
    """The share's INSERT, sent with the COMMIT, breaks a constraint: the call raises
    StoreError (a fault, not "unavailable"), none of its rows is written, and
    Alice's lock is free at once."""
    with SqlImageRepository(postgres.url_for_new_schema(), lock_timeout=1) as store:
        service, web = _service(store)
        service.register_account("100000000003")

        def conflict(text: str) -> None:
            if text.startswith("INSERT INTO ic_shares"):
                _share_row_behind_the_stores_back(store, web, BOB)

        with (
            pytest.raises(StoreError, match="IntegrityError") as raised,
            statements_sent(store.engine, conflict),
        ):
            service.share_image(ALICE, web, ["100000000003", BOB])
        assert not isinstance(raised.value, StoreUnavailableError)
        with store.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT account_id FROM ic_shares").all()
        assert [row[0] for row in rows] == [BOB]  # the row written past it, only
        service.unshare_image(ALICE, web, [BOB])  # Alice's lock: free (else 1 s, then error)
        assert list(service.share_permissions(ALICE, web)) == []


@needs_postgres
def test_a_savepoints_writes_are_sent_before_it_ends(store: SqlImageRepository) -> None:
    """Inside a unit of work each call is a savepoint whose writes are sent before it
    ends: a write that fails fails its own call (the unit can go on), not the unit's
    COMMIT."""
    service, web = _service(store)
    service.register_account("100000000003")

    fired: list[str] = []

    def conflict(text: str) -> None:
        if text.startswith("INSERT INTO ic_shares") and not fired:
            fired.append(text)
            _share_row_behind_the_stores_back(store, web, BOB)

    with service.unit_of_work(accounts=[ALICE]):
        with statements_sent(store.engine, conflict), pytest.raises(StoreError):
            service.share_image(ALICE, web, [BOB])
        service.share_image(ALICE, web, ["100000000003"])
    shared = {share.account.id for share in service.share_permissions(ALICE, web)}
    assert shared == {BOB, "100000000003"}


@needs_postgres
def test_a_savepoint_that_raises_drops_the_writes_it_had_not_sent(
    store: SqlImageRepository,
) -> None:
    """Writes kept to be sent later belong to the savepoint that made them: when it
    raises they are dropped with it, and the unit's own writes still commit."""
    carol = AccountProfile(account=Account.of("100000000003"))
    dave = AccountProfile(account=Account.of("100000000004"))

    def add_dave_then_fail() -> None:
        with store.write_transaction([dave.id]):
            store.add_account(dave)
            raise RuntimeError("undo Dave")

    with store.write_transaction([carol.id, dave.id]):
        store.add_account(carol)
        with pytest.raises(RuntimeError):
            add_dave_then_fail()
    assert store.account_exists(carol.id)
    assert not store.account_exists(dave.id)


# What the cold review found -----------------------------------------------------------------


def test_values_are_converted_as_sqlalchemy_would_and_a_bad_one_is_its_error() -> None:
    """A tuple bound as an array is sent as a list (SQLAlchemy's conversion), and a
    value SQLAlchemy refuses is its StatementError (which the store reports as a
    StoreError), not a bare TypeError."""
    statement = sa.select(_TABLE).where(
        _TABLE.c.id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.String()))),
        _TABLE.c.n == sa.bindparam("flag", type_=sa.Boolean),
    )
    compiled = Compiled(statement, _dialect(), ())
    assert compiled.arguments({"ids": ("a", "b"), "flag": True}) == [["a", "b"], True]
    with pytest.raises(sa.exc.StatementError, match="flag"):
        compiled.arguments({"ids": [], "flag": "yes"})


def test_a_column_sqlalchemy_converts_as_it_reads_is_refused_by_the_driver() -> None:
    """The driver hands rows back as psycopg reads them: a statement whose column
    SQLAlchemy would convert (here a pickled one) is refused when compiled."""
    statement = sa.select(sa.literal_column("x", sa.PickleType))
    with pytest.raises(TypeError, match="converted as it is read"):
        Compiled(statement, _dialect(), ())


@needs_postgres
def test_a_read_in_a_unit_of_work_sees_its_writes_not_sent_yet_in_one_round_trip(
    store: SqlImageRepository,
) -> None:
    """A read in a unit of work is sent after the unit's writes not sent yet, in the
    same round trip, so it sees them."""
    dave = AccountProfile(account=Account.of(DAVE))
    with _round_trips(store) as ends, store.write_transaction([DAVE]):
        store.add_account(dave)
        assert DAVE in [profile.id for profile in store.all_accounts()]
    assert ends == ["Query", "Sync", "Query"]  # BEGIN...; the INSERT and the read; COMMIT


@needs_postgres
def test_writes_sent_with_the_commit_are_inside_its_transaction(store: SqlImageRepository) -> None:
    """Writes go before the COMMIT they travel with: when one fails, the unit's
    other writes, sent earlier, are undone with it (none commits alone)."""
    _, web = _service(store)
    image = store.get_image(web)
    assert image is not None

    def add_dave_and_the_image_again() -> None:
        with store.write_transaction([ALICE, DAVE]):
            store.add_account(AccountProfile(account=Account.of(DAVE)))
            store.all_accounts()  # Dave's row: sent, inside the transaction
            store.add_image(image)  # a duplicate key, sent with the COMMIT

    with pytest.raises(StoreError, match="IntegrityError"):
        add_dave_and_the_image_again()
    assert not store.account_exists(DAVE)


@needs_postgres
def test_without_pipelines_statements_go_one_after_another(
    postgres: PostgresSchemas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """psycopg's pipeline needs libpq 14 or later: without it the store sends the
    statements one round trip each, and every call still works."""
    import psycopg

    monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))
    monkeypatch.setattr(psycopg.Connection, "pipeline", None)  # any use fails loudly
    url = postgres.url_for_new_schema()
    with SqlImageRepository(url, pool_size=1, max_overflow=0) as store:
        service, web = _service(store)
        service.share_image(ALICE, web, [BOB])
        with _round_trips(store) as ends:
            service.unshare_image(ALICE, web, [BOB])
        assert ends == ["Query", "Sync", "Query"]  # BEGIN...; the DELETE; COMMIT
        assert list(service.share_permissions(ALICE, web)) == []
        dave = AccountProfile(account=Account.of(DAVE))
        with store.write_transaction([DAVE]):
            store.add_account(dave)
            assert DAVE in [profile.id for profile in store.all_accounts()]
        assert store.account_exists(DAVE)


@needs_postgres
def test_a_read_gives_its_connection_back_as_it_came(store: SqlImageRepository) -> None:
    """A connection the pool hands out in autocommit (an engine configured so) goes
    back in autocommit: the store restores what it found, not what it assumes."""
    service, _ = _service(store)
    pooled = store.engine.raw_connection()
    driver: Any = pooled.driver_connection
    driver.autocommit = True
    pooled.close()
    service.describe_images(ALICE, REGION)
    pooled = store.engine.raw_connection()
    try:
        assert pooled.driver_connection.autocommit is True  # type: ignore[union-attr]
    finally:
        pooled.driver_connection.autocommit = False  # type: ignore[union-attr]
        pooled.close()


@needs_postgres
def test_the_commit_and_a_rollback_on_the_driver_are_logged(
    store: SqlImageRepository, caplog: pytest.LogCaptureFixture
) -> None:
    service, web = _service(store)
    with caplog.at_level(logging.DEBUG, logger="imagecatalog.sql"):
        service.share_image(ALICE, web, [BOB])
        with pytest.raises(Exception, match="already"):
            service.share_image(ALICE, web, [BOB])  # refused: the unit rolls back
    sent = [record.getMessage() for record in caplog.records if record.name == "imagecatalog.sql"]
    assert any(text.startswith("COMMIT") for text in sent)
    assert any(text.startswith("ROLLBACK") for text in sent)
    caplog.clear()
    with (
        caplog.at_level(logging.DEBUG, logger="imagecatalog.sql"),
        store.write_transaction([ALICE]),  # a unit with nothing to write
    ):
        store.get_image("img-00000000")
    sent = [record.getMessage() for record in caplog.records if record.name == "imagecatalog.sql"]
    assert sent[-1].startswith("COMMIT")


# What the second look found -----------------------------------------------------------------


def test_returned_columns_sqlalchemy_converts_on_read_are_refused_too() -> None:
    table = sa.Table("p", sa.MetaData(), sa.Column("id", sa.String), sa.Column("p", sa.PickleType))
    with pytest.raises(TypeError, match="converted as it is read"):
        Compiled(sa.insert(table).returning(table.c.p), _dialect(), ("id",))


def test_lists_bind_as_unbounded_text_arrays() -> None:
    """A list of IDs binds as ``VARCHAR[]``: a cast to the column's ``VARCHAR(n)[]``
    would cut a longer value to a prefix that might match another row's ID."""
    from imagecatalog.sql import _statements

    text = Compiled(_statements("postgresql").accounts, _dialect(), ()).text.decode()
    assert "= ANY ($1::VARCHAR[])" in text


@needs_postgres
def test_a_read_that_fails_before_it_is_sent_keeps_the_units_writes(
    store: SqlImageRepository,
) -> None:
    """A read whose values cannot be sent fails before anything is sent: the unit's
    writes kept to go with it stay kept, and commit with the unit (here the read is
    made through the store's own seam, with a value no public call would give)."""
    dave, carol = Account.of(DAVE), Account.of("100000000003")
    with store.write_transaction([DAVE, carol.id]):
        store.add_account(AccountProfile(account=dave))
        unit = store._unit()
        with pytest.raises(sa.exc.StatementError):
            store._rows(unit, store._sql.accounts, {"ids": 5})
        store.add_account(AccountProfile(account=carol))
    assert store.account_exists(DAVE) and store.account_exists(carol.id)


@needs_postgres
def test_a_second_dead_connection_of_one_restart_keeps_the_connections_opened_since(
    postgres: PostgresSchemas,
) -> None:
    """Two units of work were in flight when the server restarted: the first to find
    its connection dead invalidates the pool's older connections; the second, of the
    same generation, does not throw away the healthy one opened in between."""
    import time
    import uuid

    import psycopg

    from imagecatalog.sql import _wrapped

    name = f"imagecatalog-{uuid.uuid4().hex[:12]}"
    url = sa.make_url(postgres.url_for_new_schema()).update_query_dict({"application_name": name})
    engine = sa.create_engine(url)
    admin = sa.create_engine(POSTGRES_URL or "")
    try:
        first, second = engine.connect(), engine.connect()
        for connection in (first, second):
            connection.exec_driver_sql("SELECT 1")
        with admin.begin() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %(name)s",
                {"name": name},
            )

        def lose(connection: sa.Connection) -> None:
            driver: Any = connection.connection.driver_connection
            with pytest.raises(psycopg.OperationalError) as raised:
                driver.execute("SELECT 1")
            _wrapped(raised.value, connection)

        lose(first)
        time.sleep(0.01)
        fresh = engine.raw_connection()
        pid = fresh.driver_connection.info.backend_pid  # type: ignore[union-attr]
        fresh.close()
        lose(second)
        again = engine.raw_connection()
        assert again.driver_connection.info.backend_pid == pid  # type: ignore[union-attr]
        again.close()
        first.close()
        second.close()
    finally:
        engine.dispose()
        admin.dispose()
