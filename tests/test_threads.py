"""Every service call is atomic: racing threads never break a rule."""

from __future__ import annotations

import functools
import random
import sys
import threading
from collections.abc import Callable

from imagecatalog import (
    Account,
    ImageCatalogError,
    ImageService,
    Limits,
    QuotaExceededError,
    Region,
    ShareLimitExceededError,
)
from imagecatalog.invariants import catalog_violations
from tests.support import ALICE, new_service, public_image

THREADS = 8


def race(calls: list[Callable[[], object]]) -> tuple[list[object], list[ImageCatalogError]]:
    """Start *calls* together on their own threads; return successes and refusals."""
    barrier = threading.Barrier(len(calls))
    successes: list[object] = []
    refusals: list[ImageCatalogError] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            result = call()
        except ImageCatalogError as error:
            with lock:
                refusals.append(error)
        else:
            with lock:
                successes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return successes, refusals


def test_racing_for_the_last_quota_slot_lets_exactly_one_win() -> None:
    service = new_service()
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    for number in range(9):
        service.create_image(ALICE, instance.id, name=f"build-{number}")

    successes, refusals = race(
        [
            functools.partial(service.create_image, ALICE, instance.id, name=f"last-{n}")
            for n in range(THREADS)
        ]
    )

    assert len(successes) == 1
    assert all(isinstance(error, QuotaExceededError) for error in refusals)
    assert service.image_quota(ALICE, "ap-guangzhou").used == 10


def test_racing_for_the_50th_share_slot_lets_exactly_one_win() -> None:
    service = new_service()  # the default limit: 50 accounts per image
    receivers = [f"3000000000{n:02d}" for n in range(49 + THREADS)]
    for account in receivers:
        service.register_account(account)
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="popular")
    service.share_image(ALICE, image.id, receivers[:49])

    successes, refusals = race(
        [
            functools.partial(service.share_image, ALICE, image.id, [account])
            for account in receivers[49:]
        ]
    )

    assert len(successes) == 1
    assert all(isinstance(error, ShareLimitExceededError) for error in refusals)
    assert len(service.share_permissions(ALICE, image.id)) == 50


def test_racing_delete_and_share_never_leaves_a_deleted_image_shared() -> None:
    service: ImageService = new_service()
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    for _ in range(20):
        image = service.create_image(ALICE, instance.id, name="contested")
        successes, _ = race(
            [
                functools.partial(service.delete_images, ALICE, [image.id]),
                functools.partial(service.share_image, ALICE, image.id, ["100000000002"]),
            ]
        )
        remaining = service.store.get_image(image.id)
        if remaining is None:  # the delete won; the share then found nothing
            assert len(successes) == 1
        else:  # the share won; the delete then found it shared
            assert [share.account.id for share in remaining.shared_with] == ["100000000002"]
            service.unshare_image(ALICE, image.id, ["100000000002"])
            service.delete_images(ALICE, [image.id])


def test_racing_copies_for_the_last_slot_in_a_region_let_exactly_one_win() -> None:
    service = new_service()
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    sources = [service.create_image(ALICE, instance.id, name=f"source-{n}") for n in range(THREADS)]
    tokyo = service.launch_instance(ALICE, public_image(service, "ap-singapore").id)
    for number in range(9):
        service.create_image(ALICE, tokyo.id, name=f"filler-{number}")

    successes, refusals = race(
        [
            functools.partial(service.copy_image, ALICE, source.id, ["ap-singapore"])
            for source in sources
        ]
    )

    assert len(successes) == 1
    assert all(isinstance(error, QuotaExceededError) for error in refusals)
    assert service.image_quota(ALICE, "ap-singapore").used == 10


def test_many_threads_of_random_operations_keep_every_invariant() -> None:
    """8 threads, 400 random operations each, against one service; afterwards no
    image, share or quota slot is lost or counted twice, and the indexes agree
    with a full scan."""
    limits = Limits(custom_images_per_region=4, accounts_per_shared_image=2)
    service = new_service(limits=limits)
    accounts = ["100000000001", "100000000002", "100000000003"]
    regions = ["ap-guangzhou", "ap-singapore"]
    created: list[str] = []
    deleted: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(400):
            caller = rng.choice(accounts)
            known = [image.id for image in service.contents().images if image.owner]
            image_id = rng.choice(known) if known else "img-00000000"
            choice = rng.randrange(6)
            try:
                if choice == 0:
                    image = service.import_image(
                        caller, rng.choice(regions), name=f"img-{rng.randrange(6)}",
                        platform="Debian", os_version="12", architecture="x86_64",
                        image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/d.raw",
                    )  # fmt: skip
                    with lock:
                        created.append(image.id)
                elif choice == 1:
                    copies = service.copy_image(caller, image_id, [rng.choice(regions)])
                    with lock:
                        created.extend(copy.id for copy in copies)
                elif choice == 2:
                    service.share_image(caller, image_id, [rng.choice(accounts)])
                elif choice == 3:
                    service.unshare_image(caller, image_id, [rng.choice(accounts)])
                elif choice == 4:
                    service.delete_images(caller, [image_id])
                    with lock:
                        deleted.append(image_id)
                else:
                    service.describe_images(caller, rng.choice(regions), limit=5)
            except ImageCatalogError:
                pass

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in threads)

    contents = service.contents()
    assert catalog_violations(contents) == []
    custom = [image for image in contents.images if image.owner is not None]
    # No image lost or duplicated: what was made minus what was deleted is what is there.
    assert len(created) == len(set(created))
    assert set(deleted) <= set(created)
    assert {image.id for image in custom} == set(created) - set(deleted)
    for account in accounts:
        for region in regions:
            owned = [
                i for i in custom if i.owner and i.owner.id == account and i.region.id == region
            ]
            quota = service.image_quota(account, region)
            assert quota.used == len(owned) <= limits.custom_images_per_region
            names = [image.name for image in owned]
            assert len(names) == len(set(names))
            place, who = Region.of(region), Account(id=account)
            mine = service.describe_images(who, place, kinds=["PRIVATE_IMAGE"], limit=100)
            assert {i.id for i in mine} == {i.id for i in owned}
            shared = {i.id for i in custom if i.region == place and account in i.shared_account_ids}
            theirs = service.describe_images(who, place, kinds=["SHARED_IMAGE"], limit=100)
            assert {i.id for i in theirs} == shared
    for image in custom:
        receivers = [share.account.id for share in image.shared_with]
        assert len(receivers) == len(set(receivers)) <= limits.accounts_per_shared_image
        assert image.owner is not None and image.owner.id not in receivers
