"""The built-in public image catalog, and what things cost."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from imagecatalog import (
    Architecture,
    ImageService,
    InvalidParameterError,
    LicenceType,
    OsType,
    Region,
    Support,
)
from imagecatalog.pricing import (
    ChargeItem,
    is_free,
    launch_charges,
    storage_charges,
)
from imagecatalog.public_catalog import builtin_public_images, public_image_id
from imagecatalog.snapshot import dump, restore
from imagecatalog.testing import CatalogBuilder, catalog_state

ALICE = "100000000001"
PLATFORMS = {
    "TencentOS", "CentOS", "Ubuntu", "Debian", "Rocky Linux", "AlmaLinux", "OpenCloudOS",
    "Windows",
}  # fmt: skip


def test_every_region_has_every_platform_in_several_versions() -> None:
    by_region: dict[Region, list[str]] = defaultdict(list)
    for image in builtin_public_images():
        by_region[image.region].append(image.platform)
    assert set(by_region) == set(Region.all())
    for platforms in by_region.values():
        assert set(platforms) == PLATFORMS
        for platform in ("TencentOS", "CentOS", "Ubuntu", "Debian", "OpenCloudOS", "Windows"):
            assert platforms.count(platform) >= 2, platform


def test_architectures_x86_everywhere_arm_where_offered() -> None:
    images = builtin_public_images()
    arm_regions = {i.region for i in images if i.architecture is Architecture.ARM64}
    assert Region.of("ap-guangzhou") in arm_regions and Region.of("sa-saopaulo") not in arm_regions
    for region in Region.all():
        assert any(i.architecture is Architecture.X86_64 for i in images if i.region == region)
    for image in images:
        if image.os_type is OsType.WINDOWS:
            assert image.architecture is Architecture.X86_64


def test_bundled_software_and_support() -> None:
    software = {item for image in builtin_public_images() for item in image.software}
    for product in ("Java", "MySQL", "SQL Server", "Python", "Ruby", "Tomcat"):
        versions = {item for item in software if item.startswith(product)}
        assert len(versions) >= 2, product
    for image in builtin_public_images():
        expected = Support.PROVIDER if image.platform == "TencentOS" else Support.COMMUNITY
        assert image.support is expected
        assert image.size_gb == (50 if image.os_type is OsType.WINDOWS else 20)


def test_image_ids_are_stable_and_unique() -> None:
    images = builtin_public_images()
    assert len({image.id for image in images}) == len(images)
    assert all(re.fullmatch(r"img-[a-z0-9]{8}", image.id) for image in images)
    # Pinned: the same ID in every run and release.
    assert (
        public_image_id(Region.of("ap-guangzhou"), "TencentOS Server 4 64bit", Architecture.X86_64)
        == "img-my7x4tbv"
    )
    ids = {image.id for image in ImageService(public_catalog=True).contents().images}
    assert ids == {image.id for image in images}


def test_add_public_images_is_all_or_nothing() -> None:
    service = ImageService()
    first, second = builtin_public_images()[:2]
    service.provider.add_public_images([first])
    with pytest.raises(InvalidParameterError, match="already taken"):
        service.provider.add_public_images([second, first])
    assert service.store.get_image(second.id) is None
    custom = CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web").image("web")
    with pytest.raises(InvalidParameterError, match="not a public image"):
        service.provider.add_public_images([custom])
    with pytest.raises(InvalidParameterError):
        service.provider.add_public_images([])


# Pricing -------------------------------------------------------------------------------


def test_public_linux_images_are_free_everywhere() -> None:
    for image in builtin_public_images():
        if image.os_type is OsType.LINUX:
            assert is_free(image)


def test_windows_licence_fee_outside_mainland_china_only() -> None:
    for image in builtin_public_images():
        if image.os_type is OsType.WINDOWS:
            charges = launch_charges(image)
            if image.region.mainland_china:
                assert charges == ()
            else:
                assert [(c.item, c.quantity, c.region) for c in charges] == [
                    (ChargeItem.WINDOWS_LICENCE, 1, image.region)
                ]
    assert [r.id for r in Region.all() if r.windows_licence_fee] == [
        r.id for r in Region.all() if not r.mainland_china
    ]


def test_the_licence_fee_regions_can_be_replaced() -> None:
    windows = next(
        i for i in builtin_public_images()
        if i.platform == "Windows" and i.region.id == "ap-singapore"
    )  # fmt: skip
    assert launch_charges(windows, licence_fee_regions=["ap-tokyo"]) == ()
    assert launch_charges(windows, licence_fee_regions=["ap-singapore"]) != ()


def test_custom_images_cost_snapshot_storage_and_copies_are_free() -> None:
    builder = (
        CatalogBuilder().custom_image(ALICE, "ap-singapore", "sql-box", platform="Windows")
        .imported_image(ALICE, "ap-singapore", "own-licence", platform="Windows Server 2016",
                        os_version="2016", licence_type=LicenceType.BYOL)
    )  # fmt: skip
    box = builder.image("sql-box")
    assert [(c.item, c.quantity, c.unit) for c in storage_charges(box)] == [
        (ChargeItem.SNAPSHOT_STORAGE, 50, "GiB")
    ]
    (copy,) = (
        builder.copied(ALICE, "sql-box", "ap-singapore", "ap-tokyo")
        .build()
        .copy_image(ALICE, box, ["eu-frankfurt"])
    )  # copying is free: the copy is then stored like any custom image
    assert [(c.item, c.region.id) for c in storage_charges(copy)] == [
        (ChargeItem.SNAPSHOT_STORAGE, "eu-frankfurt")
    ]
    # The provider's Windows licence follows the image; a BYOL one carries none.
    assert [c.item for c in launch_charges(box)] == [ChargeItem.WINDOWS_LICENCE]
    assert launch_charges(builder.image("own-licence")) == ()
    assert not is_free(box)


def test_launching_exposes_the_charges_and_snapshots_keep_them() -> None:
    service = ImageService(public_catalog=True)
    service.register_account(ALICE)
    windows = service.describe_images(ALICE, "eu-frankfurt", platform="Windows").items[0]
    ubuntu = service.describe_images(ALICE, "eu-frankfurt", platform="Ubuntu").items[0]
    instance = service.launch_instance(ALICE, windows.id)
    assert [c.item for c in instance.charges] == [ChargeItem.WINDOWS_LICENCE]
    assert service.launch_instance(ALICE, ubuntu.id).charges == ()
    restored = restore(dump(service))
    assert catalog_state(restored) == catalog_state(service)
    assert restored.get_instance(ALICE, instance.id).charges == instance.charges
