"""The SQL store under concurrency: reads take no lock, writes lock only the accounts
their rules read, lost connections are typed errors that change nothing."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from imagecatalog import (
    AccountNotFoundError,
    ImageService,
    InvalidParameterError,
    Limits,
    StoreError,
    StoreUnavailableError,
)
from imagecatalog.invariants import catalog_violations
from imagecatalog.sql import SqlImageRepository, account_lock_key, catalog_lock_key
from imagecatalog.testing import catalog_state
from tests.support import POSTGRES_URL, PostgresSchemas, needs_postgres, statements_sent

ALICE, BOB, CAROL, DAVE = "100000000001", "100000000002", "100000000003", "100000000004"
REGION = "ap-guangzhou"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"
#: How long a test waits for what must happen (a call that must not block).
PROMPTLY = 10.0
#: How long a test waits to see that a call is blocked.
BLOCKED = 0.5


def _import(service: ImageService, owner: str, name: str) -> str:
    return service.import_image(
        owner,
        REGION,
        name=name,
        image_url=URL,
        platform="Debian",
        os_version="12",
        architecture="x86_64",
    ).id


def _catalog(store: SqlImageRepository) -> tuple[ImageService, str, str]:
    """Alice and Bob with an image each; Carol and Dave to share with."""
    service = ImageService(store, limits=Limits.newest())
    for account in (ALICE, BOB, CAROL, DAVE):
        service.register_account(account)
    return service, _import(service, ALICE, "alice-web"), _import(service, BOB, "bob-web")


class Held:
    """A unit of work held open in a thread of its own, after *work* ran in it,
    until :meth:`release`; what it raised, if anything, in :attr:`error`."""

    def __init__(
        self, service: ImageService, work: Callable[[], object], accounts: list[str] | None
    ) -> None:
        self.inside = threading.Event()
        self._go = threading.Event()
        self.error: BaseException | None = None

        def hold() -> None:
            try:
                with service.unit_of_work(accounts=accounts):
                    work()
                    self.inside.set()
                    self._go.wait(PROMPTLY * 3)
            except BaseException as error:
                self.error = error
                self.inside.set()

        self._thread = threading.Thread(target=hold, daemon=True)
        self._thread.start()
        assert self.inside.wait(PROMPTLY), "the held unit of work did not start"
        assert self.error is None, self.error

    def release(self) -> None:
        self._go.set()
        self._thread.join(PROMPTLY)
        assert not self._thread.is_alive()


def _in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """*call* started in a thread; the list gets its answer (or its error)."""
    answer: list[object] = []

    def run() -> None:
        try:
            answer.append(call())
        except BaseException as error:
            answer.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, answer


def _waits_for(held: Held, call: Callable[[], object], why: str) -> None:
    """*call*, started in a thread while *held* is open, is still waiting after a
    while (*why* says what it would mean if not); once *held* ends, it succeeds."""
    thread, answer = _in_thread(call)
    try:
        thread.join(BLOCKED)
        assert thread.is_alive(), why
    finally:
        held.release()
    thread.join(PROMPTLY)
    assert not thread.is_alive() and not isinstance(answer[0], BaseException), answer


# Stores to run on -------------------------------------------------------------------------


@pytest.fixture(
    params=[
        "sqlite-file",
        pytest.param("postgresql", marks=needs_postgres),
        pytest.param("postgresql-sqlalchemy", marks=needs_postgres),
    ]
)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SqlImageRepository]:
    """A store on a SQLite file; on PostgreSQL through psycopg (statements sent on
    the driver); and on PostgreSQL with SQLAlchemy running every statement, as it
    does with another driver or psycopg before 3.2."""
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'catalog.db'}"
    else:
        url = request.getfixturevalue("postgres").url_for_new_schema()
    if request.param == "postgresql-sqlalchemy":
        monkeypatch.setattr("imagecatalog.sql.driver_for", lambda engine: None)
    with SqlImageRepository(url) as opened:
        yield opened


@pytest.fixture(params=["psycopg", "sqlalchemy"])
def pg_store(
    request: pytest.FixtureRequest, postgres: PostgresSchemas, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SqlImageRepository]:
    """A PostgreSQL store: its statements sent on psycopg, or all run by SQLAlchemy
    (as with another driver, or psycopg before 3.2)."""
    if request.param == "sqlalchemy":
        monkeypatch.setattr("imagecatalog.sql.driver_for", lambda engine: None)
    with SqlImageRepository(postgres.url_for_new_schema()) as opened:
        yield opened


# Reads ------------------------------------------------------------------------------------


def test_reads_do_not_wait_for_a_write_in_progress(store: SqlImageRepository) -> None:
    """A read takes no lock: while another thread's unit of work has shared Alice's
    image and not committed, Alice's listing, quota and share list answer at once,
    with the catalog as it was (on SQLite in WAL mode, on PostgreSQL in autocommit)."""
    service, web, _ = _catalog(store)
    held = Held(service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=[ALICE])
    try:
        started = time.monotonic()
        page = service.describe_images(ALICE, REGION, kinds=["PRIVATE_IMAGE"])
        quota = service.image_quota(ALICE, REGION)
        shares = service.share_permissions(ALICE, web)
        carol_sees = service.describe_images(CAROL, REGION, kinds=["SHARED_IMAGE"])
        assert time.monotonic() - started < PROMPTLY
        assert [image.id for image in page.items] == [web] and page.total_count == 1
        assert quota.used == 1
        assert shares == ()  # not committed: not seen
        assert carol_sees.total_count == 0
    finally:
        held.release()
    assert [share.account.id for share in service.share_permissions(ALICE, web)] == [CAROL]


def test_a_listing_page_and_its_total_come_from_one_snapshot(store: SqlImageRepository) -> None:
    """Images added by other threads while pages are read never make a page disagree
    with its own total: each page's total counts exactly the images of the listing
    it was cut from (the page is full, or holds all that remain after its offset)."""
    service, _, _ = _catalog(store)
    stop = threading.Event()

    def add() -> None:
        for number in range(40):
            if stop.is_set():
                return
            _import(service, ALICE, f"more-{number}")

    writer, errors = _in_thread(add)
    try:
        for offset in range(30):
            page = service.describe_images(ALICE, REGION, kinds=["PRIVATE_IMAGE"], offset=offset)
            expected = min(page.limit, max(page.total_count - offset, 0))
            assert len(page.items) == expected, (offset, page.total_count, len(page.items))
    finally:
        stop.set()
        writer.join(PROMPTLY * 3)
    assert not [error for error in errors if isinstance(error, BaseException)]


# Writes: a lock per account -------------------------------------------------------------


@needs_postgres
def test_writes_for_other_owners_run_beside_a_unit_of_work(pg_store: SqlImageRepository) -> None:
    """While a unit of work for Alice is open, Bob's share commits at once (his rules
    read nothing of Alice's), and a second write for Alice waits until Alice's unit
    ends (the same owner's writes never interleave)."""
    service, web, bobs = _catalog(pg_store)
    held = Held(service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=[ALICE])
    try:
        started = time.monotonic()
        service.share_image(BOB, bobs, [CAROL])
        assert time.monotonic() - started < PROMPTLY
    except BaseException:
        held.release()
        raise
    _waits_for(
        held,
        lambda: service.share_image(ALICE, web, [DAVE]),
        "Alice's second write ran inside her open unit of work",
    )
    shares = [share.account.id for share in service.share_permissions(ALICE, web)]
    assert shares == [CAROL, DAVE]  # one after the other, in that order


@needs_postgres
def test_a_unit_of_work_over_the_whole_catalog_excludes_every_write(
    pg_store: SqlImageRepository,
) -> None:
    """A unit of work opened without accounts (the provider's work, loading a
    catalog) holds the catalog's lock exclusively: Bob's write waits for it."""
    service, web, bobs = _catalog(pg_store)
    held = Held(service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=None)
    _waits_for(
        held,
        lambda: service.share_image(BOB, bobs, [CAROL]),
        "Bob's write ran beside a unit of work over the whole catalog",
    )


@needs_postgres
def test_the_lock_keys_are_the_documented_ones(postgres: PostgresSchemas) -> None:
    """A unit of work for Alice holds its catalog's key shared and Alice's key
    exclusively, as pg_locks shows (the documented lock order's two steps); the keys
    name the schema, so Alice in another schema's catalog has other keys, and a
    unit of work over that whole catalog does not hold this one back."""
    first_url, second_url = postgres.url_for_new_schema(), postgres.url_for_new_schema()
    with SqlImageRepository(first_url) as first, SqlImageRepository(second_url) as second:
        service, web, _ = _catalog(first)
        other, other_web, _ = _catalog(second)
        with first.engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        assert isinstance(schema, str)
        elsewhere = Held(other, lambda: other.share_image(ALICE, other_web, [CAROL]), accounts=None)
        pids: list[int] = []

        def share_and_say_who() -> None:
            service.share_image(ALICE, web, [CAROL])
            unit = first._local.unit
            pids.append(unit.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar())

        held = Held(service, share_and_say_who, accounts=[ALICE])
        try:
            with first.engine.connect() as connection:
                rows = connection.exec_driver_sql(
                    "SELECT classid::bigint, objid::bigint, objsubid, mode FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND pid = %(pid)s",
                    {"pid": pids[0]},
                ).all()
        finally:
            held.release()
            elsewhere.release()
    held_keys = {((row[0] << 32) | row[1], row[3]) for row in rows if row[2] == 1}
    alice = account_lock_key(ALICE, schema) & 0xFFFF_FFFF_FFFF_FFFF  # shown unsigned
    assert (catalog_lock_key(schema), "ShareLock") in held_keys
    assert (alice, "ExclusiveLock") in held_keys
    assert account_lock_key(ALICE, schema) < 0 < catalog_lock_key(schema)
    assert account_lock_key(ALICE, schema) != account_lock_key(ALICE, "another")
    assert catalog_lock_key(schema) != catalog_lock_key("another")


def test_a_unit_of_work_for_some_accounts_refuses_a_call_for_another() -> None:
    """A unit of work opened for Alice may hold only Alice's calls: Bob's share inside
    it is refused with InvalidParameterError naming Bob, the unit goes on, and the
    provider's operations (any account's images) are refused too; on every store."""
    service, web, bobs = _catalog(SqlImageRepository("sqlite://"))
    with service.unit_of_work(accounts=[ALICE]):
        service.share_image(ALICE, web, [CAROL])
        with pytest.raises(InvalidParameterError, match=BOB) as raised:
            service.share_image(BOB, bobs, [CAROL])
        assert raised.value.parameter == "accounts"
        with pytest.raises(InvalidParameterError, match="provider's operations"):
            service.provider.complete(web)
        with pytest.raises(InvalidParameterError, match=BOB):
            service.unit_of_work(accounts=[ALICE, BOB]).__enter__()
    assert [share.account.id for share in service.share_permissions(ALICE, web)] == [CAROL]
    memory = ImageService()
    memory.register_account(ALICE)
    with memory.unit_of_work(accounts=[ALICE]), pytest.raises(InvalidParameterError, match=BOB):
        memory.register_account(BOB)


def test_with_open_accounts_a_share_locks_the_accounts_it_registers() -> None:
    """With open accounts a share registers its receivers, so it needs their locks:
    inside a unit of work for Alice alone, sharing with a new account is refused;
    with strict accounts (receivers only checked) it is not."""
    open_service = ImageService(SqlImageRepository("sqlite://"), strict_accounts=False)
    web = _import(open_service, ALICE, "web")
    with (
        open_service.unit_of_work(accounts=[ALICE]),
        pytest.raises(InvalidParameterError, match=CAROL),
    ):
        open_service.share_image(ALICE, web, [CAROL])
    with open_service.unit_of_work(accounts=[ALICE, CAROL]):
        open_service.share_image(ALICE, web, [CAROL])
    strict, strict_web, _ = _catalog(SqlImageRepository("sqlite://"))
    with strict.unit_of_work(accounts=[ALICE]):
        strict.share_image(ALICE, strict_web, [CAROL])


# Fewer round trips: what a write sends -------------------------------------------------


def _statements_of(store: SqlImageRepository, call: Callable[[], object]) -> list[str]:
    sent: list[str] = []
    with statements_sent(store.engine, lambda text: sent.append(" ".join(text.split()))):
        call()
    return sent


def test_a_share_writes_its_new_shares_in_one_statement(store: SqlImageRepository) -> None:
    """Sharing with three accounts inserts the three share rows in one statement and
    leaves the image's row alone; cancelling two deletes them in one statement; and
    the order of the shares that remain is kept (share, cancel, share again)."""
    service, web, _ = _catalog(store)
    service.register_account("100000000005")
    sent = _statements_of(store, lambda: service.share_image(ALICE, web, [CAROL, DAVE, BOB]))
    inserts = [text for text in sent if text.startswith("INSERT INTO ic_shares")]
    assert len(inserts) == 1 and inserts[0].count("VALUES") == 1
    assert not [text for text in sent if text.startswith("UPDATE ic_images")]
    assert not [text for text in sent if text.startswith("DELETE")]
    sent = _statements_of(store, lambda: service.unshare_image(ALICE, web, [CAROL, BOB]))
    deletes = [text for text in sent if text.startswith("DELETE FROM ic_shares")]
    assert len(deletes) == 1 and not [text for text in sent if text.startswith("INSERT")]
    service.share_image(ALICE, web, ["100000000005", CAROL])
    shares = [share.account.id for share in service.share_permissions(ALICE, web)]
    assert shares == [DAVE, "100000000005", CAROL]
    fresh = ImageService(SqlImageRepository(store.engine.url.render_as_string(False)))
    assert [share.account.id for share in fresh.share_permissions(ALICE, web)] == shares
    fresh.store.close()  # type: ignore[attr-defined]


def test_a_savepoint_rolled_back_leaves_the_next_write_whole(store: SqlImageRepository) -> None:
    """A nested unit of work that shares and then fails is undone; a share after it in
    the same unit writes against what the database holds, not against the undone
    share (the store forgets what it remembered of the savepoint)."""
    service, web, _ = _catalog(store)

    def share_then_fail() -> None:
        with service.unit_of_work():
            service.share_image(ALICE, web, [CAROL])
            raise RuntimeError("undo this share")

    with service.unit_of_work(accounts=[ALICE]):
        with pytest.raises(RuntimeError):
            share_then_fail()
        service.share_image(ALICE, web, [DAVE])
    assert [share.account.id for share in service.share_permissions(ALICE, web)] == [DAVE]


# Connections --------------------------------------------------------------------------------


def _terminate_others(store: SqlImageRepository) -> int:
    """Terminate every other connection to the store's database (as a restart of the
    server, or a network fault, would); how many."""
    name = store.engine.url.query["application_name"]
    admin = sa.create_engine(store.engine.url)
    try:
        with admin.begin() as connection:
            return len(
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND application_name = %(name)s",
                    {"name": name},
                ).all()
            )
    finally:
        admin.dispose()


