"""Operations per second of the SQL store (SQLite, PostgreSQL) beside the in-memory one.

One process, one thread, each call its own transaction.  PostgreSQL is measured when
``IMAGECATALOG_TEST_POSTGRES_URL`` is set (in a schema of its own, dropped afterwards).

Run: ``python -m benchmarks.sql_ops``; prints a Markdown section.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from benchmarks._common import machine, table
from imagecatalog import CatalogStore, ImageService, InMemoryImageRepository, Limits
from imagecatalog.sql import SqlImageRepository

OWNER, FRIEND = "100000000001", "100000000002"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"
CALLS = 200
STEPS = ["import image", "share", "unshare", "list a page", "quota", "delete"]


def ops_per_second(repository: CatalogStore) -> dict[str, float]:
    service = ImageService(repository, limits=Limits().with_quota(OWNER, CALLS + 50))
    service.register_account(OWNER)
    service.register_account(FRIEND)
    ids: list[str] = []

    def rate(action: Callable[[int], object]) -> float:
        start = time.perf_counter()
        for n in range(CALLS):
            action(n)
        return CALLS / (time.perf_counter() - start)

    return {
        "import image": rate(
            lambda n: ids.append(
                service.import_image(
                    OWNER,
                    "ap-guangzhou",
                    name=f"img-{n}",
                    image_url=URL,
                    platform="CentOS",
                    os_version="7",
                    architecture="x86_64",
                ).id
            )
        ),
        "share": rate(lambda n: service.share_image(OWNER, ids[n], [FRIEND])),
        "unshare": rate(lambda n: service.unshare_image(OWNER, ids[n], [FRIEND])),
        "list a page": rate(
            lambda n: service.describe_images(OWNER, "ap-guangzhou", offset=n % 100, limit=20)
        ),
        "quota": rate(lambda n: service.image_quota(OWNER, "ap-guangzhou")),
        "delete": rate(lambda n: service.delete_images(OWNER, [ids[n]])),
    }


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    schema = f"ic_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def report() -> str:
    results = {"in memory": ops_per_second(InMemoryImageRepository())}
    with (
        tempfile.TemporaryDirectory() as folder,
        SqlImageRepository(f"sqlite:///{folder}/bench.db") as store,
    ):
        results["SQLite (file)"] = ops_per_second(store)
    postgres = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")
    if postgres:
        with postgres_schema(postgres) as url, SqlImageRepository(url) as store:
            results["PostgreSQL (127.0.0.1)"] = ops_per_second(store)
    rows = [[step, *[f"{side[step]:,.0f}" for side in results.values()]] for step in STEPS]
    return "\n".join(
        [
            "## The SQL store: operations per second",
            "",
            f"Machine: {machine()}.",
            "",
            "Command: `nox -s bench` (runs `python -m benchmarks.sql_ops`). One process, one "
            f"thread, {CALLS} calls per step; a write is one transaction (on PostgreSQL it "
            "locks the accounts it writes for; on SQLite it begins IMMEDIATE), a read takes "
            "no lock. "
            "PostgreSQL runs when `IMAGECATALOG_TEST_POSTGRES_URL` is set.",
            "",
            table(["calls per second", *results], rows),
            "",
        ]
    )


if __name__ == "__main__":
    print(report())
