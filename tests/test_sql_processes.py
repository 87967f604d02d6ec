"""Eight processes, one catalog: the rules hold across processes on SQLite and
PostgreSQL, for one owner and for several at once; a process killed in the middle
of a write leaves nothing half-written and no lock held."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from imagecatalog import ImageCatalogError, ImageService
from imagecatalog.invariants import catalog_violations
from imagecatalog.sql import SqlImageRepository
from tests.support import PostgresSchemas

PROCESSES = 8
ALICE = "100000000001"
ACCOUNTS = [f"1000000001{n:02d}" for n in range(60)]
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"
POSTGRES_URL = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")


def _import(service: ImageService, owner: str, region: str, name: str) -> str:
    return service.import_image(
        owner,
        region,
        name=name,
        image_url=URL,
        platform="Debian",
        os_version="12",
        architecture="x86_64",
    ).id


def arrange(url: str) -> str:
    """Alice holds 9 of 10 images in ap-guangzhou and one image shared with 49 accounts."""
    with SqlImageRepository(url) as store:
        service = ImageService(store)
        for account in (ALICE, *ACCOUNTS):
            service.register_account(account)
        for number in range(8):
            _import(service, ALICE, "ap-guangzhou", f"filler-{number}")
        popular = _import(service, ALICE, "ap-guangzhou", "popular")
        service.share_image(ALICE, popular, ACCOUNTS[:49])
        return popular


def worker(url: str, number: int, popular: str, start: Any, results: Any) -> None:
    """One process: race for the last quota slot, race for the 50th share slot, then
    random operations; report what won."""
    store = SqlImageRepository(url, create=False)
    service = ImageService(store)
    rng = random.Random(number)
    outcome: dict[str, Any] = {"quota": None, "share": False, "created": [], "deleted": []}
    start.wait()
    try:
        outcome["quota"] = _import(service, ALICE, "ap-guangzhou", f"last-slot-{number}")
    except ImageCatalogError as error:
        if error.code != "ImageQuotaLimitExceeded":
            raise
    try:
        service.share_image(ALICE, popular, [ACCOUNTS[49 + number]])
        outcome["share"] = True
    except ImageCatalogError as error:
        if error.code != "OverQuota":
            raise
    me = ACCOUNTS[50 + number % 4]  # four owners, two processes each: apart and together
    for _ in range(25):
        region = rng.choice(["ap-tokyo", "ap-seoul"])
        try:
            if rng.random() < 0.6:
                outcome["created"].append(_import(service, me, region, f"n{rng.randrange(8)}"))
            else:
                mine = service.describe_images(me, region, kinds=["PRIVATE_IMAGE"], limit=100)
                if mine.items:
                    victim = rng.choice(mine.items).id
                    service.delete_images(me, [victim])
                    outcome["deleted"].append(victim)
        except ImageCatalogError as error:
            if error.code not in (
                "ImageQuotaLimitExceeded",
                "InvalidImageName.Duplicate",
                "InvalidImageId.NotFound",
            ):
                raise
    store.close()
    results.put(outcome)


def hammer(url: str) -> None:
    popular = arrange(url)
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=worker, args=(url, n, popular, start, results))
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=240) for _ in processes]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    # Each contested slot had exactly one winner.
    assert sum(outcome["quota"] is not None for outcome in outcomes) == 1
    assert sum(outcome["share"] for outcome in outcomes) == 1
    with SqlImageRepository(url, create=False) as store:
        service = ImageService(store)
        assert service.image_quota(ALICE, "ap-guangzhou").used == 10
        assert len(service.share_permissions(ALICE, popular)) == 50
        created = [image_id for outcome in outcomes for image_id in outcome["created"]]
        deleted = [image_id for outcome in outcomes for image_id in outcome["deleted"]]
        assert len(created) == len(set(created)) and len(deleted) == len(set(deleted))
        contents = service.contents()
        assert catalog_violations(contents) == []  # quotas, names and shares hold
        custom = [image for image in contents.images if image.owner and image.owner.id != ALICE]
        assert {image.id for image in custom} == set(created) - set(deleted)
        per_slot = Counter((image.owner.id, image.region.id) for image in custom if image.owner)
        for (owner, region), used in per_slot.items():
            assert used == service.image_quota(owner, region).used <= 10


def test_eight_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    hammer(f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.mark.skipif(POSTGRES_URL is None, reason="IMAGECATALOG_TEST_POSTGRES_URL is not set")
def test_eight_processes_on_one_postgres_schema() -> None:
    assert POSTGRES_URL is not None
    schemas = PostgresSchemas(POSTGRES_URL)
    try:
        hammer(schemas.url_for_new_schema())
    finally:
        schemas.drop_all()


def half_write(url: str, image_id: str, inside: Any) -> None:
    """Open a unit of work for Alice, write in it (a new image, a share), say so,
    and wait to be killed before it commits."""
    service = ImageService(SqlImageRepository(url, create=False))
    with service.unit_of_work(accounts=[ALICE]):
        _import(service, ALICE, "ap-guangzhou", "half-written")
        service.share_image(ALICE, image_id, [ACCOUNTS[59]])
        inside.set()
        time.sleep(600)


def kill_in_the_middle(url: str) -> None:
    popular = arrange(url)
    with SqlImageRepository(url, create=False) as store:
        service = ImageService(store)
        before = service.contents()
        context = multiprocessing.get_context("spawn")
        inside = context.Event()
        victim = context.Process(target=half_write, args=(url, popular, inside))
        victim.start()
        assert inside.wait(60), "the process did not get into its unit of work"
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(30)
        assert victim.exitcode == -signal.SIGKILL
        # Nothing of the half-written call is there, and Alice's lock is free: her
        # next write goes through at once (the database ended the dead session's
        # transaction, and its locks with it).
        assert service.contents() == before
        started = time.monotonic()
        last = _import(service, ALICE, "ap-guangzhou", "after-the-kill")
        assert time.monotonic() - started < 30
        assert catalog_violations(service.contents()) == []
        assert service.image_quota(ALICE, "ap-guangzhou").used == 10
        assert service.get_image(ALICE, last).name == "after-the-kill"


def test_a_process_killed_in_the_middle_of_a_write_on_sqlite(tmp_path: Path) -> None:
    kill_in_the_middle(f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.mark.skipif(POSTGRES_URL is None, reason="IMAGECATALOG_TEST_POSTGRES_URL is not set")
def test_a_process_killed_in_the_middle_of_a_write_on_postgres() -> None:
    assert POSTGRES_URL is not None
    schemas = PostgresSchemas(POSTGRES_URL)
    try:
        kill_in_the_middle(schemas.url_for_new_schema())
    finally:
        schemas.drop_all()
