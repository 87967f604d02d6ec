"""Every service call is atomic: racing threads never break a rule."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from imagecatalog import (
    ImageCatalogError,
    ImageService,
    Limits,
    QuotaExceededError,
    ShareLimitExceededError,
)
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


def test_racing_for_the_last_share_slot_lets_exactly_one_win() -> None:
    service = new_service(limits=Limits(accounts_per_shared_image=3))
    receivers = [f"3000000000{n:02d}" for n in range(THREADS + 2)]
    for account in receivers:
        service.register_account(account)
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="popular")
    service.share_image(ALICE, image.id, receivers[:2])

    successes, refusals = race(
        [
            functools.partial(service.share_image, ALICE, image.id, [account])
            for account in receivers[2:]
        ]
    )

    assert len(successes) == 1
    assert all(isinstance(error, ShareLimitExceededError) for error in refusals)
    assert len(service.share_permissions(ALICE, image.id)) == 3


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
        remaining = service.repository.get_image(image.id)
        if remaining is None:  # the delete won; the share then found nothing
            assert len(successes) == 1
        else:  # the share won; the delete then found it shared
            assert [share.account.id for share in remaining.shared_with] == ["100000000002"]
            service.unshare_image(ALICE, image.id, ["100000000002"])
            service.delete_images(ALICE, [image.id])
