"""DescribeImages: what a caller sees in a region, filters and paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from imagecatalog import (
    AccountNotFoundError,
    Architecture,
    ErrorCode,
    Image,
    ImageKind,
    ImageService,
    InvalidParameterError,
    Limits,
    OsType,
)
from tests.support import ALICE, BOB, CAROL, STRANGER, new_service, refuses


def ids(page_items: tuple[Image, ...]) -> list[str]:
    return [image.id for image in page_items]


def test_caller_sees_public_own_and_shared_in_region_only(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    own = make_image(ALICE, "ap-guangzhou", "alice-web")
    theirs = make_image(BOB, "ap-guangzhou", "bob-web")
    service.share_image(BOB, theirs.id, [ALICE])
    hidden = make_image(CAROL, "ap-guangzhou", "carol-web")
    elsewhere = make_image(ALICE, "ap-singapore", "alice-sg")

    page = service.describe_images(ALICE, "ap-guangzhou")

    kinds = [(image.id, image.kind_for(ALICE)) for image in page.items]
    assert [kind for _, kind in kinds] == [
        ImageKind.PUBLIC,
        ImageKind.PUBLIC,
        ImageKind.CUSTOM,
        ImageKind.SHARED,
    ]
    assert own.id in ids(page.items) and theirs.id in ids(page.items)
    assert hidden.id not in ids(page.items)
    assert elsewhere.id not in ids(page.items)
    assert page.total_count == 4


def test_shared_image_is_visible_to_receiver_only_in_its_region(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE, "ap-guangzhou")
    service.share_image(ALICE, image.id, [BOB])
    in_region = service.describe_images(BOB, "ap-guangzhou", kinds=[ImageKind.SHARED])
    elsewhere = service.describe_images(BOB, "ap-singapore", kinds=[ImageKind.SHARED])
    assert ids(in_region.items) == [image.id]
    assert elsewhere.total_count == 0


def test_receiver_does_not_learn_who_else_an_image_is_shared_with(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    image = make_image(ALICE)
    service.share_image(ALICE, image.id, [BOB, CAROL])
    (seen,) = service.describe_images(BOB, "ap-guangzhou", kinds=["SHARED_IMAGE"]).items
    assert [share.account.id for share in seen.shared_with] == [BOB]
    owner_view = service.describe_images(ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"]).items[0]
    assert [share.account.id for share in owner_view.shared_with] == [BOB, CAROL]


@pytest.mark.parametrize(
    ("filters", "expected_names"),
    [
        ({"os_type": OsType.WINDOWS}, ["Windows Server 2022 DataCenter 64bit"]),
        ({"os_type": "Linux"}, ["Ubuntu Server 22.04 LTS 64bit", "web-golden", "web-arm"]),
        ({"architecture": Architecture.ARM64}, ["web-arm"]),
        ({"architecture": "arm_64"}, ["web-arm"]),
        ({"name": "GOLDEN"}, ["web-golden"]),
        ({"platform": "ubun"}, ["Ubuntu Server 22.04 LTS 64bit", "web-golden"]),
        ({"kinds": [ImageKind.CUSTOM]}, ["web-golden", "web-arm"]),
        (
            {"kinds": ["PUBLIC_IMAGE"], "os_type": "Windows"},
            ["Windows Server 2022 DataCenter 64bit"],
        ),
    ],
)
def test_filters_combine(
    service: ImageService, filters: dict[str, Any], expected_names: list[str]
) -> None:
    service.import_image(
        ALICE,
        "ap-guangzhou",
        name="web-golden",
        image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/u.qcow2",
        platform="Ubuntu",
        os_version="22.04",
        architecture="x86_64",
    )
    service.import_image(
        ALICE,
        "ap-guangzhou",
        name="web-arm",
        image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/a.raw",
        platform="Debian",
        os_version="12",
        architecture="arm_64",
    )
    page = service.describe_images(ALICE, "ap-guangzhou", **filters)
    assert [image.name for image in page.items] == expected_names
    assert page.total_count == len(expected_names)


def test_image_ids_return_only_visible_images_in_the_region(
    service: ImageService, make_image: Callable[..., Image]
) -> None:
    mine = make_image(ALICE, "ap-guangzhou")
    other = make_image(BOB, "ap-guangzhou")
    far = make_image(ALICE, "ap-singapore")
    unknown = "img-00000000"
    page = service.describe_images(
        ALICE, "ap-guangzhou", image_ids=[mine.id, other.id, far.id, unknown]
    )
    assert ids(page.items) == [mine.id]


def test_paging_counts_every_match(service: ImageService, make_image: Callable[..., Image]) -> None:
    made = [make_image(ALICE, name=f"build-{n}").id for n in range(5)]
    everything = service.describe_images(ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"])
    assert ids(everything.items) == made  # oldest first
    page = service.describe_images(
        ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"], offset=2, limit=2
    )
    assert ids(page.items) == made[2:4]
    assert (page.total_count, page.offset, page.limit, len(page)) == (5, 2, 2, 2)
    beyond = service.describe_images(ALICE, "ap-guangzhou", offset=50, limit=100)
    assert beyond.items == () and beyond.total_count == everything.total_count + 2


def test_default_page_is_twenty() -> None:
    service = new_service(limits=Limits().with_quota(ALICE, 30))
    for number in range(25):
        service.import_image(
            ALICE,
            "ap-guangzhou",
            name=f"import-{number}",
            platform="CentOS",
            os_version="7",
            image_url=f"https://b-1.cos.ap-guangzhou.myqcloud.com/{number}.vmdk",
            architecture="x86_64",
        )
    page = service.describe_images(ALICE, "ap-guangzhou")
    assert (page.limit, len(page.items), page.total_count) == (20, 20, 27)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"offset": -1}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"limit": 0}, ErrorCode.INVALID_PARAMETER_VALUE_LIMIT),
        ({"limit": 101}, ErrorCode.INVALID_PARAMETER_VALUE_LIMIT),
        ({"limit": "20"}, ErrorCode.INVALID_PARAMETER),
        ({"offset": True}, ErrorCode.INVALID_PARAMETER),
        ({"image_ids": []}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"image_ids": "img-12345678"}, ErrorCode.INVALID_PARAMETER),
        ({"image_ids": ["img-12345678", "img-12345678"]}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"image_ids": ["img-1234"]}, ErrorCode.INVALID_IMAGE_ID_MALFORMED),
        (
            {"image_ids": ["img-12345678"], "name": "web"},
            ErrorCode.INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS,
        ),
        (
            {"image_ids": ["img-12345678"], "kinds": [ImageKind.PUBLIC]},
            ErrorCode.INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS,
        ),
        ({"kinds": []}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"kinds": ["MARKET_IMAGE"]}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"name": ""}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"platform": 3}, ErrorCode.INVALID_PARAMETER),
        ({"os_type": "BeOS"}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"architecture": "sparc"}, ErrorCode.INVALID_PARAMETER_VALUE),
    ],
)
def test_bad_arguments_are_refused(
    service: ImageService, arguments: dict[str, Any], code: ErrorCode
) -> None:
    refuses(
        service,
        InvalidParameterError,
        code,
        lambda: service.describe_images(ALICE, "ap-guangzhou", **arguments),
    )


def test_unknown_region_and_caller_are_refused(service: ImageService) -> None:
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_REGION_NOT_FOUND,
        lambda: service.describe_images(ALICE, "ap-moon"),
    )
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.describe_images(STRANGER, "ap-guangzhou"),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_ACCOUNT_ID_MALFORMED,
        lambda: service.describe_images("alice", "ap-guangzhou"),
    )
