"""CreateImage, ImportImage, the quota and the name rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from imagecatalog import (
    Account,
    AccountNotFoundError,
    Architecture,
    DuplicateImageNameError,
    ErrorCode,
    Image,
    ImageOrigin,
    ImageService,
    ImageState,
    Instance,
    InstanceNotFoundError,
    InvalidParameterError,
    LicenceType,
    Limits,
    OsType,
    Quota,
    QuotaExceededError,
    Region,
)
from tests.support import ALICE, BOB, STRANGER, new_service, public_image, refuses

COS = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com"


def import_args(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "name": "legacy-erp",
        "image_url": f"{COS}/erp.qcow2",
        "platform": "CentOS",
        "os_version": "7",
        "architecture": "x86_64",
    }
    arguments.update(overrides)
    return arguments


# CreateImage ---------------------------------------------------------------------


def test_create_image_copies_the_instance(
    service: ImageService, launch: Callable[..., Instance]
) -> None:
    windows = public_image(service, "ap-singapore", "Windows")
    instance = service.launch_instance(ALICE, windows.id)
    image = service.create_image(ALICE, instance.id, name="sql-box", description="SQL 2022")
    assert (image.owner is not None and image.owner.id) == ALICE
    assert image.region == instance.region == windows.region
    assert (image.os_type, image.platform, image.os_name, image.architecture, image.size_gb) == (
        OsType.WINDOWS,
        "Windows",
        windows.os_name,
        Architecture.X86_64,
        50,
    )
    assert (image.origin, image.state) == (ImageOrigin.CREATE_IMAGE, ImageState.NORMAL)
    assert image.description == "SQL 2022" and image.software == () and image.support is None
    assert service.get_image(ALICE, image.id) == image


def test_create_image_needs_an_instance_the_caller_owns(
    service: ImageService, launch: Callable[..., Instance]
) -> None:
    bobs = launch(BOB)
    refuses(
        service,
        InstanceNotFoundError,
        ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND,
        lambda: service.create_image(ALICE, bobs.id, name="stolen"),
    )
    refuses(
        service,
        InstanceNotFoundError,
        ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND,
        lambda: service.create_image(ALICE, "ins-00000000", name="ghost"),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_INSTANCE_ID_MALFORMED,
        lambda: service.create_image(ALICE, "ins-1122", name="ghost"),
    )
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.create_image(STRANGER, bobs.id, name="ghost"),
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", ErrorCode.INVALID_PARAMETER_VALUE),
        ("   ", ErrorCode.INVALID_PARAMETER_VALUE),
        ("x" * 61, ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE),
        ("tab\there", ErrorCode.INVALID_PARAMETER_VALUE),
        (42, ErrorCode.INVALID_PARAMETER),
    ],
)
def test_bad_names_are_refused(
    service: ImageService, launch: Callable[..., Instance], name: object, code: ErrorCode
) -> None:
    instance = launch()
    refuses(
        service,
        InvalidParameterError,
        code,
        lambda: service.create_image(ALICE, instance.id, name=name),  # type: ignore[arg-type]
    )


def test_name_of_sixty_characters_and_description_of_256_are_accepted(
    service: ImageService, launch: Callable[..., Instance]
) -> None:
    instance = launch()
    image = service.create_image(ALICE, instance.id, name="n" * 60, description="d" * 256)
    assert (len(image.name), len(image.description)) == (60, 256)
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE,
        lambda: service.create_image(ALICE, instance.id, name="m", description="d" * 257),
    )


def test_names_are_unique_per_account_and_region(
    service: ImageService, make_image: Callable[..., Image], launch: Callable[..., Instance]
) -> None:
    first = make_image(ALICE, "ap-guangzhou", "web-golden")
    instance = launch()
    error = refuses(
        service,
        DuplicateImageNameError,
        ErrorCode.INVALID_IMAGE_NAME_DUPLICATE,
        lambda: service.create_image(ALICE, instance.id, name="web-golden"),
    )
    assert (error.name, error.account, error.region, error.existing_image_id) == (
        "web-golden",
        Account.of(ALICE),
        Region.of("ap-guangzhou"),
        first.id,
    )
    # Another account, or another region, may use the same name.
    assert make_image(BOB, "ap-guangzhou", "web-golden").name == "web-golden"
    assert make_image(ALICE, "ap-singapore", "web-golden").name == "web-golden"


def test_quota_counts_custom_images_per_account_and_region(
    service: ImageService, make_image: Callable[..., Image], launch: Callable[..., Instance]
) -> None:
    for _ in range(10):
        make_image(ALICE, "ap-guangzhou")
    assert service.image_quota(ALICE, "ap-guangzhou") == Quota(used=10, limit=10)
    instance = launch()
    error = refuses(
        service,
        QuotaExceededError,
        ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED,
        lambda: service.create_image(ALICE, instance.id, name="eleventh"),
    )
    assert (error.account, error.region, error.limit, error.used) == (
        Account.of(ALICE),
        Region.of("ap-guangzhou"),
        10,
        10,
    )
    assert str(error) == (
        "account 100000000001 already has 10 of 10 custom images in ap-guangzhou; "
        "delete one or ask for a higher limit"
    )
    # The quota is per region and per account.
    assert make_image(ALICE, "ap-singapore").region.id == "ap-singapore"
    assert make_image(BOB, "ap-guangzhou").owner is not None
    assert service.image_quota(ALICE, "ap-singapore") == Quota(used=1, limit=10)


def test_quota_override_raises_one_account_only() -> None:
    service = new_service(limits=Limits().with_quota(ALICE, 12))
    assert service.image_quota(ALICE, "ap-guangzhou").limit == 12
    assert service.image_quota(BOB, "ap-guangzhou").limit == 10


def test_quota_profiles() -> None:
    assert (Limits().custom_images_per_region, Limits().accounts_per_shared_image) == (10, 50)
    assert (
        Limits.provider_2023().custom_images_per_region,
        Limits.provider_2023().accounts_per_shared_image,
    ) == (50, 50)
    assert (
        Limits.provider_2024().custom_images_per_region,
        Limits.provider_2024().accounts_per_shared_image,
    ) == (500, 500)
    service = new_service(limits=Limits.provider_2024())
    assert service.image_quota(ALICE, "ap-tokyo") == Quota(used=0, limit=500)
    assert Quota(used=3, limit=10).available == 7 and Quota(used=12, limit=10).available == 0


def test_quota_of_unknown_caller_or_region(service: ImageService) -> None:
    refuses(
        service,
        AccountNotFoundError,
        ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
        lambda: service.image_quota(STRANGER, "ap-guangzhou"),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_REGION_NOT_FOUND,
        lambda: service.image_quota(ALICE, "eu-moscow"),
    )


# ImportImage ---------------------------------------------------------------------


def test_import_image(service: ImageService) -> None:
    image = service.import_image(ALICE, "ap-guangzhou", **import_args(description="ERP 2009"))
    assert (image.origin, image.state, image.os_type, image.platform) == (
        ImageOrigin.EXTERNAL_IMPORT,
        ImageState.NORMAL,
        OsType.LINUX,
        "CentOS",
    )
    assert image.os_name == "CentOS 7 64bit"
    assert image.licence_type is LicenceType.TENCENT_CLOUD
    assert service.image_quota(ALICE, "ap-guangzhou").used == 1


def test_import_windows_arm_and_byol(service: ImageService) -> None:
    windows = service.import_image(
        ALICE,
        "ap-guangzhou",
        **import_args(
            platform="Windows Server 2016",
            os_version="DataCenter",
            licence_type="BYOL",
            image_url=f"{COS}/w.vhd",
        ),
    )
    assert (windows.os_type, windows.platform, windows.licence_type) == (
        OsType.WINDOWS,
        "Windows",
        LicenceType.BYOL,
    )
    arm = service.import_image(
        ALICE, "ap-guangzhou", **import_args(name="arm", architecture="arm_64")
    )
    assert arm.architecture is Architecture.ARM64 and arm.architecture.bits == 64
    iso = service.import_image(
        ALICE,
        "ap-guangzhou",
        **import_args(name="iso", image_url=f"{COS}/install.ISO", force=True),
    )
    assert iso.state is ImageState.NORMAL


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"image_url": f"{COS}/install.iso"}, ErrorCode.ISO_MUST_IMPORT_BY_FORCE),
        ({"image_url": "ftp://example.com/erp.qcow2"}, ErrorCode.INVALID_PARAMETER_URL_ERROR),
        ({"image_url": "https://example.com/erp.qcow2"}, ErrorCode.INVALID_PARAMETER_URL_ERROR),
        ({"image_url": f"{COS}/erp.zip"}, ErrorCode.INVALID_PARAMETER_URL_ERROR),
        ({"image_url": f"{COS}/noextension"}, ErrorCode.INVALID_PARAMETER_URL_ERROR),
        ({"platform": "Plan 9"}, ErrorCode.INVALID_IMAGE_OS_TYPE_UNSUPPORTED),
        ({"os_version": ""}, ErrorCode.INVALID_IMAGE_OS_VERSION_UNSUPPORTED),
        ({"os_version": "7;rm -rf"}, ErrorCode.INVALID_IMAGE_OS_VERSION_UNSUPPORTED),
        ({"architecture": "mips"}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"licence_type": "GPL"}, ErrorCode.INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE),
        ({"force": "yes"}, ErrorCode.INVALID_PARAMETER),
        ({"size_gb": 0}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"name": "x" * 61}, ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE),
        ({"description": "x" * 257}, ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE),
    ],
)
def test_import_refuses_bad_input(
    service: ImageService, overrides: dict[str, Any], code: ErrorCode
) -> None:
    refuses(
        service,
        InvalidParameterError,
        code,
        lambda: service.import_image(ALICE, "ap-guangzhou", **import_args(**overrides)),
    )


def test_import_counts_against_quota_and_names(service: ImageService) -> None:
    service.import_image(ALICE, "ap-guangzhou", **import_args())
    refuses(
        service,
        DuplicateImageNameError,
        ErrorCode.INVALID_IMAGE_NAME_DUPLICATE,
        lambda: service.import_image(ALICE, "ap-guangzhou", **import_args()),
    )
    for number in range(9):
        service.import_image(ALICE, "ap-guangzhou", **import_args(name=f"erp-{number}"))
    refuses(
        service,
        QuotaExceededError,
        ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED,
        lambda: service.import_image(ALICE, "ap-guangzhou", **import_args(name="erp-10")),
    )
    refuses(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_REGION_NOT_FOUND,
        lambda: service.import_image(ALICE, "mars-1", **import_args(name="erp-11")),
    )
