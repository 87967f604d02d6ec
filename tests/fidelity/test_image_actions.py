"""CreateImage, ImportImage, SyncImages, ModifyImageSharePermission and
DescribeImages parameters, as the SDK's docstrings and real clients use them."""

from __future__ import annotations

import pytest

from imagecatalog.tencentcloud import MockCvm
from tests.sdk import BOB, URL, call, golden, refused


def instance_of(cvm: MockCvm) -> str:
    golden("web-base")
    return cvm.service.describe_instances(cvm.account).items[0].id


# CreateImage ------------------------------------------------------------------------


def test_force_poweroff_and_sysprep_as_packer_and_terraform_send_them(cvm: MockCvm) -> None:
    """CreateImageRequest types both as strings ("取值范围：true或false"); packer's
    step_create_image.go sends "True"/"False", terraform's extension_images.go
    "true"/"false". Accepted in any case; the fake's instances have no power
    state, so they change nothing else (docs/fidelity.md)."""
    instance = instance_of(cvm)
    call("CreateImage", InstanceId=instance, ImageName="a", ForcePoweroff="True", Sysprep="False")
    call("CreateImage", InstanceId=instance, ImageName="b", ForcePoweroff="true", Sysprep="false")
    refused(
        "InvalidParameterValue",
        lambda: call("CreateImage", InstanceId=instance, ImageName="c", ForcePoweroff="yes"),
    )


def test_instance_or_snapshots(cvm: MockCvm) -> None:
    """ "InstanceId 和 SnapshotIds 为二选一必填参数": neither is
    InvalidParameter.SpecifyOneParameter ("多选一必选参数缺失"), both
    InvalidParameterConflict ("指定的两个参数冲突，不能同时存在"); images from
    snapshots are not modelled (UnsupportedOperation, ours: the fake keeps no
    snapshots)."""
    instance = instance_of(cvm)
    refused("InvalidParameter.SpecifyOneParameter", lambda: call("CreateImage", ImageName="a"))
    refused(
        "InvalidParameterConflict",
        lambda: call(
            "CreateImage", InstanceId=instance, SnapshotIds=["snap-12345678"], ImageName="a"
        ),
    )
    refused(
        "UnsupportedOperation",
        lambda: call("CreateImage", SnapshotIds=["snap-12345678"], ImageName="a"),
    )


def test_data_disks(cvm: MockCvm) -> None:
    """DataDiskIds "只能在指定 InstanceId 实例所包含的数据盘范围内指定": the fake's
    instances have a system disk only, so every data disk is
    InvalidParameter.DataDiskNotBelongSpecifiedInstance; without an InstanceId
    InvalidParameter.InvalidDependence ("参数依赖不正确"); an empty list is none."""
    instance = instance_of(cvm)
    before = cvm.service.contents()
    refused(
        "InvalidParameter.DataDiskNotBelongSpecifiedInstance",
        lambda: call(
            "CreateImage", InstanceId=instance, ImageName="a", DataDiskIds=["disk-12345678"]
        ),
    )
    refused(
        "InvalidParameter.InvalidDependence",
        lambda: call("CreateImage", ImageName="a", DataDiskIds=["disk-12345678"]),
    )
    assert cvm.service.contents() == before
    call("CreateImage", InstanceId=instance, ImageName="a", DataDiskIds=[])


# ImportImage ------------------------------------------------------------------------


def test_describe_import_image_os_answers_the_official_list(cvm: MockCvm) -> None:
    """The official DescribeImportImageOs example's lists, with arm_64 on the Linux
    systems (ImportImage's Architecture: "取值范围包括：x86_64、i386、arm_64")."""
    answer = call("DescribeImportImageOs")
    supported = answer.ImportImageOsListSupported
    assert supported.Linux[:3] == ["CentOS", "Ubuntu", "Debian"]
    assert supported.Windows == [
        "Windows Server 2008",
        "Windows Server 2012",
        "Windows Server 2016",
    ]
    versions = {entry.OsName: entry for entry in answer.ImportImageOsVersionSet}
    assert versions["CentOS"].OsVersions == ["5", "6", "7"]
    assert versions["Ubuntu"].Architecture == ["x86_64", "i386", "arm_64"]
    assert versions["Windows Server 2016"].Architecture == ["x86_64", "i386"]