@pytest.fixture(params=["psycopg", "sqlalchemy"])
def named_pg_store(
    request: pytest.FixtureRequest, postgres: PostgresSchemas, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SqlImageRepository]:
    """A PostgreSQL store whose connections carry a name of their own, which the
    test can terminate (no other run's sessions); its statements sent on psycopg,
    or all run by SQLAlchemy (as with another driver)."""
    if request.param == "sqlalchemy":
        monkeypatch.setattr("imagecatalog.sql.driver_for", lambda engine: None)
    url = sa.make_url(postgres.url_for_new_schema())
    url = url.update_query_dict({"application_name": f"imagecatalog-{uuid.uuid4().hex[:12]}"})
    with SqlImageRepository(url.render_as_string(hide_password=False)) as opened:
        yield opened


@needs_postgres
def test_a_connection_lost_in_the_middle_of_a_call_changes_nothing(
    named_pg_store: SqlImageRepository,
) -> None:
    """The database drops the connection after a call has written the image's shares
    but before it commits: the call raises StoreUnavailableError (code
    ServiceUnavailable, outcome known: nothing was applied), the catalog is as it
    was, and the next call reconnects and succeeds."""
    service, web, _ = _catalog(named_pg_store)
    before = catalog_state(service)

    def share_twice_losing_the_connection_between() -> None:
        with service.unit_of_work(accounts=[ALICE]):
            service.share_image(ALICE, web, [CAROL])
            assert _terminate_others(named_pg_store) >= 1
            service.share_image(ALICE, web, [DAVE])

    with pytest.raises(StoreUnavailableError) as raised:
        share_twice_losing_the_connection_between()
    assert raised.value.code == "ServiceUnavailable"
    assert raised.value.outcome_unknown is False
    assert "do the whole unit again" in str(raised.value)
    assert catalog_state(service) == before
    service.share_image(ALICE, web, [DAVE])
    assert [share.account.id for share in service.share_permissions(ALICE, web)] == [DAVE]


