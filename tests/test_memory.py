"""The in-memory store: unit of work, indexes, threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import attrs
import pytest

from imagecatalog import (
    Account,
    AccountProfile,
    Architecture,
    CatalogStore,
    Image,
    ImageOrigin,
    ImageQuery,
    ImageState,
    InMemoryImageRepository,
    OsType,
    Region,
    SharePermission,
)
from imagecatalog.query import ImageGroup

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


def shared_ids(store: InMemoryImageRepository, account: Account) -> list[str]:
    group = ImageGroup.shared_with(account, GUANGZHOU)
    return [i.name for i in store.select_images(group, ImageQuery(), 0, 100)[1]]


def test_conforms_to_the_protocol() -> None:
    store: CatalogStore = InMemoryImageRepository()
    assert isinstance(store, CatalogStore)
    assert store.get_image("img-aaaaaaaa") is None


def test_a_raising_transaction_undoes_every_write() -> None:
    store = InMemoryImageRepository()
    alice = AccountProfile(account=ALICE)
    store.add_account(alice)
    kept = image("img-kkkkkkkk", "kept")
    store.add_image(kept)

    def failing_unit_of_work() -> None:
        with store.transaction():
            write_everything()
            raise RuntimeError("boom")

    def write_everything() -> None:
        store.add_account(AccountProfile(account=BOB))
        store.replace_account(AccountProfile(account=ALICE, trusted_sharers={BOB}))
        store.add_image(image())
        shared = attrs.evolve(
            kept, name="renamed", shared_with=[SharePermission(account=BOB, shared_at=NOW)]
        )
        store.replace_image(shared)
        store.remove_image("img-aaaaaaaa")

    with pytest.raises(RuntimeError):
        failing_unit_of_work()
    assert list(store.all_accounts()) == [alice]
    assert list(store.all_images()) == [kept]
    assert store.find_custom_image(ALICE, GUANGZHOU, "kept") == kept
    assert store.find_custom_image(ALICE, GUANGZHOU, "renamed") is None
    assert shared_ids(store, BOB) == []
    assert store.select_images(ImageGroup.owned(ALICE, GUANGZHOU), ImageQuery(), 0, 0)[0] == 1


def test_indexes_follow_replacements() -> None:
    store = InMemoryImageRepository()
    with store.transaction():
        store.add_image(image())
        with store.transaction():
            store.replace_image(
                attrs.evolve(
                    image(), name="v2", shared_with=[SharePermission(account=BOB, shared_at=NOW)]
                )
            )
    assert shared_ids(store, BOB) == ["v2"]
    assert store.find_custom_image(ALICE, GUANGZHOU, "web") is None
    store.remove_image("img-aaaaaaaa")
    assert store.select_images(ImageGroup.owned(ALICE, GUANGZHOU), ImageQuery(), 0, 10) == (0, [])
    assert shared_ids(store, BOB) == []


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
