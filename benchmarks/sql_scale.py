"""The SQL store at scale, on PostgreSQL: reads and writes per second through
``ImageService``, beside the wire's floor, and writes with 1, 2, 4 and 8 processes.

* **The round trip's floor**: ``SELECT 1`` on an open connection, through the driver
  (psycopg) and through SQLAlchemy, as many times as the other steps call.
* **Reads**: one process, one thread, alternately a listing page
  (``describe_images``: the first 20 of the 21 images the owner sees in a region,
  its own and one shared with it) and a quota read (``image_quota``); each call
  counts as one read.
* **Writes**: one process, one thread, alternately sharing an image with three
  accounts and cancelling those shares; each call counts as one write.
* **Processes**: 1, 2, 4 and 8 processes, each writing as above for an owner of
  its own, all on one database, started together; the writes of all of them per
  second of wall time.

Beside these, in the same run, the same workload on the store as it was before
(:data:`BEFORE`, from git history, in a process of its own).  Needs
``IMAGECATALOG_TEST_POSTGRES_URL``; works in schemas of its own, dropped afterwards.
Run: ``python -m benchmarks.sql_scale``; prints a Markdown section.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from benchmarks._common import ROOT, extract_src, machine, table
from benchmarks.sql_ops import postgres_schema
from imagecatalog import ImageService, Limits
from imagecatalog.sql import SqlImageRepository

#: The SQL store before this design: every call behind one lock.
BEFORE = "cc2fbcd"
REGION = "ap-guangzhou"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"
FRIENDS = ("100000000901", "100000000902", "100000000903")
CALLS = 1_000
PROCESS_CALLS = 600
PROCESSES = (1, 2, 4, 8)
#: Runs of each process count; the best is kept (as ROUNDS for one process).
PROCESS_ROUNDS = 2
ROUNDS = 3


def owner(index: int) -> str:
    return f"1000000{index + 1:05d}"


def _service(url: str) -> tuple[ImageService, SqlImageRepository]:
    store = SqlImageRepository(url)
    return ImageService(store, limits=Limits.newest()), store


def _prepare(url: str, owners: int) -> None:
    """Accounts, and for each owner 20 custom images, two shared with it."""
    service, store = _service(url)
    with store:
        for account in FRIENDS:
            service.register_account(account, exist_ok=True)
        for index in range(owners):
            service.register_account(owner(index), exist_ok=True)
        for index in range(owners):
            for n in range(20):
                service.import_image(
                    owner(index),
                    REGION,
                    name=f"golden-{n}",
                    image_url=URL,
                    platform="CentOS",
                    os_version="7",
                    architecture="x86_64",
                )
        for friend in FRIENDS[:1]:
            mine = service.import_image(
                friend,
                REGION,
                name="shared-golden",
                image_url=URL,
                platform="CentOS",
                os_version="7",
                architecture="x86_64",
            )
            service.share_image(friend, mine.id, [owner(i) for i in range(owners)])


def _rate(calls: int, action: Callable[[int], object]) -> float:
    """Calls per second of *action*, the best of :data:`ROUNDS` rounds."""
    best = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for n in range(calls):
            action(n)
        best = max(best, calls / (time.perf_counter() - start))
    return best


def floor(url: str) -> tuple[float, float]:
    """Microseconds per ``SELECT 1`` round trip: through psycopg, through SQLAlchemy."""
    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as raw:
        driver = 1e6 / _rate(CALLS, lambda _: raw.execute("SELECT 1").fetchone())
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            one = sa.select(sa.literal(1))
            alchemy = 1e6 / _rate(CALLS, lambda _: connection.execute(one).scalar())
    finally:
        engine.dispose()
    return driver, alchemy


def reads(url: str) -> float:
    service, store = _service(url)
    with store:
        me = owner(0)

        def read(n: int) -> object:
            if n % 2:
                return service.image_quota(me, REGION)
            return service.describe_images(me, REGION, offset=0, limit=20)

        return _rate(CALLS, read)


def _writer(url: str, index: int, calls: int) -> Callable[[int], object]:
    service, _ = _service(url)
    me = owner(index)
    image = service.describe_images(me, REGION, kinds=["PRIVATE_IMAGE"], limit=1).items[0].id

    def write(n: int) -> object:
        if n % 2:
            return service.unshare_image(me, image, FRIENDS)
        return service.share_image(me, image, FRIENDS)

    return write


def writes(url: str) -> float:
    return _rate(CALLS, _writer(url, 0, CALLS))


def _process(url: str, index: int, ready: object, go: object, out: object) -> None:
    write = _writer(url, index, PROCESS_CALLS)
    write(0)  # warm: the connection, the statement cache
    write(1)
    ready.put(index)  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]
    start = time.perf_counter()
    for n in range(PROCESS_CALLS):
        write(n)
    out.put((start, time.perf_counter()))  # type: ignore[attr-defined]


def _cpu_times() -> tuple[int, int] | None:
    """The machine's CPU time so far, all of it and the idle part, in clock ticks
    (Linux's ``/proc/stat``; None elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields), fields[3] + fields[4]  # idle and iowait


def processes(url: str, count: int) -> tuple[float, float | None]:
    """Writes per second of *count* processes writing at once, each for its own
    owner; and how busy the machine's cores were meanwhile (0 to 1; None where
    it cannot be read), the processes' and the database's work together."""
    context = multiprocessing.get_context("spawn")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=_process, args=(url, index, ready, go, out))
        for index in range(count)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    before = _cpu_times()
    go.set()
    spans: list[tuple[float, float]] = [out.get(timeout=600) for _ in workers]
    after = _cpu_times()
    for worker in workers:
        worker.join()
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    busy = None
    if before is not None and after is not None and after[0] > before[0]:
        busy = 1 - (after[1] - before[1]) / (after[0] - before[0])
    return count * PROCESS_CALLS / wall, busy