@needs_postgres
def test_pooled_connections_the_database_dropped_are_replaced_unseen(
    named_pg_store: SqlImageRepository,
) -> None:
    """After the database dropped every idle pooled connection (a restart; here
    three in the pool), the next read and the next write succeed: the first finds
    its connection dead at its first statement, before anything was done, and the
    store replaces every connection the pool opened before it (not only that one,
    else the retry meets the next dead one)."""
    service, web, _ = _catalog(named_pg_store)

    def three_idle_connections() -> None:
        held = [named_pg_store.engine.raw_connection() for _ in range(3)]
        for connection in held:
            connection.close()

    three_idle_connections()
    assert _terminate_others(named_pg_store) >= 3
    assert service.describe_images(ALICE, REGION, kinds=["PRIVATE_IMAGE"]).total_count == 1
    three_idle_connections()
    assert _terminate_others(named_pg_store) >= 3
    service.share_image(ALICE, web, [CAROL])
    assert [share.account.id for share in service.share_permissions(ALICE, web)] == [CAROL]


@needs_postgres
def test_a_database_that_cannot_be_reached_is_store_unavailable() -> None:
    """A store whose database does not answer raises StoreUnavailableError after its
    connect_timeout, naming what to do: here a socket that takes the connection and
    never says a word (a hung server), and a port where nothing listens."""
    assert POSTGRES_URL is not None
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes connections; nobody ever answers them
    try:
        url = sa.make_url(POSTGRES_URL).set(host="127.0.0.1", port=silent.getsockname()[1])
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="try again"):
            SqlImageRepository(url.render_as_string(hide_password=False), connect_timeout=2)
        assert 1.5 < time.monotonic() - started < PROMPTLY
    finally:
        silent.close()
    nowhere = sa.make_url(POSTGRES_URL).set(host="127.0.0.1", port=1)
    with pytest.raises(StoreUnavailableError, match="try again"):
        SqlImageRepository(nowhere.render_as_string(hide_password=False), connect_timeout=2)


