"""SyncImages: copying a custom image to other regions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imagecatalog import (
    DuplicateImageNameError,
    ErrorCode,
    Image,
    ImageNotFoundError,
    ImageOrigin,
    ImageService,
    ImageState,
    InvalidImageStateError,
    InvalidParameterError,
    PermissionDeniedError,
    Quota,
    QuotaExceededError,
    Region,
)
from tests.support import ALICE, BOB, CAROL, public_image, refuses


def test_copies_keep_the_image_and_land_in_each_destination(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    source = make_image(ALICE, "ap-guangzhou", "web-golden")
    service.share_image(ALICE, source.id, [BOB])
    copies = service.copy_image(ALICE, source.id, ["ap-singapore", Region.of("eu-frankfurt")])
    assert [copy.region.id for copy in copies] == ["ap-singapore", "eu-frankfurt"]
    for copy in copies:
        assert copy.id != source.id
        assert (
            copy.owner,
            copy.os_type,
            copy.platform,
            copy.os_name,
            copy.architecture,
            copy.size_gb,
            copy.origin,
            copy.name,
        ) == (
            source.owner,
            source.os_type,
            source.platform,
            source.os_name,
            source.architecture,
            source.size_gb,
            ImageOrigin.CREATE_IMAGE,
            "web-golden",
        )
        assert copy.copied_from == source.id
        assert copy.shared_with == ()  # shares are not copied
        assert copy.state is ImageState.NORMAL
    assert service.image_quota(ALICE, "ap-singapore") == Quota(used=1, limit=10)
    assert service.image_quota(ALICE, "ap-guangzhou") == Quota(used=1, limit=10)


def test_copy_can_be_renamed(service: ImageService, make_image: Callable[..., Image]) -> None:
    source = make_image(ALICE, "ap-guangzhou", "web-golden")
    (copy,) = service.copy_image(ALICE, source.id, ["ap-tokyo"], name="web-golden-tokyo")
    assert copy.name == "web-golden-tokyo"


def test_only_the_owner_copies_a_custom_image(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB])
    refuses(
        service,
        PermissionDeniedError,
        ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT,
        lambda: service.copy_image(BOB, image.id, ["ap-singapore"]),
    )
    refuses(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.copy_image(CAROL, image.id, ["ap-singapore"]),
    )
    ubuntu = public_image(service, "ap-guangzhou")
    refuses(
        service,
        PermissionDeniedError,
        ErrorCode.INVALID_PARAMETER_VALUE_INVALID_IMAGE_ID,
        lambda: service.copy_image(ALICE, ubuntu.id, ["ap-singapore"]),
    )


def test_destinations_must_be_other_known_distinct_regions(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE, "ap-guangzhou")
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE_INVALID_REGION,
        lambda: service.copy_image(ALICE, image.id, ["ap-singapore", "ap-guangzhou"]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_REGION_NOT_FOUND,
        lambda: service.copy_image(ALICE, image.id, ["ap-atlantis"]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.copy_image(ALICE, image.id, []),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.copy_image(ALICE, image.id, ["ap-tokyo", "ap-tokyo"]),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.copy_image(ALICE, image.id, "ap-tokyo"),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE,
        lambda: service.copy_image(ALICE, image.id, ["ap-tokyo"], name="x" * 61),
    )


def test_copy_is_all_or_nothing_on_destination_quota(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE, "ap-guangzhou")
    for _ in range(10):
        make_image(ALICE, "ap-singapore")
    error = refuses(
        service,
        QuotaExceededError,
        ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED,
        lambda: service.copy_image(ALICE, image.id, ["ap-tokyo", "ap-singapore"]),
    )
    assert error.region is Region.of("ap-singapore")
    assert service.image_quota(ALICE, "ap-tokyo").used == 0


def test_copy_refuses_a_name_taken_in_a_destination(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE, "ap-guangzhou", "web-golden")
    make_image(ALICE, "ap-singapore", "web-golden")
    refuses(
        service,
        DuplicateImageNameError,
        ErrorCode.INVALID_IMAGE_NAME_DUPLICATE,
        lambda: service.copy_image(ALICE, image.id, ["ap-tokyo", "ap-singapore"]),
    )


@pytest.mark.parametrize("state", [ImageState.CREATING, ImageState.CREATEFAILED])
def test_copy_needs_a_normal_image(slow_service: ImageService, state: ImageState) -> None:
    service = slow_service
    instance = service.launch_instance(ALICE, public_image(service, "ap-guangzhou").id)
    image = service.create_image(ALICE, instance.id, name="web")
    if state is ImageState.CREATEFAILED:
        service.provider.fail(image.id)
    refuses(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_STATE,
        lambda: service.copy_image(ALICE, image.id, ["ap-singapore"]),
    )