def measure(url: str) -> dict[str, Any]:
    """Every number of this benchmark, in a fresh schema of the database at *url*."""
    with postgres_schema(url) as schema:
        _prepare(schema, max(PROCESSES))
        driver, alchemy = floor(schema)
        return {
            "floor": [driver, alchemy],
            "reads": reads(schema),
            "writes": writes(schema),
            "processes": {
                count: max(
                    (processes(schema, count) for _ in range(PROCESS_ROUNDS)),
                    key=lambda run: run[0],
                )
                for count in PROCESSES
            },
        }


def measure_before(url: str) -> dict[str, Any] | None:
    """The same numbers for the SQL store before this design (:data:`BEFORE`), in a
    process of its own that imports that tree's imagecatalog."""
    with tempfile.TemporaryDirectory() as folder:
        src = extract_src(BEFORE, Path(folder))
        if src is None:
            return None
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.sql_scale", "--measure"],
            env=env,
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
        )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    found["processes"] = {int(count): tuple(run) for count, run in found["processes"].items()}
    return found


def report() -> str:
    postgres = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")
    if not postgres:
        return "## The SQL store at scale\n\nNot measured: set `IMAGECATALOG_TEST_POSTGRES_URL`.\n"
    now = measure(postgres)
    before = measure_before(postgres)
    driver, alchemy = now["floor"]
    columns = ["one process", "µs each", "per second"]
    rows = [
        ["round trip, psycopg (`SELECT 1`)", f"{driver:.0f}", f"{1e6 / driver:,.0f}"],
        ["round trip, SQLAlchemy (`SELECT 1`)", f"{alchemy:.0f}", f"{1e6 / alchemy:,.0f}"],
    ]
    if before is not None:
        columns.append(f"before ({BEFORE}), per second")
        rows = [[*row, ""] for row in rows]
    for key, label in (
        ("reads", "reads (a page of 20, a quota, alternately)"),
        ("writes", "writes (share with 3 accounts, cancel, alternately)"),
    ):
        row = [label, f"{1e6 / now[key]:.0f}", f"{now[key]:,.0f}"]
        if before is not None:
            row.append(f"{before[key]:,.0f} ({now[key] / before[key]:.1f}x now)")
        rows.append(row)
    one = now["processes"][1][0]
    cores = os.cpu_count() or 1
    scaling_columns = [
        "processes",
        "writes per second",
        "against one process",
        f"cores busy (of {cores})",
        "CPU µs per write",
    ]
    scaling = []
    for count, (rate, busy) in now["processes"].items():
        row = [f"{count}", f"{rate:,.0f}", f"{rate / one:.2f}x"]
        if busy is None:
            row += ["", ""]
        else:
            row += [f"{busy:.0%}", f"{busy * cores / rate * 1e6:,.0f}"]
        if before is not None:
            old = before["processes"][count][0]
            row.append(f"{old:,.0f} ({old / before['processes'][1][0]:.2f}x)")
        scaling.append(row)
    if before is not None:
        scaling_columns.append(f"before ({BEFORE}): per second (against one)")
    return "\n".join(
        [
            "## The SQL store at scale (PostgreSQL)",
            "",
            f"Machine: {machine()}.",
            "",
            "Command: `nox -s bench` (runs `python -m benchmarks.sql_scale`), against the "
            "PostgreSQL of `IMAGECATALOG_TEST_POSTGRES_URL` on 127.0.0.1, through "
            f"`ImageService`, best of {ROUNDS} rounds of {CALLS:,} calls; beside it, in the "
            f"same run, the SQL store as it was before reads stopped locking (commit "
            f"`{BEFORE}`, from git history, in a process of its own). A read here is one "
            "round trip and a write two (begin with the locks and the rows the call "
            "reads; the change with the commit, which waits for the write-ahead log's "
            "flush): read the rows against the round trip's floor in the first two.",
            "",
            table(columns, rows),
            "",
            f"Writes with several processes, each for an owner of its own, {PROCESS_CALLS} "
            "writes each, started together (writes of all per second of wall time; the "
            f"best of {PROCESS_ROUNDS} runs):",
            "",
            table(scaling_columns, scaling),
            "",
            "Cores busy and CPU per write count the whole machine, the writing processes "
            "and PostgreSQL together, while the processes write (Linux's `/proc/stat`). "
            "One process's write is a chain of work on the client and on the server with "
            "little waiting in it, so one process keeps about one core busy: once every "
            "core is busy, more processes add no writes (they share the cores, and each "
            "write's CPU grows with the switching between them); before that, the locks "
            "let them run side by side.",
            "",
        ]
    )


def main(argv: list[str]) -> int:
    if "--measure" in argv:  # one tree's numbers, as JSON (see measure_before)
        url = os.environ["IMAGECATALOG_TEST_POSTGRES_URL"]
        print(json.dumps(measure(url)))
        return 0
    print(report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
