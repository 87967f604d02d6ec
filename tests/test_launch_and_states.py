"""Launching instances, the trust list, accounts, and the provider's side:
publishing public images and finishing or failing work in progress."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from imagecatalog import (
    Account,
    AccountNotFoundError,
    Architecture,
    ErrorCode,
    Image,
    ImageNotFoundError,
    ImageService,
    ImageState,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
    OsType,
    Support,
    UntrustedImageError,
)
from tests.support import ALICE, BOB, CAROL, STRANGER, public_image, refuses

# Launch ---------------------------------------------------------------------------


def test_launch_from_public_own_and_shared_images(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    ubuntu = public_image(service, "ap-singapore")
    instance = service.launch_instance(BOB, ubuntu.id)
    assert (instance.owner.id, instance.region.id, instance.image_id) == (
        BOB,
        "ap-singapore",
        ubuntu.id,
    )
    assert (instance.os_name, instance.system_disk_gb) == (ubuntu.os_name, ubuntu.size_gb)
    assert service.get_instance(BOB, instance.id) == instance
    image = make_image(ALICE)
    assert service.launch_instance(ALICE, image.id).image_id == image.id
    service.share_image(ALICE, image.id, [BOB])
    assert service.launch_instance(BOB, image.id).region == image.region


def test_launch_needs_a_visible_normal_image(
    slow_service: ImageService,
) -> None:
    service = slow_service
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="web")
    refuses(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_STATE,
        lambda: service.launch_instance(ALICE, image.id),
    )
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.launch_instance(BOB, image.id),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_IMAGE_ID_MALFORMED,
        lambda: service.launch_instance(ALICE, "img-ABCDEFGH"),
    )
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.launch_instance(STRANGER, image.id),
    )


def test_instances_are_private(service: ImageService) -> None:
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    refuses(
        service,
        InstanceNotFoundError,
        ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND,
        lambda: service.get_instance(BOB, instance.id),
    )


# Trust ----------------------------------------------------------------------------


def test_trust_list_limits_launching_shared_images(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    alices = make_image(ALICE)
    carols = make_image(CAROL)
    service.share_image(ALICE, alices.id, [BOB])
    service.share_image(CAROL, carols.id, [BOB])
    assert service.trusted_sharers(BOB) is None
    service.set_trusted_sharers(BOB, [ALICE])
    assert {account.id for account in service.trusted_sharers(BOB) or ()} == {ALICE}
    assert service.launch_instance(BOB, alices.id).image_id == alices.id
    error = refuses(
        service,
        UntrustedImageError,
        ErrorCode.UNTRUSTED_SHARED_IMAGE,
        lambda: service.launch_instance(BOB, carols.id),
    )
    assert (error.image_id, error.owner, error.account) == (
        carols.id,
        Account.of(CAROL),
        Account.of(BOB),
    )
    # Public images and one's own are not "shared": the list does not apply.
    service.set_trusted_sharers(BOB, [])
    public = public_image(service, "ap-guangzhou")
    assert service.launch_instance(BOB, public.id).image_id == public.id
    refuses(
        service,
        UntrustedImageError,
        ErrorCode.UNTRUSTED_SHARED_IMAGE,
        lambda: service.launch_instance(BOB, alices.id),
    )
    service.set_trusted_sharers(BOB, None)
    assert service.launch_instance(BOB, carols.id).image_id == carols.id


def test_trust_list_arguments(service: ImageService) -> None:
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.set_trusted_sharers(BOB, [ALICE, STRANGER]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.set_trusted_sharers(BOB, [ALICE, ALICE]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.set_trusted_sharers(BOB, ALICE),
    )
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.set_trusted_sharers(STRANGER, [ALICE]),
    )


# Accounts -------------------------------------------------------------------------


def test_register_account(service: ImageService) -> None:
    account = service.register_account("100000000042")
    assert account.id == "100000000042" and str(account) == "100000000042"
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_ACCOUNT_ID_DUPLICATE,
        lambda: service.register_account("100000000042"),
    )
    for malformed in ("", "abc", "12 34", "1" * 21):
        refuses(
            service,
            InvalidParameterError,
            ErrorCode.INVALID_ACCOUNT_ID_MALFORMED,
            functools.partial(service.register_account, malformed),
        )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.register_account(100000000043),  # type: ignore[arg-type]
    )


# The provider's side --------------------------------------------------------------


def test_publish_public_image(service: ImageService) -> None:
    image = service.provider.publish_public_image(
        "ap-tokyo",
        name="TencentOS Server 4",
        os_type="Linux",
        platform="TencentOS",
        os_name="TencentOS Server 4 64bit",
        architecture="arm",
        size_gb=20,
        software=["Python 3.11", "Java 17"],
    )
    assert image.owner is None and image.is_public
    assert (image.support, image.software) == (Support.PROVIDER, ("Python 3.11", "Java 17"))
    assert image.kind_for(STRANGER) is not None  # everyone sees public images
    debian = service.provider.publish_public_image(
        "ap-tokyo",
        name="Debian 12",
        os_type=OsType.LINUX,
        platform="Debian",
        os_name="Debian 12.0 64bit",
        architecture=Architecture.X86_64,
        size_gb=20,
    )
    assert debian.support is Support.COMMUNITY

    def publish(**overrides: Any) -> object:
        arguments: dict[str, Any] = {
            "name": "x", "os_type": "Linux", "platform": "Debian", "os_name": "x",
            "architecture": "x86_64", "size_gb": 20,
        }  # fmt: skip
        return service.provider.publish_public_image("ap-tokyo", **{**arguments, **overrides})

    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: publish(size_gb=0),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: publish(software="Java"),
    )


@pytest.mark.parametrize(
    ("operation", "pending", "failed"),
    [
        ("create", ImageState.CREATING, ImageState.CREATEFAILED),
        ("import", ImageState.IMPORTING, ImageState.IMPORTFAILED),
        ("copy", ImageState.SYNCING, None),
    ],
)
def test_work_in_progress_completes_or_fails(
    slow_service: ImageService,
    operation: str,
    pending: ImageState,
    failed: ImageState | None,
) -> None:
    service = slow_service

    def start() -> Image:
        instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
        if operation == "create":
            return service.create_image(ALICE, instance.id, name=f"web-{instance.id}")
        if operation == "import":
            return service.import_image(
                ALICE,
                "ap-guangzhou",
                name=f"web-{instance.id}",
                platform="Debian",
                os_version="12",
                architecture="x86_64",
                image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/d.qcow2",
            )
        source = service.create_image(ALICE, instance.id, name=f"src-{instance.id}")
        service.provider.complete(source.id)
        return service.copy_image(ALICE, source.id, ["ap-tokyo"])[0]

    done = start()
    assert done.state is pending
    assert service.provider.complete(done.id).state is ImageState.NORMAL
    refuses(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_STATE,
        lambda: service.provider.complete(done.id),
    )
    lost = start()
    result = service.provider.fail(lost.id)
    if failed is None:
        assert result is None
        refuses(
            service,
            ImageNotFoundError,
            ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
            lambda: service.get_image(ALICE, lost.id),
        )
    else:
        assert result is not None and result.state is failed
        assert service.get_image(ALICE, lost.id).state is failed
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.provider.complete("img-00000000"),
    )


def test_a_clock_without_timezone_is_refused_and_changes_nothing() -> None:
    from datetime import datetime

    from imagecatalog.testing import CatalogBuilder

    builder = CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web")
    service = builder.build()
    naive = ImageService(service.store, clock=lambda: datetime(2026, 1, 1))
    refuses(
        naive,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: naive.copy_image(ALICE, builder.image("web").id, ["ap-tokyo"]),
    )