@needs_postgres
def test_a_write_that_waits_past_the_lock_timeout_is_store_unavailable(
    postgres: PostgresSchemas,
) -> None:
    """A write for Alice waits for Alice's lock at most lock_timeout seconds, then
    raises StoreUnavailableError and changes nothing."""
    url = postgres.url_for_new_schema()
    with SqlImageRepository(url) as first, SqlImageRepository(url, lock_timeout=0.2) as hasty:
        service, web, _ = _catalog(first)
        impatient = ImageService(hasty)
        held = Held(service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=[ALICE])
        try:
            with pytest.raises(StoreUnavailableError, match="lock_timeout"):
                impatient.share_image(ALICE, web, [DAVE])
        finally:
            held.release()
        assert [share.account.id for share in impatient.share_permissions(ALICE, web)] == [CAROL]


def test_a_pool_with_no_free_connection_is_store_unavailable(tmp_path: Path) -> None:
    """With every connection of the pool in use for longer than pool_timeout, a call
    raises StoreUnavailableError naming the pool."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with SqlImageRepository(url, pool_size=1, max_overflow=0, pool_timeout=0.2) as small:
        service, web, _ = _catalog(small)
        held = Held(service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=[ALICE])
        try:
            with pytest.raises(StoreUnavailableError, match="pool"):
                service.describe_images(BOB, REGION)
        finally:
            held.release()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"pool_size": 0}, "pool_size"),
        ({"max_overflow": -1}, "max_overflow"),
        ({"pool_timeout": 0}, "pool_timeout"),
        ({"lock_timeout": "soon"}, "number of seconds"),
        ({"connect_timeout": True}, "number of seconds"),
        ({"lock_timeout": 10**6}, "at most"),
    ],
)
def test_connection_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        SqlImageRepository("sqlite:///unused.db", **settings)


def test_connection_settings_need_a_url_and_a_pool() -> None:
    """An engine passed in is configured by its maker; an in-memory SQLite database is
    one connection: the pool's settings do not apply, and saying so is an error."""
    engine = sa.create_engine("sqlite://")
    with pytest.raises(InvalidParameterError, match="configure the engine you pass"):
        SqlImageRepository(engine, lock_timeout=5)
    engine.dispose()
    with pytest.raises(InvalidParameterError, match="one connection"):
        SqlImageRepository("sqlite://", pool_size=3)


