"""Helpers the tests share: a small catalog that reads like the domain, and a
way to assert that a refused call changed nothing."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from imagecatalog import (
    Architecture,
    Image,
    ImageCatalogError,
    ImageService,
    Limits,
    OsType,
)

_E = TypeVar("_E", bound=ImageCatalogError)

ALICE = "100000000001"
BOB = "100000000002"
CAROL = "100000000003"
STRANGER = "100000000099"  # well formed, never registered

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def stepping_clock() -> Callable[[], datetime]:
    """A clock that moves one second per reading, from 2026-11-27 09:00 UTC."""
    state = {"now": START}

    def now() -> datetime:
        current = state["now"]
        state["now"] = current + timedelta(seconds=1)
        return current

    return now


def new_service(*, limits: Limits | None = None, instant: bool = True) -> ImageService:
    """A service with public Ubuntu and Windows images in ap-guangzhou and
    ap-singapore, and the accounts Alice, Bob and Carol."""
    service = ImageService(limits=limits, clock=stepping_clock(), instant=instant, id_seed=7)
    for region in ("ap-guangzhou", "ap-singapore"):
        service.publish_public_image(
            region,
            name="Ubuntu Server 22.04 LTS 64bit",
            os_type=OsType.LINUX,
            platform="Ubuntu",
            os_name="Ubuntu Server 22.04 LTS 64bit",
            architecture=Architecture.X86_64,
            size_gb=20,
            software=("Python 3.10",),
        )
        service.publish_public_image(
            region,
            name="Windows Server 2022 DataCenter 64bit",
            os_type=OsType.WINDOWS,
            platform="Windows",
            os_name="Windows Server 2022 DataCenter 64bit",
            architecture=Architecture.X86_64,
            size_gb=50,
        )
    for account in (ALICE, BOB, CAROL):
        service.register_account(account)
    return service


def public_image(service: ImageService, region: str, platform: str = "Ubuntu") -> Image:
    """The public image of *platform* in *region*."""
    page = service.describe_images(ALICE, region, platform=platform, kinds=["PUBLIC_IMAGE"])
    return page.items[0]


def catalog_state(service: ImageService) -> Hashable:
    """Everything the repository holds, as one comparable value."""
    repository = service.repository
    accounts = tuple(repository.accounts())
    return (
        accounts,
        frozenset(repository.images()),
        frozenset(repository.instances()),
        tuple(repository.trusted_sharers(account.id) for account in accounts),
    )


def refuses(service: ImageService, error: type[_E], code: str, call: Callable[[], object]) -> _E:
    """Assert *call* raises *error* with *code* and leaves the catalog unchanged."""
    before = catalog_state(service)
    with pytest.raises(error) as raised:
        call()
    assert raised.value.code == code, raised.value
    assert catalog_state(service) == before
    return raised.value