def test_import_takes_exactly_what_describe_import_image_os_lists(cvm: MockCvm) -> None:
    """Each listed combination imports; any other is refused with ImportImage's
    codes InvalidImageOsType.Unsupported, InvalidImageOsVersion.Unsupported, or
    InvalidParameterValue for an architecture."""
    for number, entry in enumerate(call("DescribeImportImageOs").ImportImageOsVersionSet):
        call(
            "ImportImage",
            ImageName=f"import-{number}",
            ImageUrl=URL,
            OsType=entry.OsName,
            OsVersion=entry.OsVersions[-1],
            Architecture=entry.Architecture[-1],
        )

    def attempt(os_type: str, version: str, architecture: str) -> object:
        return call(
            "ImportImage",
            ImageName="bad",
            ImageUrl=URL,
            OsType=os_type,
            OsVersion=version,
            Architecture=architecture,
        )

    refused("InvalidImageOsType.Unsupported", lambda: attempt("OS/2", "4", "x86_64"))
    refused("InvalidImageOsVersion.Unsupported", lambda: attempt("CentOS", "8", "x86_64"))
    refused("InvalidParameterValue", lambda: attempt("Windows Server 2016", "9", "arm_64"))
    refused("InvalidParameterValue", lambda: attempt("CentOS", "7", "arm"))


def test_arm_64_reads_back_as_arm_and_img_files_are_raw(cvm: MockCvm) -> None:
    """ImportImage's "arm_64" is the Image object's "arm"; a .img file is a raw
    disk image (the docs list formats, not extensions)."""
    made = call(
        "ImportImage",
        ImageName="arm",
        ImageUrl=URL.replace("qcow2", "img"),
        OsType="Ubuntu",
        OsVersion="16",
        Architecture="arm_64",
    )
    [image] = call("DescribeImages", ImageIds=[made.ImageId]).ImageSet
    assert image.Architecture == "arm"


def test_boot_modes(cvm: MockCvm) -> None:
    """BootMode: "Legacy BIOS" (the default) or "UEFI", else
    InvalidParameterValue.InvalidBootMode (ImportImage's list)."""
    refused(
        "InvalidParameterValue.InvalidBootMode",
        lambda: call(
            "ImportImage",
            ImageName="x",
            ImageUrl=URL,
            OsType="CentOS",
            OsVersion="7",
            Architecture="x86_64",
            BootMode="uefi",
        ),
    )


def test_import_with_data_disks_is_not_modelled(cvm: MockCvm) -> None:
    refused(
        "UnsupportedOperation",
        lambda: call(
            "ImportImage",
            ImageName="x",
            ImageUrl=URL,
            OsType="CentOS",
            OsVersion="7",
            Architecture="x86_64",
            ImportImageDataDiskList=[{"ImageUrl": URL}],
        ),
    )


# SyncImages -------------------------------------------------------------------------


def test_an_encrypted_copy_goes_into_the_source_region(cvm: MockCvm) -> None:
    """Encrypt: "复制加密自定义镜像仅支持同地域，即 DestinationRegions 仅支持填写指定
    镜像所在地域"; KmsKeyId "仅当复制加密镜像时，即 Encrypt 为 true 时，此参数有效".
    An encrypted image is neither shared nor copied again
    (UnsupportedOperation.EncryptedImagesNotSupported, "不支持加密镜像", in both
    actions' lists)."""
    image_id = golden()
    refused(
        "InvalidParameterValue.InvalidRegion",
        lambda: call(
            "SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"], Encrypt=True
        ),
    )
    copied = call(
        "SyncImages",
        ImageIds=[image_id],
        DestinationRegions=["ap-guangzhou"],
        Encrypt=True,
        KmsKeyId="kms-key-1",
        ImageName="web-encrypted",
        ImageSetRequired=True,
    )
    [copy] = copied.ImageSet
    stored = cvm.service.get_image(cvm.account, copy.ImageId)
    assert (stored.encrypted, stored.kms_key_id, stored.region.id) == (
        True,
        "kms-key-1",
        "ap-guangzhou",
    )
    refused(
        "UnsupportedOperation.EncryptedImagesNotSupported",
        lambda: call(
            "ModifyImageSharePermission", ImageId=copy.ImageId, AccountIds=[BOB], Permission="SHARE"
        ),
    )
    refused(
        "UnsupportedOperation.EncryptedImagesNotSupported",
        lambda: call("SyncImages", ImageIds=[copy.ImageId], DestinationRegions=["ap-tokyo"]),
    )
    # without Encrypt, a KmsKeyId is ignored ("此参数有效" only with Encrypt)
    [plain] = call(
        "SyncImages",
        ImageIds=[image_id],
        DestinationRegions=["ap-tokyo"],
        KmsKeyId="kms-key-1",
        ImageSetRequired=True,
    ).ImageSet
    assert not cvm.service.get_image(cvm.account, plain.ImageId).encrypted


