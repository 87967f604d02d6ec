"""How costs grow with the catalog: 10^3 to 10^6 images.

For each size, a catalog of that many custom images (many accounts, every
region, one image in ten shared) around a fixed probe account whose visible set
in ap-guangzhou is the same at every size.  Then: the median time of each
operation, the listing of the probe's images (first and a deep page), the quota
lookup, and resident memory per image.

Run: ``python -m benchmarks.scaling [sizes...]``; prints a Markdown section.
"""

from __future__ import annotations

import itertools
import sys
import time

from benchmarks._common import machine, median_us, rss_bytes, table
from imagecatalog import ImageService, Limits, Region

PROBE = "100000000001"
FRIEND = "100000000002"
REGIONS = [region.id for region in Region.all()]
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/base.qcow2"
REPEAT = 300


def build(size: int) -> ImageService:
    """A catalog of *size* custom images plus the built-in public images."""
    service = ImageService(limits=Limits.provider_2024(), id_seed=size, public_catalog=True)
    accounts = [str(200000000000 + n) for n in range(max(size // 50, 4))]
    for account in (PROBE, FRIEND, *accounts):
        service.register_account(account)
    # The probe's fixed world: 40 own images in ap-guangzhou, 10 shared with it.
    for n in range(40):
        service.import_image(
            PROBE,
            "ap-guangzhou",
            name=f"probe-{n}",
            image_url=URL,
            platform="CentOS",
            os_version="7",
            architecture="x86_64",
        )
    cycle = itertools.cycle(accounts)
    for n in range(size):
        owner = next(cycle)
        image = service.import_image(
            owner,
            REGIONS[n % len(REGIONS)],
            name=f"build-{n}",
            image_url=URL,
            platform="Ubuntu",
            os_version="22.04",
            architecture="x86_64",
        )
        if n % 10 == 0:
            others = [account for account in accounts[:3] if account != owner]
            service.share_image(owner, image.id, others[:2])
    for n in range(10):
        gift = service.import_image(
            FRIEND,
            "ap-guangzhou",
            name=f"gift-{n}",
            image_url=URL,
            platform="Debian",
            os_version="12",
            architecture="x86_64",
        )
        service.share_image(FRIEND, gift.id, [PROBE])
    return service


def measure(size: int) -> dict[str, float]:
    """Build a catalog of *size* images and time every operation on it."""
    before = rss_bytes()
    start = time.perf_counter()
    service = build(size)
    built_s = time.perf_counter() - start
    memory = (rss_bytes() - before) / (size + 50)
    ubuntu = service.describe_images(PROBE, "ap-guangzhou", platform="Ubuntu").items[0]
    instance = service.launch_instance(PROBE, ubuntu.id)
    own = service.describe_images(PROBE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"], limit=1)
    source = own.items[0]
    names = (f"bench-{n}" for n in itertools.count())
    created: list[str] = []
    copies: list[str] = []

    def create() -> None:
        created.append(service.create_image(PROBE, instance.id, name=next(names)).id)

    def delete() -> None:
        service.delete_images(PROBE, [created.pop()])

    def copy() -> None:
        copies.append(service.copy_image(PROBE, source.id, ["ap-tokyo"], name=next(names))[0].id)

    def delete_copy() -> None:
        service.delete_images(PROBE, [copies.pop()])

    results: dict[str, float] = {"built_s": built_s, "bytes_per_image": memory}
    # Create then delete, in turns, so that the quota never fills.
    create_times, delete_times, copy_times, uncopy_times = [], [], [], []
    for _ in range(REPEAT):
        create_times.append(median_us(create, 1))
        delete_times.append(median_us(delete, 1))
        copy_times.append(median_us(copy, 1))
        uncopy_times.append(median_us(delete_copy, 1))
    results["create"] = sorted(create_times)[REPEAT // 2]
    results["delete"] = sorted(delete_times)[REPEAT // 2]
    results["copy"] = sorted(copy_times)[REPEAT // 2]
    share_times, unshare_times = [], []
    for _ in range(REPEAT):
        share_times.append(median_us(lambda: service.share_image(PROBE, source.id, [FRIEND]), 1))
        unshare_times.append(
            median_us(lambda: service.unshare_image(PROBE, source.id, [FRIEND]), 1)
        )
    results["share"] = sorted(share_times)[REPEAT // 2]
    results["unshare"] = sorted(unshare_times)[REPEAT // 2]
    results["launch"] = median_us(lambda: service.launch_instance(PROBE, source.id), REPEAT)
    results["list_first_page"] = median_us(
        lambda: service.describe_images(PROBE, "ap-guangzhou", limit=20), REPEAT
    )
    results["list_deep_page"] = median_us(
        lambda: service.describe_images(PROBE, "ap-guangzhou", offset=60, limit=20), REPEAT
    )
    results["quota"] = median_us(lambda: service.image_quota(PROBE, "ap-guangzhou"), REPEAT)
    visible = service.describe_images(PROBE, "ap-guangzhou").total_count
    results["visible"] = visible
    return results


OPERATIONS = [
    "create",
    "copy",
    "share",
    "unshare",
    "delete",
    "launch",
    "list_first_page",
    "list_deep_page",
    "quota",
]


def report(sizes: list[int]) -> str:
    """Measure every size; the Markdown section with the results."""
    measured = {size: measure(size) for size in sizes}
    first, last = sizes[0], sizes[-1]
    rows = []
    for operation in OPERATIONS:
        cells = [f"{measured[size][operation]:.1f}" for size in sizes]
        growth = measured[last][operation] / measured[first][operation]
        rows.append([operation.replace("_", " "), *cells, f"{growth:.2f}x"])
    rows.append(
        [
            "bytes per image (RSS)",
            *[f"{measured[size]['bytes_per_image']:.0f}" for size in sizes],
            "",
        ]
    )
    rows.append(["build time (s)", *[f"{measured[size]['built_s']:.1f}" for size in sizes], ""])
    header = [
        "operation (median µs)",
        *[f"{size:,} images" for size in sizes],
        f"{last:,} vs {first:,}",
    ]
    visible = int(measured[first]["visible"])
    return "\n".join(
        [
            "## Scaling: 10^3 to 10^6 images",
            "",
            f"Machine: {machine()}.",
            "",
            "Command: `nox -s bench` (runs `python -m benchmarks.scaling`). Each catalog holds the "
            "built-in public images and that many custom images, spread over every region and "
            "many accounts, one in ten shared. The probe account sees the same "
            f"{visible} images in ap-guangzhou at every size. Times are medians of "
            f"{REPEAT} calls; memory is resident-set growth while building, divided by the "
            "number of images.",
            "",
            table(header, rows),
            "",
        ]
    )


if __name__ == "__main__":
    chosen = [int(arg) for arg in sys.argv[1:]] or [10**3, 10**4, 10**5, 10**6]
    print(report(chosen))
