"""ModifyImageSharePermission and DescribeImageSharePermission."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagecatalog import (
    Account,
    AccountNotFoundError,
    ErrorCode,
    Image,
    ImageKind,
    ImageNotFoundError,
    ImageService,
    InvalidImageStateError,
    InvalidParameterError,
    Limits,
    PermissionDeniedError,
    ShareLimitExceededError,
    SharingError,
)
from tests.support import (
    ALICE,
    BOB,
    CAROL,
    START,
    STRANGER,
    new_service,
    public_image,
    refuses,
)


def test_share_then_list_permissions(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE)
    shared = service.share_image(ALICE, image.id, [BOB, CAROL])
    assert shared.kind_for(BOB) is ImageKind.SHARED and shared.kind_for(CAROL) is ImageKind.SHARED
    permissions = service.share_permissions(ALICE, image.id)
    assert [p.account.id for p in permissions] == [BOB, CAROL]
    assert all(p.shared_at > START for p in permissions)
    assert service.get_image(BOB, image.id).kind_for(BOB) is ImageKind.SHARED


def test_cancelling_takes_effect_at_once(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB, CAROL])
    remaining = service.unshare_image(ALICE, image.id, [BOB])
    assert [p.account.id for p in remaining.shared_with] == [CAROL]
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.get_image(BOB, image.id),
    )
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.launch_instance(BOB, image.id),
    )
    assert service.describe_images(BOB, "ap-guangzhou", kinds=["SHARED_IMAGE"]).total_count == 0


def test_share_limit_is_fifty_accounts_by_default() -> None:
    service = new_service()
    receivers = [f"2000000000{n:02d}" for n in range(51)]
    for account in receivers:
        service.register_account(account)
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="popular")
    service.share_image(ALICE, image.id, receivers[:49])
    error = refuses(
        service,
        ShareLimitExceededError,
        ErrorCode.OVER_QUOTA,
        lambda: service.share_image(ALICE, image.id, receivers[49:]),
    )
    assert (error.image_id, error.limit, error.current, error.requested) == (image.id, 50, 49, 2)
    assert len(service.share_image(ALICE, image.id, receivers[49:50]).shared_with) == 50
    refuses(
        service,
        ShareLimitExceededError,
        ErrorCode.OVER_QUOTA,
        lambda: service.share_image(ALICE, image.id, receivers[50:]),
    )


def test_share_limit_follows_the_limits_value() -> None:
    service = new_service(limits=Limits(accounts_per_shared_image=1))
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="scarce")
    service.share_image(ALICE, image.id, [BOB])
    refuses(
        service,
        ShareLimitExceededError,
        ErrorCode.OVER_QUOTA,
        lambda: service.share_image(ALICE, image.id, [CAROL]),
    )


def test_share_rules(service: ImageService, make_image: Callable[..., Image]) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB])
    refuses(
        service,
        SharingError,
        ErrorCode.ACCOUNT_IS_YOURSELF,
        lambda: service.share_image(ALICE, image.id, [CAROL, ALICE]),
    )
    already = refuses(
        service,
        SharingError,
        ErrorCode.ACCOUNT_ALREADY_EXISTS,
        lambda: service.share_image(ALICE, image.id, [CAROL, BOB]),
    )
    assert already.accounts == (Account.of(BOB),)
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.share_image(ALICE, image.id, [CAROL, STRANGER]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.share_image(ALICE, image.id, [CAROL, CAROL]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.share_image(ALICE, image.id, []),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.share_image(ALICE, image.id, CAROL),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_ACCOUNT_ID_MALFORMED,
        lambda: service.share_image(ALICE, image.id, ["carol"]),
    )


def test_only_the_owner_shares(service: ImageService, make_image: Callable[..., Image]) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB])
    ubuntu = public_image(service, "ap-guangzhou")
    for call in (
        lambda: service.share_image(BOB, image.id, [CAROL]),
        lambda: service.unshare_image(BOB, image.id, [BOB]),
        lambda: service.share_permissions(BOB, image.id),
        lambda: service.share_image(ALICE, ubuntu.id, [BOB]),
        lambda: service.share_permissions(ALICE, ubuntu.id),
    ):
        refuses(service, PermissionDeniedError, ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT, call)
    for call in (
        lambda: service.share_image(CAROL, image.id, [BOB]),
        lambda: service.share_permissions(CAROL, image.id),
    ):
        refuses(service, ImageNotFoundError, ErrorCode.INVALID_IMAGE_ID_NOT_FOUND, call)


def test_byol_images_cannot_be_shared(service: ImageService) -> None:
    image = service.import_image(
        ALICE,
        "ap-guangzhou",
        name="own-licence",
        platform="Windows Server 2016",
        os_version="2016",
        architecture="x86_64",
        licence_type="BYOL",
        image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/w.vmdk",
    )
    refuses(
        service,
        SharingError,
        ErrorCode.BYOL_IMAGE_SHARE_FAILED,
        lambda: service.share_image(ALICE, image.id, [BOB]),
    )


def test_only_normal_images_are_shared(slow_service: ImageService) -> None:
    service = slow_service
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="in-progress")
    refuses(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_STATE,
        lambda: service.share_image(ALICE, image.id, [BOB]),
    )
    service.provider.complete(image.id)
    assert service.share_image(ALICE, image.id, [BOB]).shared_with[0].account.id == BOB


def test_cancel_rules(service: ImageService, make_image: Callable[..., Image]) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB])
    missing = refuses(
        service,
        SharingError,
        ErrorCode.ACCOUNT_NOT_SHARED,
        lambda: service.unshare_image(ALICE, image.id, [BOB, CAROL]),
    )
    assert missing.accounts == (Account.of(CAROL),)
    refuses(
        service,
        SharingError,
        ErrorCode.ACCOUNT_IS_YOURSELF,
        lambda: service.unshare_image(ALICE, image.id, [ALICE]),
    )


@pytest.mark.parametrize("receiver_region", ["ap-singapore", "eu-frankfurt"])
def test_sharing_reaches_only_the_image_region(
    service: ImageService, make_image: Callable[..., Image], receiver_region: str
) -> None:
    image = make_image(ALICE, "ap-guangzhou")
    (copy,) = service.copy_image(ALICE, image.id, [receiver_region])
    service.share_image(ALICE, image.id, [BOB])
    # The copy is not shared: to use the image elsewhere, share the copy.
    seen = service.describe_images(BOB, receiver_region, kinds=["SHARED_IMAGE"])
    assert seen.total_count == 0
    service.share_image(ALICE, copy.id, [BOB])
    seen = service.describe_images(BOB, receiver_region, kinds=["SHARED_IMAGE"])
    assert [i.id for i in seen.items] == [copy.id]