def test_a_row_this_release_cannot_read_is_a_store_error(tmp_path: Path) -> None:
    """A row changed behind the store's back into a value the domain refuses (an
    unknown state) is reported as StoreError naming the image, not a crash."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with SqlImageRepository(url) as store:
        service, web, _ = _catalog(store)
        with store.engine.begin() as connection:
            connection.exec_driver_sql(f"UPDATE ic_images SET state = 'MELTED' WHERE id = '{web}'")
        with pytest.raises(StoreError, match=web):
            service.describe_images(ALICE, REGION)


def test_account_names_are_remembered_only_once_committed(tmp_path: Path) -> None:
    """The store remembers that an account exists only once that is committed: an
    account registered in a unit of work that is rolled back does not exist after."""
    with SqlImageRepository(f"sqlite:///{tmp_path / 'c.db'}") as store:
        service = ImageService(store)
        with service.unit_of_work() as work:
            service.register_account(ALICE)
            assert store.account_exists(ALICE)
            work.rollback()
        assert not store.account_exists(ALICE)
        with pytest.raises(AccountNotFoundError):
            service.image_quota(ALICE, REGION)


def test_values_written_into_the_opening_round_trip_are_quoted() -> None:
    """The IDs written into the statements that open a PostgreSQL unit of work are
    plain (letters, digits, dashes) or quoted by the driver: an ID with a quote in it
    stays one string literal."""
    from imagecatalog.sql import _begin_text, _literals

    assert _literals(["img-b", "img-a", "img-a"]) == "'img-a', 'img-b'"
    assert _literals(["it's"]) == "'it''s'"
    text = _begin_text(frozenset({ALICE}), ("img-1", "x'; DROP TABLE ic_images; --"), "SELECT 1")
    assert f"pg_advisory_xact_lock({account_lock_key(ALICE)})" in text
    assert "'x''; DROP TABLE ic_images; --'" in text
    assert text.startswith("BEGIN; SELECT pg_advisory_xact_lock_shared(")


# What the cold review found ---------------------------------------------------------------


@needs_postgres
def test_an_unreadable_row_at_the_opening_round_trip_leaves_no_lock(
    pg_store: SqlImageRepository,
) -> None:
    """A unit of work that cannot read a row it fetched as it began (here a state
    changed behind the store's back) gives its connection back at once: while the
    error and its traceback live on, Alice's lock and the catalog's are free."""
    service, web, _ = _catalog(pg_store)
    with pg_store.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE ic_images SET state = 'MELTED' WHERE id = '{web}'")
    with pytest.raises(StoreError, match=web) as raised:  # kept, as a log would keep it
        service.share_image(ALICE, web, [CAROL])
    url = pg_store.engine.url.render_as_string(hide_password=False)
    with SqlImageRepository(url, lock_timeout=1) as other:
        ImageService(other).register_account(ALICE, exist_ok=True)
        ImageService(other).share_image(ALICE, _import(ImageService(other), ALICE, "x"), [BOB])
    assert raised.value is not None


@needs_postgres
@pytest.mark.parametrize("barrier", ["a new store", "a DryRun", "a new service"])
def test_opening_a_store_or_a_dry_run_holds_no_other_owner_back(
    pg_store: SqlImageRepository, barrier: str
) -> None:
    """Neither opening another store on the catalog (its schema is current: it is
    only read), nor a service with the public catalog on a store that holds it, nor
    a DryRun (a unit of work for its caller) takes the whole catalog's lock, so
    while Alice's unit of work is open, Bob's share still commits at once
    (PostgreSQL queues new shared requests behind a waiting exclusive one: a
    whole-catalog request would hold every owner back)."""
    from imagecatalog.cvm import CvmActions

    service, web, bobs = _catalog(pg_store)
    service.provider.add_builtin_public_images()
    daves = _import(service, DAVE, "dave-web")
    url = pg_store.engine.url.render_as_string(hide_password=False)
    calls: dict[str, Callable[[], object]] = {
        "a new store": lambda: SqlImageRepository(url).close(),
        "a new service": lambda: ImageService(pg_store, public_catalog=True),
        "a DryRun": lambda: CvmActions(service).handle(
            "DeleteImages",
            {"ImageIds": [daves], "DryRun": True},
            caller=DAVE,
            region=REGION,
        ),
    }
    held = Held(service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=[ALICE])
    waiter, answer = _in_thread(calls[barrier])
    try:
        waiter.join(PROMPTLY)
        assert not waiter.is_alive(), f"{barrier} waited for Alice's unit of work"
        started = time.monotonic()
        service.share_image(BOB, bobs, [CAROL])
        assert time.monotonic() - started < BLOCKED
    finally:
        held.release()
    assert not [error for error in answer if isinstance(error, BaseException)], answer


def test_a_process_forked_from_another_draws_other_ids() -> None:
    """A service's unseeded ID generator draws anew in a forked child, so processes
    forked from one parent (a pre-forking server) never draw the same new IDs for
    the owners they write for at once; a seeded one repeats itself, by design."""
    import multiprocessing

    from imagecatalog._ids import IdGenerator

    unseeded, seeded = IdGenerator(), IdGenerator(seed=7)
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def draw() -> None:
        results.put((unseeded.new("img", lambda _: False), seeded.new("img", lambda _: False)))

    child = context.Process(target=draw)
    child.start()
    child_unseeded, child_seeded = results.get(timeout=PROMPTLY)
    child.join(PROMPTLY)
    assert child_unseeded != unseeded.new("img", lambda _: False)
    assert child_seeded == seeded.new("img", lambda _: False)


def test_a_share_after_a_cancel_comes_last(store: SqlImageRepository) -> None:
    """A share's position follows every share the image ever had: share Erin and
    Dave, cancel Erin, share Carol: Dave then Carol (a reused position would put
    Carol first)."""
    service, web, _ = _catalog(store)
    erin = "100000000005"
    service.register_account(erin)
    service.share_image(ALICE, web, [erin, DAVE])
    service.unshare_image(ALICE, web, [erin])
    service.share_image(ALICE, web, [CAROL])
    assert [share.account.id for share in service.share_permissions(ALICE, web)] == [DAVE, CAROL]


def test_an_account_registered_in_a_unit_rolled_back_is_never_known(
    store: SqlImageRepository,
) -> None:
    """Inside a unit of work the store sees its own new account; after a savepoint
    of the unit rolled back (it forgets what it read) and the unit is rolled back,
    the account does not exist: the store never remembered it as known."""
    service = ImageService(store)
    with service.unit_of_work() as work:
        service.register_account(BOB)
        with contextlib.suppress(RuntimeError), service.unit_of_work():
            raise RuntimeError("undo this block")
        assert store.account_exists(BOB)
        work.rollback()
    assert not store.account_exists(BOB)


@contextlib.contextmanager
def _once_before(
    engine: sa.Engine, pattern: str, action: Callable[[], object]
) -> Iterator[list[int]]:
    """Run *action* (in another thread, waited for) just before the first statement
    matching *pattern* is sent on *engine* from this thread; the list says whether
    it ran."""
    fired: list[int] = []

    def hook(statement: str) -> None:
        if not fired and re.search(pattern, statement, re.S):
            fired.append(1)
            thread = threading.Thread(target=action)
            thread.start()
            thread.join(PROMPTLY)

    with statements_sent(engine, hook):
        yield fired


@needs_postgres
def test_an_export_reads_one_snapshot(postgres: PostgresSchemas) -> None:
    """``contents()`` reads accounts, images and instances in one snapshot: an
    account and its image added by another process between its statements are in
    none of its answers (else an image of an unknown account)."""
    url = postgres.url_for_new_schema()
    with SqlImageRepository(url) as store, SqlImageRepository(url) as elsewhere:
        service, other = ImageService(store), ImageService(elsewhere)
        service.register_account(ALICE)

        def add() -> None:
            other.register_account(CAROL)
            _import(other, CAROL, "web")

        pattern = r"FROM ic_images.*ORDER BY ic_images.created_at"
        with _once_before(store.engine, pattern, add) as fired:
            contents = service.contents()
        assert fired and catalog_violations(contents) == []
        assert [profile.id for profile in contents.accounts] == [ALICE]


@needs_postgres
def test_a_listing_of_several_groups_reads_one_snapshot(postgres: PostgresSchemas) -> None:
    """A public image published and Bob's image shared with Alice, in one unit of
    work of another process, just before Alice's listing is sent: her page shows
    both or neither, and its total counts what it shows."""
    url = postgres.url_for_new_schema()
    with SqlImageRepository(url) as store, SqlImageRepository(url) as elsewhere:
        service, other = ImageService(store), ImageService(elsewhere)
        for account in (ALICE, BOB):
            service.register_account(account)
        bobs = _import(service, BOB, "bob-web")

        def publish_and_share() -> None:
            with other.unit_of_work():
                other.provider.publish_public_image(
                    REGION,
                    name="New",
                    os_type="Linux",
                    platform="Ubuntu",
                    os_name="Ubuntu",
                    architecture="x86_64",
                    size_gb=20,
                )
                other.share_image(BOB, bobs, [ALICE])

        with _once_before(store.engine, r"ic_shares\.account_id", publish_and_share) as fired:
            page = service.describe_images(ALICE, REGION)
        kinds = [kind.value for kind in page.kinds]
        assert fired
        assert ("PUBLIC_IMAGE" in kinds) == ("SHARED_IMAGE" in kinds), kinds
        assert page.total_count == len(page.items)


def test_the_account_locks_are_taken_in_ascending_order() -> None:
    """Every unit of work takes its accounts' locks in ascending order of key (the
    order that makes a deadlock impossible), whatever order the accounts come in."""
    from imagecatalog.sql import _begin_text

    accounts = frozenset(f"1000000000{n:02d}" for n in range(20))
    text = _begin_text(accounts, (), None)
    keys = [int(key) for key in re.findall(r"pg_advisory_xact_lock\((-?\d+)\)", text)]
    assert keys == sorted(account_lock_key(account) for account in accounts)
    assert len(keys) == 20


@needs_postgres
def test_open_accounts_two_owners_registering_one_account_take_turns(
    postgres: PostgresSchemas,
) -> None:
    """With open accounts, Alice's and Bob's shares both register Carol: each locks
    Carol, so Bob's waits for Alice's unit of work, then succeeds (neither fails on
    the account row both would insert)."""
    with SqlImageRepository(postgres.url_for_new_schema()) as store:
        service = ImageService(store, strict_accounts=False)
        web, bobs = _import(service, ALICE, "web"), _import(service, BOB, "web")
        held = Held(
            service, lambda: service.share_image(ALICE, web, [CAROL]), accounts=[ALICE, CAROL]
        )
        _waits_for(
            held,
            lambda: service.share_image(BOB, bobs, [CAROL]),
            "Bob's share did not wait for Carol's lock",
        )
        assert [share.account.id for share in service.share_permissions(BOB, bobs)] == [CAROL]


@needs_postgres
def test_a_unit_that_went_on_past_a_database_error_does_not_seem_to_commit(
    pg_store: SqlImageRepository,
) -> None:
    """A statement of a unit of work failed in the database (an account registered
    twice, straight on the store, outside any savepoint) and the caller swallowed the
    error: PostgreSQL has undone the whole unit and would answer COMMIT with a silent
    ROLLBACK. The unit raises StoreError as it ends, and nothing of it was applied."""
    from imagecatalog import Account, AccountProfile

    _catalog(pg_store)
    erin = AccountProfile(account=Account.of("100000000009"))

    def register_erin_and_alice_again() -> None:
        with pg_store.write_transaction([ALICE, erin.id]):
            pg_store.add_account(erin)
            with contextlib.suppress(Exception):  # the error, swallowed
                pg_store.add_account(AccountProfile(account=Account.of(ALICE)))  # registered
                pg_store.get_image("img-00000000")  # on the driver, sent with this read

    with pytest.raises(StoreError, match="went on past its error"):
        register_erin_and_alice_again()
    assert not pg_store.account_exists(erin.id)


@needs_postgres
def test_a_unit_of_work_whose_connection_was_lost_says_it_never_committed(
    named_pg_store: SqlImageRepository,
) -> None:
    """A call inside a unit of work met a lost connection (and the caller went on):
    the unit, ending, raises StoreUnavailableError with outcome_unknown False (no
    COMMIT could be sent), and the catalog is as it was."""
    service, web, _ = _catalog(named_pg_store)

    def unit() -> None:
        with service.unit_of_work(accounts=[ALICE]):
            service.share_image(ALICE, web, [CAROL])
            assert _terminate_others(named_pg_store) >= 1
            with pytest.raises(StoreUnavailableError) as first:
                service.share_image(ALICE, web, [DAVE])
            assert first.value.outcome_unknown is False

    with pytest.raises(StoreUnavailableError, match=r"rolled all of it back") as raised:
        unit()
    assert raised.value.outcome_unknown is False
    assert service.share_permissions(ALICE, web) == ()


@needs_postgres
def test_a_connection_lost_while_committing_is_an_unknown_outcome(
    named_pg_store: SqlImageRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection dies as the call commits (on the driver, as the share's INSERT
    and the COMMIT go in one round trip): the database applied all of it or none,
    which only a read can tell: outcome_unknown is True."""
    from imagecatalog.sql import _Unit

    service, web, _ = _catalog(named_pg_store)
    commit = SqlImageRepository._commit

    def dying_commit(store: SqlImageRepository, unit: _Unit) -> None:
        _terminate_others(named_pg_store)
        commit(store, unit)

    monkeypatch.setattr(SqlImageRepository, "_commit", dying_commit)
    with pytest.raises(StoreUnavailableError, match="read the catalog") as raised:
        service.share_image(ALICE, web, [CAROL])
    assert raised.value.outcome_unknown is True


