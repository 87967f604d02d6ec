"""The image's boot mode, end to end: the field added to prove the layers' seams.

From the value (``Image.boot_mode``) through the service (ImportImage's
``BootMode``, inherited by instances, their images and copies), the CVM action
layer and the official SDK, to storage (snapshot version 2, SQL schema 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.cvm.v20170312 import cvm_client, models

from imagecatalog import (
    Architecture,
    BootMode,
    ErrorCode,
    ImageKind,
    ImageService,
    InvalidParameterError,
)
from imagecatalog.public_catalog import builtin_public_images
from imagecatalog.snapshot import dump, restore
from imagecatalog.sql import SqlImageRepository
from imagecatalog.tencentcloud import mock_cvm
from imagecatalog.testing import CatalogBuilder

ALICE = "100000000001"
URL = "https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/uefi-app.qcow2"


def uefi_catalog(service: ImageService | None = None) -> ImageService:
    """Alice imports a UEFI image, launches it, makes an image of the instance and
    copies that to Tokyo."""
    builder = CatalogBuilder(store=None if service is None else service.store)
    service = builder.accounts(ALICE).build()
    imported = service.import_image(
        ALICE,
        "ap-guangzhou",
        name="uefi-app",
        image_url=URL,
        platform="Ubuntu",
        os_version="22.04",
        architecture="x86_64",
        boot_mode="UEFI",
    )
    instance = service.launch_instance(ALICE, imported)
    made = service.create_image(ALICE, instance, name="uefi-app-golden")
    service.copy_image(ALICE, made, ["ap-tokyo"])
    return service


def test_an_import_keeps_its_boot_mode_and_passes_it_on() -> None:
    """Instances boot as their image, images made from them boot as the instance,
    and copies as their source."""
    service = uefi_catalog()
    images = service.contents().images
    assert {image.name: image.boot_mode for image in images} == {
        "uefi-app": BootMode.UEFI,
        "uefi-app-golden": BootMode.UEFI,
    } | {image.name: BootMode.UEFI for image in images if image.region.id == "ap-tokyo"}
    (instance,) = service.describe_instances(ALICE)
    assert instance.boot_mode is BootMode.UEFI


def test_the_default_is_legacy_bios_and_names_are_read_in_any_case() -> None:
    """ImportImage's BootMode defaults to Legacy BIOS; the member names work too."""
    service = CatalogBuilder().accounts(ALICE).build()
    common: dict[str, Any] = {
        "image_url": URL,
        "platform": "Ubuntu",
        "os_version": "22.04",
        "architecture": "x86_64",
    }
    assert service.import_image(ALICE, "ap-guangzhou", name="a", **common).boot_mode is (
        BootMode.LEGACY_BIOS
    )
    assert service.import_image(
        ALICE, "ap-guangzhou", name="b", boot_mode="legacy_bios", **common
    ).boot_mode is (BootMode.LEGACY_BIOS)
    with pytest.raises(InvalidParameterError) as raised:
        service.import_image(ALICE, "ap-guangzhou", name="c", boot_mode="Coreboot", **common)
    assert raised.value.code == ErrorCode.INVALID_BOOT_MODE
    assert "Legacy BIOS, UEFI" in raised.value.message


def test_builtin_arm_images_boot_with_uefi() -> None:
    """The provider's ARM public images boot UEFI; x86 ones Legacy BIOS."""
    for image in builtin_public_images():
        expected = (
            BootMode.UEFI if image.architecture is Architecture.ARM64 else BootMode.LEGACY_BIOS
        )
        assert image.boot_mode is expected


def test_the_sdk_imports_with_a_boot_mode() -> None:
    """ImportImageRequest.BootMode, per the official SDK's model docstring (启动模式,
    取值范围 `Legacy BIOS` 或 `UEFI`, 默认值 Legacy BIOS); any other value is refused with
    InvalidParameterValue.InvalidBootMode (ImportImage's error list)."""
    with mock_cvm(public_catalog=False) as cvm:
        client = cvm_client.CvmClient(credential.Credential("id", "key"), "ap-guangzhou")
        request = models.ImportImageRequest()
        request.ImageName, request.ImageUrl, request.BootMode = "uefi-app", URL, "UEFI"
        request.OsType, request.OsVersion, request.Architecture = "Ubuntu", "16", "x86_64"
        made = client.ImportImage(request)
        assert cvm.service.get_image(cvm.account, made.ImageId).boot_mode is BootMode.UEFI
        request.ImageName, request.BootMode = "bios-app", "BIOS"
        with pytest.raises(Exception, match="InvalidBootMode"):
            client.ImportImage(request)


def test_a_snapshot_keeps_the_boot_mode() -> None:
    service = uefi_catalog()
    data = dump(service)
    assert data["version"] == 2
    assert {image["boot_mode"] for image in data["images"]} == {"UEFI"}
    assert {instance["boot_mode"] for instance in data["instances"]} == {"UEFI"}
    assert restore(data).contents() == service.contents()


def test_the_sql_store_keeps_the_boot_mode(tmp_path: Path) -> None:
    with SqlImageRepository(f"sqlite:///{tmp_path / 'catalog.db'}") as store:
        service = uefi_catalog(ImageService(store))
        again = ImageService(store)
        assert again.contents() == service.contents()
        page = again.describe_images(ALICE, "ap-tokyo", kinds=[ImageKind.CUSTOM])
        assert [image.boot_mode for image in page] == [BootMode.UEFI]