def test_sync_images_answers_codes_of_its_own_list(cvm: MockCvm) -> None:
    """SyncImages' error list (tencentcloud-sdk-go client.go) has
    UnsupportedOperation.SyncEncryptImageNotSupport ("指定的镜像不支持转为加密自定义镜像")
    for an encrypted copy a receiver cannot make, InvalidParameter.InvalidKmsKeyId
    ("指定的 KMS 密钥 ID 非法") for a bad key, and no code for a name too long (the
    common InvalidParameterValue)."""
    image_id = golden()
    cvm.service.share_image(cvm.account, image_id, [BOB])
    refused(
        "UnsupportedOperation.SyncEncryptImageNotSupport",
        lambda: call(
            "SyncImages",
            secret_id="AKIDbob",
            ImageIds=[image_id],
            DestinationRegions=["ap-guangzhou"],
            Encrypt=True,
        ),
    )
    refused(
        "InvalidParameter.InvalidKmsKeyId",
        lambda: call(
            "SyncImages",
            ImageIds=[image_id],
            DestinationRegions=["ap-guangzhou"],
            Encrypt=True,
            KmsKeyId="k" * 200,
        ),
    )
    refused(
        "InvalidParameterValue",
        lambda: call(
            "SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"], ImageName="x" * 61
        ),
    )
    mine = cvm.service.describe_images(cvm.account, "ap-guangzhou", kinds=["PRIVATE_IMAGE"])
    assert [image.id for image in mine] == [image_id]  # nothing was copied


# ModifyImageSharePermission ---------------------------------------------------------


def test_cancel_passes_over_accounts_without_a_share(cvm: MockCvm) -> None:
    """No documented code covers cancelling a share that does not exist (the
    action's 20 codes, client.go). Packer's stepShareImage.Cleanup cancels its
    whole configured list, even after a failed share, and its following
    DeleteImages fails with InvalidImageId.InShared if that CANCEL is refused;
    terraform's share-permission delete cancels the live list, empty or not.
    So CANCEL passes over accounts without a share."""
    image_id = golden()
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE")
    call(
        "ModifyImageSharePermission",
        ImageId=image_id,
        AccountIds=[BOB, "100000000042"],
        Permission="CANCEL",
    )
    assert call("DescribeImageSharePermission", ImageId=image_id).SharePermissionSet == []
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[], Permission="CANCEL")
    call("ModifyImageSharePermission", ImageId=image_id, Permission="CANCEL")
    call("DeleteImages", ImageIds=[image_id])
    refused(
        "MissingParameter",
        lambda: call("ModifyImageSharePermission", ImageId=image_id, Permission="SHARE"),
    )


# DescribeImages ---------------------------------------------------------------------


@pytest.mark.parametrize("instance_type", ["SA5.MEDIUM2", "S5.MEDIUM4", "GN7.2XLARGE32"])
def test_instance_type_is_checked_and_fits_every_image(cvm: MockCvm, instance_type: str) -> None:
    """InstanceType ("实例类型，如 SA5.MEDIUM2"): packer sends it with ImageIds;
    every image here fits every instance type, so it filters nothing, and a
    malformed one is InvalidInstanceType.Malformed (DescribeImages' list)."""
    image_id = golden()
    found = call("DescribeImages", ImageIds=[image_id], InstanceType=instance_type)
    assert [image.ImageId for image in found.ImageSet] == [image_id]
    refused(
        "InvalidInstanceType.Malformed",
        lambda: call("DescribeImages", InstanceType=instance_type.lower()),
    )
