"""The same workload through moto (boto3 and backend), ImageService and plain dicts.

Workload, for N images of one account: register them, share each with 3
accounts, list the owner's images, list the images one grantee may launch,
delete them all.  moto is the fake most Python users use for cloud images; its
EC2 AMIs are the closest match.  moto's default AMIs are switched off so that
every side starts empty.

Run: ``python -m benchmarks.moto_compare [N...]``; prints a Markdown section.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks._common import machine, table
from imagecatalog import ImageKind, ImageService, Limits

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

OWNER = "100000000001"
GRANTEES = ["100000000002", "100000000003", "100000000004"]
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"
STEPS = ["register", "share", "list owner's", "list grantee's", "delete"]
AWS_OWNER = "123456789012"
AWS_GRANTEES = ["111111111111", "222222222222", "333333333333"]

Timings = dict[str, float]  # step -> seconds for the whole step


def timed(steps: list[tuple[str, Callable[[], object]]]) -> Timings:
    """Run each step once, in order; seconds per step."""
    result: Timings = {}
    for name, action in steps:
        start = time.perf_counter()
        action()
        result[name] = time.perf_counter() - start
    return result


def run_imagecatalog(n: int) -> Timings:
    service = ImageService(limits=Limits().with_quota(OWNER, n))
    for account in (OWNER, *GRANTEES):
        service.register_account(account)
    ids: list[str] = []

    def register() -> None:
        for k in range(n):
            ids.append(
                service.import_image(
                    OWNER,
                    "ap-guangzhou",
                    name=f"ami-{k}",
                    image_url=URL,
                    platform="CentOS",
                    os_version="7",
                    architecture="x86_64",
                ).id
            )

    def share() -> None:
        for image_id in ids:
            service.share_image(OWNER, image_id, GRANTEES)

    def list_all(account: str, kind: ImageKind) -> int:
        seen, offset = 0, 0
        while True:
            page = service.describe_images(
                account, "ap-guangzhou", kinds=[kind], offset=offset, limit=100
            )
            seen += len(page.items)
            offset += 100
            if offset >= page.total_count:
                return seen

    def delete() -> None:
        for image_id in ids:
            service.unshare_image(OWNER, image_id, GRANTEES)
            service.delete_images(OWNER, [image_id])

    return timed(
        [
            ("register", register),
            ("share", share),
            ("list owner's", lambda: list_all(OWNER, ImageKind.CUSTOM)),
            ("list grantee's", lambda: list_all(GRANTEES[0], ImageKind.SHARED)),
            ("delete", delete),
        ]
    )


def run_floor(n: int) -> Timings:
    """The same workload on plain dicts and tuples, no validation at all."""
    images: dict[str, tuple[str, str, str]] = {}
    shared: dict[str, set[str]] = {}
    by_grantee: dict[str, dict[str, None]] = {}
    counter = iter(range(10**9))

    def register() -> None:
        for k in range(n):
            image_id = f"img-{next(counter):08d}"
            images[image_id] = (OWNER, "ap-guangzhou", f"ami-{k}")

    def share() -> None:
        for image_id in images:
            shared[image_id] = set(GRANTEES)
            for grantee in GRANTEES:
                by_grantee.setdefault(grantee, {})[image_id] = None

    def delete() -> None:
        for image_id in list(images):
            for grantee in shared.pop(image_id, ()):
                del by_grantee[grantee][image_id]
            del images[image_id]

    return timed(
        [
            ("register", register),
            ("share", share),
            ("list owner's", lambda: [i for i, v in images.items() if v[0] == OWNER]),
            ("list grantee's", lambda: [images[i] for i in by_grantee[GRANTEES[0]]]),
            ("delete", delete),
        ]
    )


def run_moto_backend(n: int) -> Timings:
    from moto.ec2.models import ec2_backends

    backend: Any = ec2_backends[AWS_OWNER]["us-east-1"]
    backend.amis.clear()
    ids: list[str] = []

    def register() -> None:
        for k in range(n):
            ids.append(backend.register_image(name=f"ami-{k}", description="bench").id)

    def share() -> None:
        for image_id in ids:
            backend.modify_image_attribute(
                image_id, [{"UserId": grantee} for grantee in AWS_GRANTEES], []
            )

    def delete() -> None:
        for image_id in ids:
            backend.deregister_image(image_id)

    return timed(
        [
            ("register", register),
            ("share", share),
            ("list owner's", lambda: backend.describe_images(owners=["self"])),
            ("list grantee's", lambda: backend.describe_images(exec_users=[AWS_GRANTEES[0]])),
            ("delete", delete),
        ]
    )


def run_moto_boto3(n: int) -> Timings:
    import boto3
    from moto import mock_aws

    with mock_aws():
        ec2: Any = boto3.client(
            "ec2",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        ids: list[str] = []

        def register() -> None:
            for k in range(n):
                ids.append(ec2.register_image(Name=f"ami-{k}")["ImageId"])

        def share() -> None:
            for image_id in ids:
                ec2.modify_image_attribute(
                    ImageId=image_id,
                    LaunchPermission={"Add": [{"UserId": grantee} for grantee in AWS_GRANTEES]},
                )

        def delete() -> None:
            for image_id in ids:
                ec2.deregister_image(ImageId=image_id)

        return timed(
            [
                ("register", register),
                ("share", share),
                ("list owner's", lambda: ec2.describe_images(Owners=["self"])),
                ("list grantee's", lambda: ec2.describe_images(ExecutableUsers=[AWS_GRANTEES[0]])),
                ("delete", delete),
            ]
        )


def per_op_us(timings: Timings, n: int) -> dict[str, float]:
    """Microseconds per image for per-image steps, per listing for the listings."""
    return {
        step: seconds * 1e6 / (1 if step.startswith("list") else n)
        for step, seconds in timings.items()
    }


def report(sizes: list[int]) -> str:
    sections = [
        "## Against moto, and against plain dicts",
        "",
        f"Machine: {machine()}.",
        "",
        "Command: `nox -s bench` (runs `python -m benchmarks.moto_compare`). Workload for N "
        "images of one account: register them, share each with 3 accounts, list the owner's "
        "images, list the images one grantee may launch, delete them all. moto 5 (EC2 AMIs, "
        "default AMIs off) through boto3 and through its backend objects; imagecatalog "
        "through `ImageService` with every rule checked (it lists through the paged API, 100 a "
        "page, and cancels the shares before deleting, as its rules require); the floor is "
        "the same workload on plain dicts and tuples with no validation. Per-image steps in "
        "µs per image; listings in µs per complete listing.",
        "",
    ]
    # Ours and the floor run first, for every N: moto's objects, once made, stay in
    # memory and slow every later allocation (the garbage collector walks them).
    first: dict[int, dict[str, dict[str, float]]] = {}
    for n in sizes:
        gc.collect()
        first[n] = {"imagecatalog": per_op_us(run_imagecatalog(n), n)}
        first[n]["floor (dicts)"] = per_op_us(run_floor(n), n)
    for n in sizes:
        sides = {
            "moto via boto3": per_op_us(run_moto_boto3(n), n),
            "moto backend": per_op_us(run_moto_backend(n), n),
            **first[n],
        }
        ours = sides["imagecatalog"]
        rows = []
        for step in STEPS:
            rows.append(
                [
                    step,
                    *[f"{side[step]:,.1f}" for side in sides.values()],
                    f"{sides['moto via boto3'][step] / ours[step]:,.0f}x",
                    f"{sides['moto backend'][step] / ours[step]:,.2f}x",
                    f"{ours[step] / sides['floor (dicts)'][step]:,.1f}x",
                ]
            )
        sections += [
            f"### N = {n:,}",
            "",
            table(["step", *sides, "boto3 / ours", "backend / ours", "ours / floor"], rows),
            "",
        ]
    return "\n".join(sections)


if __name__ == "__main__":
    chosen = [int(arg) for arg in sys.argv[1:]] or [1000, 4000]
    print(report(chosen))
