"""ModifyImageAttribute and DeleteImages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagecatalog import (
    DuplicateImageNameError,
    ErrorCode,
    Image,
    ImageNotFoundError,
    ImageService,
    InvalidImageStateError,
    InvalidParameterError,
    PermissionDeniedError,
    Quota,
    SharingError,
)
from tests.support import ALICE, BOB, CAROL, STRANGER, public_image, refuses

# ModifyImageAttribute -----------------------------------------------------------


def test_owner_renames_and_redescribes(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE, name="web-golden")
    renamed = service.modify_image(ALICE, image.id, name="web-golden-v2")
    assert (renamed.name, renamed.description) == ("web-golden-v2", image.description)
    described = service.modify_image(ALICE, image.id, description="hardened")
    assert (described.name, described.description) == ("web-golden-v2", "hardened")
    # The old name is free again; keeping one's own name is no clash.
    assert make_image(ALICE, name="web-golden").name == "web-golden"
    assert service.modify_image(ALICE, image.id, name="web-golden-v2").name == "web-golden-v2"


def test_modify_rules(service: ImageService, make_image: Callable[..., Image]) -> None:
    image = make_image(ALICE, name="web-golden")
    make_image(ALICE, name="db-golden")
    service.share_image(ALICE, image.id, [BOB])
    refuses(
        service,
        DuplicateImageNameError,
        ErrorCode.INVALID_IMAGE_NAME_DUPLICATE,
        lambda: service.modify_image(ALICE, image.id, name="db-golden"),
    )
    refuses(
        service,
        PermissionDeniedError,
        ErrorCode.SHARED_IMAGE_MODIFY_UNSUPPORTED,
        lambda: service.modify_image(BOB, image.id, name="bobs"),
    )
    ubuntu = public_image(service, "ap-guangzhou")
    refuses(
        service,
        PermissionDeniedError,
        ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT,
        lambda: service.modify_image(ALICE, ubuntu.id, description="mine now"),
    )
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.modify_image(CAROL, image.id, name="carols"),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.modify_image(ALICE, image.id),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE,
        lambda: service.modify_image(ALICE, image.id, description="d" * 257),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.modify_image(ALICE, image.id, name=""),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_IMAGE_ID_MALFORMED,
        lambda: service.modify_image(ALICE, "IMG-12345678", name="x"),
    )


def test_modify_waits_for_work_in_progress(slow_service: ImageService) -> None:
    service = slow_service
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="web")
    refuses(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_ID_INCORRECT_STATE,
        lambda: service.modify_image(ALICE, image.id, name="web-2"),
    )


# DeleteImages --------------------------------------------------------------------


def test_delete_frees_quota_and_the_name(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    first, second = make_image(ALICE, name="a"), make_image(ALICE, name="b")
    assert service.image_quota(ALICE, "ap-guangzhou") == Quota(used=2, limit=10)
    service.delete_images(ALICE, [first.id, second.id])
    assert service.image_quota(ALICE, "ap-guangzhou") == Quota(used=0, limit=10)
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.get_image(ALICE, first.id),
    )
    assert make_image(ALICE, name="a").name == "a"


def test_delete_is_all_or_nothing(service: ImageService, make_image: Callable[..., Image]) -> None:
    mine = make_image(ALICE)
    theirs = make_image(BOB)
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.delete_images(ALICE, [mine.id, theirs.id]),
    )
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.delete_images(ALICE, [mine.id, "img-00000000"]),
    )
    assert service.get_image(ALICE, mine.id) == mine


def test_delete_rules(service: ImageService, make_image: Callable[..., Image]) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB])
    in_shared = refuses(
        service,
        SharingError,
        ErrorCode.INVALID_IMAGE_ID_IN_SHARED,
        lambda: service.delete_images(ALICE, [image.id]),
    )
    assert "cancel every share first" in str(in_shared)
    refuses(
        service,
        PermissionDeniedError,
        ErrorCode.INVALID_IMAGE_ID_IS_SHARED,
        lambda: service.delete_images(BOB, [image.id]),
    )
    ubuntu = public_image(service, "ap-guangzhou")
    refuses(
        service,
        PermissionDeniedError,
        ErrorCode.INVALID_PARAMETER_VALUE_INVALID_IMAGE_ID,
        lambda: service.delete_images(ALICE, [ubuntu.id]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.delete_images(ALICE, []),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.delete_images(ALICE, [image.id, image.id]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_IMAGE_ID_MALFORMED,
        lambda: service.delete_images(ALICE, ["img-34vaef8fe"]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.delete_images(ALICE, image.id),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.delete_images(ALICE, [12345678]),  # type: ignore[list-item]
    )
    service.unshare_image(ALICE, image.id, [BOB])
    service.delete_images(ALICE, [image.id])


@pytest.mark.parametrize("operation", ["create", "import", "copy"])
def test_delete_waits_for_work_in_progress(slow_service: ImageService, operation: str) -> None:
    service = slow_service
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    if operation == "create":
        image = service.create_image(ALICE, instance.id, name="web")
    elif operation == "import":
        image = service.import_image(
            ALICE,
            "ap-guangzhou",
            name="web",
            platform="Ubuntu",
            os_version="22.04",
            architecture="x86_64",
            image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/u.raw",
        )
    else:
        source = service.provider.complete(service.create_image(ALICE, instance.id, name="web").id)
        (image,) = service.copy_image(ALICE, source.id, ["ap-tokyo"])
    refuses(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_ID_INCORRECT_STATE,
        lambda: service.delete_images(ALICE, [image.id]),
    )
    service.provider.complete(image.id)
    service.delete_images(ALICE, [image.id])


def test_failed_images_can_be_deleted(slow_service: ImageService) -> None:
    service = slow_service
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="web")
    service.provider.fail(image.id)
    assert service.image_quota(ALICE, "ap-guangzhou").used == 1
    service.delete_images(ALICE, [image.id])
    assert service.image_quota(ALICE, "ap-guangzhou").used == 0


def test_unknown_caller_deletes_nothing(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE)
    from imagecatalog import AccountNotFoundError

    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.delete_images(STRANGER, [image.id]),
    )
