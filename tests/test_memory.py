"""The in-memory store: unit of work, indexes, threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import attrs
import pytest

from imagecatalog import (
    Account,
    Architecture,
    Image,
    ImageOrigin,
    ImageRepository,
    ImageState,
    InMemoryImageRepository,
    OsType,
    Region,
    SharePermission,
)

GUANGZHOU = Region.of("ap-guangzhou")
ALICE = Account(id="100000000001")
BOB = Account(id="100000000002")
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def image(image_id: str = "img-aaaaaaaa", name: str = "web") -> Image:
    return Image(
        id=image_id,
        name=name,
        region=GUANGZHOU,
        owner=ALICE,
        os_type=OsType.LINUX,
        platform="Ubuntu",
        os_name="Ubuntu 22.04",
        architecture=Architecture.X86_64,
        size_gb=20,
        state=ImageState.NORMAL,
        origin=ImageOrigin.CREATE_IMAGE,
        created_at=NOW,
    )


def test_conforms_to_the_protocol() -> None:
    repository: ImageRepository = InMemoryImageRepository()
    assert repository.get_image("img-aaaaaaaa") is None


def test_a_raising_transaction_undoes_every_write() -> None:
    repository = InMemoryImageRepository()
    repository.add_account(ALICE)
    kept = image("img-kkkkkkkk", "kept")
    repository.add_image(kept)

    def failing_unit_of_work() -> None:
        with repository.transaction():
            write_everything()
            raise RuntimeError("boom")

    def write_everything() -> None:
        repository.add_account(BOB)
        repository.set_trusted_sharers(ALICE.id, frozenset({BOB.id}))
        repository.add_image(image())
        shared = attrs.evolve(
            kept, name="renamed", shared_with=[SharePermission(account=BOB, shared_at=NOW)]
        )
        repository.replace_image(shared)
        repository.remove_image("img-aaaaaaaa")

    with pytest.raises(RuntimeError):
        failing_unit_of_work()
    assert list(repository.accounts()) == [ALICE]
    assert repository.trusted_sharers(ALICE.id) is None
    assert list(repository.images()) == [kept]
    assert repository.find_custom_image(ALICE, GUANGZHOU, "kept") == kept
    assert repository.find_custom_image(ALICE, GUANGZHOU, "renamed") is None
    assert list(repository.images_shared_with(BOB, GUANGZHOU)) == []
    assert repository.count_custom_images(ALICE, GUANGZHOU) == 1


def test_indexes_follow_replacements() -> None:
    repository = InMemoryImageRepository()
    with repository.transaction():
        repository.add_image(image())
        with repository.transaction():  # nested blocks join the outer one
            repository.replace_image(
                attrs.evolve(
                    image(), name="v2", shared_with=[SharePermission(account=BOB, shared_at=NOW)]
                )
            )
    assert [i.name for i in repository.images_shared_with(BOB, GUANGZHOU)] == ["v2"]
    assert repository.find_custom_image(ALICE, GUANGZHOU, "web") is None
    repository.remove_image("img-aaaaaaaa")
    assert list(repository.custom_images(ALICE, GUANGZHOU)) == []
    assert list(repository.images_shared_with(BOB, GUANGZHOU)) == []


def test_transactions_exclude_each_other() -> None:
    repository = InMemoryImageRepository()
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with repository.transaction():
            inside.set()
            release.wait(5)
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    timer = threading.Timer(0.05, release.set)
    timer.start()
    with repository.transaction():
        order.append("second")
    thread.join()
    assert order == ["first", "second"]
