"""The catalog as an HTTP server, against moto's server mode, in the same run.

``python -m imagecatalog serve`` (in memory) answers the official Python SDK;
``moto_server`` answers boto3's EC2 client with the equivalent calls: listing
images (DescribeImages / describe_images of one's own), creating an image from
an instance (CreateImage / create_image) and sharing (ModifyImageSharePermission
SHARE then CANCEL / modify_image_attribute add then remove). Each server runs in
its own process; 1, 8 and 32 client threads, each with its own client (and, for
ours, its own account, so that creates stay under the quota), make the calls.
Every listing answers 20 images (ours: a page of 20; moto: the account's 20 images,
registered before the clients start), and the listings run before any image is
created.  Calls per second over the whole run, and the p50 and p99 latency of one
call.

Run: ``python -m benchmarks.server``; prints a Markdown section.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._common import machine, table

CONCURRENCY = (1, 8, 32)
#: Calls per client thread, per action and concurrency (a create each: under the quota).
CALLS = 40
ACTIONS = ("list images", "create image", "share and cancel")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def _run_all(
    results: dict[tuple[str, int], tuple[float, float, float]],
    makers: tuple[Callable[[int], Callable[[], object]], ...],
) -> None:
    """Each action of :data:`ACTIONS`, made by its maker, at each concurrency, into
    *results*."""
    for action, make in zip(ACTIONS, makers, strict=True):
        for threads in CONCURRENCY:
            results[(action, threads)] = _run(threads, make)


def _run(threads: int, make: Callable[[int], Callable[[], object]]) -> tuple[float, float, float]:
    """*threads* threads, each making *CALLS* calls of ``make(thread)()``: calls per
    second, p50 and p99 in milliseconds."""
    calls = [make(index) for index in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    start_line = threading.Barrier(threads + 1)

    def work(index: int) -> None:
        start_line.wait()
        for _ in range(CALLS):
            began = time.perf_counter()
            calls[index]()
            latencies[index].append(time.perf_counter() - began)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start_line.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    every = sorted(sample for samples in latencies for sample in samples)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    return threads * CALLS / elapsed, statistics.median(every) * 1e3, p99 * 1e3


def measure_ours() -> dict[tuple[str, int], tuple[float, float, float]]:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.cvm.v20170312 import cvm_client, models

    accounts = {f"AKID{n:04d}": f"1000000{n:05d}" for n in range(max(CONCURRENCY))}
    folder = Path(tempfile.mkdtemp())
    secrets = folder / "credentials.json"
    secrets.write_text(
        json.dumps({k: {"SecretKey": "key", "AccountId": v} for k, v in accounts.items()}),
        encoding="utf-8",
    )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "imagecatalog", "serve", "--port", str(port),
         "--credentials", str(secrets), "--shutdown-timeout", "1"],
        env={**os.environ},
    )  # fmt: skip
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    try:
        _wait(port, process)
        profile = ClientProfile(
            httpProfile=HttpProfile(endpoint=f"127.0.0.1:{port}", protocol="http")
        )

        def client(index: int) -> Any:
            secret_id = f"AKID{index:04d}"
            return cvm_client.CvmClient(
                credential.Credential(secret_id, "key"), "ap-guangzhou", profile
            )

        first = client(0)
        public = first.DescribeImages(models.DescribeImagesRequest()).ImageSet[0].ImageId
        counter = iter(range(10**9))

        def lister(index: int) -> Callable[[], object]:
            own = client(index)
            request = models.DescribeImagesRequest()
            request.Limit = 20
            return lambda: own.DescribeImages(request)

        def creator(index: int) -> Callable[[], object]:
            own = client(index)
            run = models.RunInstancesRequest()
            run.ImageId, run.Placement = public, models.Placement()
            run.Placement.Zone = "ap-guangzhou-1"
            instance = own.RunInstances(run).InstanceIdSet[0]

            def create() -> object:
                request = models.CreateImageRequest()
                request.InstanceId, request.ImageName = instance, f"bench-{next(counter)}"
                return own.CreateImage(request)

            return create

        def sharer(index: int) -> Callable[[], object]:
            own = client(index)
            run = models.RunInstancesRequest()
            run.ImageId, run.Placement = public, models.Placement()
            run.Placement.Zone = "ap-guangzhou-1"
            instance = own.RunInstances(run).InstanceIdSet[0]
            made = models.CreateImageRequest()
            made.InstanceId, made.ImageName = instance, f"shared-{next(counter)}"
            image = own.CreateImage(made).ImageId
            flip = iter(range(10**9))

            def share() -> object:
                request = models.ModifyImageSharePermissionRequest()
                request.ImageId, request.AccountIds = image, ["200000000001"]
                request.Permission = "SHARE" if next(flip) % 2 == 0 else "CANCEL"
                return own.ModifyImageSharePermission(request)

            return share

        _run_all(results, (lister, creator, sharer))
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results


def measure_moto() -> dict[tuple[str, int], tuple[float, float, float]]:
    import boto3

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # moto's thousands of default AMIs would make every listing scan them.
        env={**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
    )
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    try:
        _wait(port, process)
        counter = iter(range(10**9))

        def client(index: int) -> Any:
            return boto3.session.Session().client(
                "ec2",
                region_name="us-east-1",
                endpoint_url=f"http://127.0.0.1:{port}",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        first = client(0)
        source = first.register_image(Name="base", RootDeviceName="/dev/sda1")["ImageId"]
        for number in range(19):  # a listing of 20 images, as ours lists a page of 20
            first.register_image(Name=f"listed-{number}", RootDeviceName="/dev/sda1")

        def instance(own: Any) -> str:
            run = own.run_instances(ImageId=source, MinCount=1, MaxCount=1)
            return str(run["Instances"][0]["InstanceId"])

        def lister(index: int) -> Callable[[], object]:
            own = client(index)
            return lambda: own.describe_images(Owners=["self"])

        def creator(index: int) -> Callable[[], object]:
            own = client(index)
            made = instance(own)
            return lambda: own.create_image(InstanceId=made, Name=f"bench-{next(counter)}")

        def sharer(index: int) -> Callable[[], object]:
            own = client(index)
            image = own.create_image(InstanceId=instance(own), Name=f"shared-{next(counter)}")
            flip = iter(range(10**9))

            def share() -> object:
                kind = "add" if next(flip) % 2 == 0 else "remove"
                return own.modify_image_attribute(
                    ImageId=image["ImageId"],
                    LaunchPermission={kind.capitalize(): [{"UserId": "200000000001"}]},
                )

            return share

        _run_all(results, (lister, creator, sharer))
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results


def report() -> str:
    ours = measure_ours()
    moto = measure_moto()
    rows = []
    for action in ACTIONS:
        for threads in CONCURRENCY:
            o_rate, o_p50, o_p99 = ours[(action, threads)]
            m_rate, m_p50, m_p99 = moto[(action, threads)]
            rows.append(
                [
                    action,
                    threads,
                    f"{o_rate:,.0f}",
                    f"{o_p50:.1f} / {o_p99:.1f}",
                    f"{m_rate:,.0f}",
                    f"{m_p50:.1f} / {m_p99:.1f}",
                    f"{o_rate / m_rate:.1f}x",
                ]
            )
    return "\n".join(
        [
            "## The HTTP server, against moto's server mode",
            "",
            f"Machine: {machine()}.",
            "",
            "Command: `nox -s bench` (runs `python -m benchmarks.server`). "
            "`python -m imagecatalog serve` (in memory) answers the official Python SDK over "
            "HTTP, with every signature verified; `moto_server` answers boto3's EC2 client "
            "with the equivalent calls (describe_images of one's own 20 images, against "
            "our page of 20; create_image; modify_image_attribute add/remove; listings "
            "first, before any image is made). Each server in its own process, on one "
            f"machine with its clients; {CALLS} calls per client thread, each thread with its "
            "own client. Calls per second over the run; latency of one call, p50 / p99, in ms.",
            "",
            table(
                [
                    "action",
                    "clients",
                    "imagecatalog calls/s",
                    "imagecatalog p50 / p99",
                    "moto calls/s",
                    "moto p50 / p99",
                    "ours / moto",
                ],
                rows,
            ),
            "",
        ]
    )


if __name__ == "__main__":
    print(report())
