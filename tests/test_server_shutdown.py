"""A stopping server, tested from outside: SIGTERM with a write in flight.

The issue asks for a graceful shutdown: requests in flight finish, nothing is
half-written.  Each test starts the real server (``python -m imagecatalog serve
--store ...``) on a SQLite file and, when ``IMAGECATALOG_TEST_POSTGRES_URL`` is
set, on PostgreSQL; holds a write inside it; sends SIGTERM; and checks what the
client was answered, that the process exits, and that a server started again on
the same store shows the write whole or not at all, with every invariant of the
catalog holding.

Grounding: uvicorn's ``Server.shutdown`` (0.30 and later) stops accepting, gives
the requests in flight ``timeout_graceful_shutdown`` seconds (``--shutdown-timeout``),
cancels those still running, and only then sends the ASGI lifespan's shutdown;
the process then exits by the signal it caught (status -15), or 0.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import models

pytest.importorskip("uvicorn")

from imagecatalog import ImageService
from imagecatalog.contents import CatalogContents
from imagecatalog.invariants import catalog_violations
from imagecatalog.sql import SqlImageRepository
from tests.http_server import Server
from tests.support import PostgresSchemas
from tests.test_server import TOKEN, control

POSTGRES_URL = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"
#: How long the write is held in the server by injected latency: far longer than
#: any of these tests may take.
HELD = 120


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                POSTGRES_URL is None, reason="IMAGECATALOG_TEST_POSTGRES_URL is not set"
            ),
        ),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    assert POSTGRES_URL is not None
    schemas = PostgresSchemas(POSTGRES_URL)
    try:
        yield schemas.url_for_new_schema()
    finally:
        schemas.drop_all()


class InFlight:
    """An ImportImage of Alice's, sent by the official SDK in a thread of its own;
    :attr:`outcome` is the image ID it was answered with, or the SDK's exception."""

    def __init__(self, server: Server) -> None:
        self.outcome: str | TencentCloudSDKException | None = None
        self._thread = threading.Thread(target=self._send, args=(server,), daemon=True)
        self._thread.start()
        time.sleep(1)  # the request reaches the server and is held there

    def _send(self, server: Server) -> None:
        request = models.ImportImageRequest()
        request.ImageName, request.ImageUrl = "erp-in-flight", URL
        request.OsType, request.OsVersion, request.Architecture = "CentOS", "7", "x86_64"
        try:
            self.outcome = str(server.client().ImportImage(request).ImageId)
        except TencentCloudSDKException as error:
            self.outcome = error

    def answered(self, within: float) -> str | TencentCloudSDKException:
        self._thread.join(within)
        assert not self._thread.is_alive(), f"no answer within {within} s"
        assert self.outcome is not None
        return self.outcome


def sigterm(server: Server) -> int:
    """SIGTERM, and the status the process exits with."""
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    status = server.process.wait(timeout=60)
    assert status in (0, -signal.SIGTERM), status
    return status


def contents(url: str) -> CatalogContents:
    """The catalog on *url*, read straight from the store, with its invariants checked."""
    with SqlImageRepository(url) as repository:
        found = ImageService(repository).contents()
    assert catalog_violations(found) == []
    return found


def named(catalog: CatalogContents, name: str) -> list[str]:
    return [image.id for image in catalog.images if image.name == name]


def test_a_write_held_by_injected_latency_finishes_when_sigterm_arrives(
    store: str, tmp_path: Path
) -> None:
    """SIGTERM ends injected latency at once: the write held by it runs, the
    client gets its answer (not a network failure after --shutdown-timeout), the
    process exits, and a restarted server on the store has the image, once."""
    server = Server(
        tmp_path, store=store, options=["--control-token", TOKEN, "--shutdown-timeout", "60"]
    ).start()
    try:
        status, _ = control(server, "POST", "faults", {"action": "ImportImage", "latency": HELD})
        assert status == 200
        in_flight = InFlight(server)
        began = time.monotonic()
        sigterm(server)
        outcome = in_flight.answered(within=30)
        assert time.monotonic() - began < 30  # neither the latency nor the shutdown timeout
    finally:
        server.stop()
    assert isinstance(outcome, str) and outcome.startswith("img-"), outcome
    assert named(contents(store), "erp-in-flight") == [outcome]
    again = Server(tmp_path, store=store).start()
    try:
        described = models.DescribeImagesRequest()
        described.ImageIds = [outcome]
        [image] = again.client().DescribeImages(described).ImageSet
        assert image.ImageName == "erp-in-flight"
    finally:
        again.stop()


def test_a_write_the_shutdown_timeout_cuts_short_is_answered_and_not_half_written(
    store: str, tmp_path: Path
) -> None:
    """A write still waiting for the store when --shutdown-timeout is over (here
    for a unit of work this test holds) is answered as the API answers, with
    ServiceUnavailable and a request ID (not uvicorn's bare HTTP 500, which the
    SDK reads as a network failure); the process exits; and the store holds
    nothing of the write, the catalog unchanged."""
    server = Server(tmp_path, store=store, options=["--shutdown-timeout", "2"]).start()
    before = contents(store)
    repository = SqlImageRepository(store)
    holder = ImageService(repository)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.unit_of_work() as unit:  # the whole catalog: every write waits
            holder.register_account("100000000009")
            inside.set()
            release.wait(60)
            unit.rollback()

    holding = threading.Thread(target=hold, daemon=True)
    holding.start()
    try:
        assert inside.wait(30)
        in_flight = InFlight(server)
        began = time.monotonic()
        sigterm(server)
        outcome = in_flight.answered(within=30)
        assert time.monotonic() - began < 30
    finally:
        release.set()
        holding.join(30)
        server.stop()
        repository.close()
    assert isinstance(outcome, TencentCloudSDKException), outcome
    assert outcome.code == "ServiceUnavailable", (outcome.code, outcome.message)
    assert outcome.requestId and "Traceback" not in outcome.message
    after = contents(store)
    assert named(after, "erp-in-flight") == []
    assert after == before
    again = Server(tmp_path, store=store).start()
    try:
        described = models.DescribeImagesRequest()
        described.Filters = [models.Filter()]
        described.Filters[0].Name, described.Filters[0].Values = "image-name", ["erp-in-flight"]
        assert again.client().DescribeImages(described).TotalCount == 0
    finally:
        again.stop()