@needs_postgres
def test_an_export_after_a_restart_reconnects_unseen(named_pg_store: SqlImageRepository) -> None:
    """An export's snapshot finds its pooled connection dead at its first statement
    (the server restarted): nothing was read yet, so it takes a new one."""
    service, _, _ = _catalog(named_pg_store)
    before = service.contents()
    assert _terminate_others(named_pg_store) >= 1
    assert service.contents() == before


def test_database_failures_are_classified_by_what_the_database_says() -> None:
    """A PostgreSQL error is classified by its SQLSTATE (lock timeout, deadlock,
    serialization failure, connection classes: try again; any other: a fault to
    look into, whatever its message says); a message-less error is still reported."""
    from imagecatalog.sql import _store_error

    class DriverError(Exception):
        def __init__(self, message: str, sqlstate: str | None) -> None:
            super().__init__(message)
            self.sqlstate = sqlstate

    def error(message: str, sqlstate: str | None) -> sa.exc.SQLAlchemyError:
        return sa.exc.OperationalError("SELECT 1", {}, DriverError(message, sqlstate))

    for state in ("55P03", "40P01", "40001", "08006", "53300", "57P01"):
        assert isinstance(_store_error(error("no", state)), StoreUnavailableError), state
    refused = _store_error(error("could not connect to the connection pool", "42P01"))
    assert type(refused) is StoreError and "look into the database" in str(refused)
    assert type(_store_error(error("", None))) is StoreError
    assert isinstance(_store_error(error("database is locked", None)), StoreUnavailableError)


def test_a_unit_of_work_for_no_account_is_refused() -> None:
    """``unit_of_work(accounts=[])`` could hold no call at all: it is refused up
    front (None, not an empty list, means the whole catalog)."""
    service = ImageService()
    with pytest.raises(InvalidParameterError, match="accounts"):
        service.unit_of_work(accounts=[])
