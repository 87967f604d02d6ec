"""Every error code imagecatalog declares is raised, for real, through a public entry point.

One table, :data:`SCENARIOS`, maps each member of :class:`~imagecatalog.ErrorCode`
to the error class that carries it and to a scenario: a function that arranges a
fresh catalog and returns the call that must be refused.  The first test makes
each call and checks the code and the class (and, when there is a catalog, that
the refused call left it exactly as it was); the second fails as soon as a code
is added to the enum without a scenario here.

A code with no scenario, or one nothing raises, fails the suite: declare a code
in the same change that raises it.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from imagecatalog import (
    AccountAlreadyExistsError,
    AccountNotFoundError,
    DuplicateImageNameError,
    ErrorCode,
    Image,
    ImageCatalogError,
    ImageKind,
    ImageNotFoundError,
    ImageService,
    InMemoryImageRepository,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
    Limits,
    PermissionDeniedError,
    QuotaExceededError,
    ShareLimitExceededError,
    SharingError,
    SnapshotError,
    StoreError,
    StoreUnavailableError,
    UnsupportedOperationError,
    UntrustedImageError,
)
from imagecatalog.cvm import CvmActions
from imagecatalog.query import ImageGroup, ImageQuery
from imagecatalog.snapshot import restore
from imagecatalog.sql import SqlImageRepository
from imagecatalog.testing import CatalogBuilder, expect_refusal

ALICE = "100000000001"
BOB = "100000000002"
CAROL = "100000000003"
STRANGER = "100000000099"  # well formed, never registered

GUANGZHOU = "ap-guangzhou"
SINGAPORE = "ap-singapore"

WEB = "web-golden-2026-11"  # Alice's, shared with Bob
DB = "db-primary-2026-11"  # Alice's, shared with nobody
UBUNTU = "Ubuntu Server 22.04 LTS 64bit"  # the public image both were made from

#: What a scenario returns: the service whose catalog the refused call must leave
#: unchanged (None when the entry point is not a service's), and the call.
Attempt = tuple[ImageService | None, Callable[[], object]]


@dataclass(frozen=True)
class Scenario:
    """How one error code arises: the class that carries it, and *arrange*, which
    builds a fresh catalog and returns the call that must raise it.
    """

    error: type[ImageCatalogError]
    arrange: Callable[[], Attempt]


#: The table: every error code, and how to make imagecatalog raise it.
SCENARIOS: dict[ErrorCode, Scenario] = {}


def raises(
    code: ErrorCode, error: type[ImageCatalogError]
) -> Callable[[Callable[[], Attempt]], Callable[[], Attempt]]:
    """Enter the decorated scenario in :data:`SCENARIOS` as the way to raise *code*."""

    def register(arrange: Callable[[], Attempt]) -> Callable[[], Attempt]:
        if code in SCENARIOS:
            raise ValueError(f"two scenarios raise {code.name}; keep one")
        SCENARIOS[code] = Scenario(error, arrange)
        return arrange

    return register


def alices_catalog(*, limits: Limits | None = None, instant: bool = True) -> CatalogBuilder:
    """Alice, Bob and Carol; in ap-guangzhou, Alice's WEB image shared with Bob
    and her DB image shared with nobody, both made from the public Ubuntu image."""
    return (
        CatalogBuilder(limits=limits, instant=instant)
        .accounts(ALICE, BOB, CAROL)
        .custom_image(ALICE, GUANGZHOU, WEB, shared_with=[BOB])
        .custom_image(ALICE, GUANGZHOU, DB)
    )


def alice_imports(service: ImageService, **changes: Any) -> Callable[[], object]:
    """Alice imports a CentOS 7 image file into ap-guangzhou, the request changed by *changes*."""
    request: dict[str, Any] = {
        "name": "centos-7-base-2026-11",
        "image_url": "https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/centos-7-base.qcow2",
        "platform": "CentOS",
        "os_version": "7",
        "architecture": "x86_64",
    }
    request.update(changes)
    return lambda: service.import_image(ALICE, GUANGZHOU, **request)


def cvm_request(service: ImageService, action: str, params: dict[str, Any]) -> Callable[[], object]:
    """Alice sends the CVM API request *action* with *params* in ap-guangzhou."""
    return lambda: CvmActions(service).handle(action, params, caller=ALICE, region=GUANGZHOU)


# Identifiers and parameters ---------------------------------------------------------------


@raises(ErrorCode.INVALID_IMAGE_ID_MALFORMED, InvalidParameterError)
def an_aws_image_id() -> Attempt:
    """Image IDs are 'img-' and 8 lowercase letters or digits, not AMI IDs."""
    service = alices_catalog().build()
    return service, lambda: service.get_image(ALICE, "ami-0abcdef1234567890")


@raises(ErrorCode.INVALID_INSTANCE_ID_MALFORMED, InvalidParameterError)
def an_aws_instance_id() -> Attempt:
    """Instance IDs are 'ins-' and 8 lowercase letters or digits."""
    service = alices_catalog().build()
    return service, lambda: service.create_image(ALICE, "i-0abcdef1234567890", name=WEB)


@raises(ErrorCode.INVALID_ACCOUNT_ID_MALFORMED, InvalidParameterError)
def sharing_with_an_email_address() -> Attempt:
    """Accounts are named by their numeric root account ID."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.share_image(ALICE, db, ["bob@example.com"])


@raises(ErrorCode.INVALID_ACCOUNT_ID_DUPLICATE, AccountAlreadyExistsError)
def registering_alice_twice() -> Attempt:
    """An account is registered once (unless exist_ok=True)."""
    service = alices_catalog().build()
    return service, lambda: service.register_account(ALICE)


@raises(ErrorCode.INVALID_REGION_NOT_FOUND, InvalidParameterError)
def copying_to_a_region_that_does_not_exist() -> Attempt:
    """Regions are the provider's known regions."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.copy_image(ALICE, web, ["ap-moon"])


@raises(ErrorCode.INVALID_PARAMETER, InvalidParameterError)
def modifying_an_image_without_saying_what() -> Attempt:
    """ModifyImageAttribute needs a new name, a new description, or both."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.modify_image(ALICE, db)


@raises(ErrorCode.INVALID_PARAMETER_VALUE, SnapshotError)
def restoring_a_snapshot_from_a_newer_release() -> Attempt:
    """A snapshot newer than this release reads is refused, and nothing is loaded."""
    return None, lambda: restore({"format": "imagecatalog-snapshot", "version": 99})


@raises(ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE, InvalidParameterError)
def a_description_longer_than_256_characters() -> Attempt:
    """Descriptions are at most 256 characters."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    essay = "Primary database, PostgreSQL 16 on Ubuntu 22.04, hardened. " * 5
    return service, lambda: service.modify_image(ALICE, db, description=essay)


@raises(ErrorCode.INVALID_PARAMETER_VALUE_LIMIT, InvalidParameterError)
def a_page_of_more_than_100_images() -> Attempt:
    """DescribeImages' limit is from 1 to 100."""
    service = alices_catalog().build()
    return service, lambda: service.describe_images(ALICE, GUANGZHOU, limit=101)


@raises(ErrorCode.INVALID_PARAMETER_VALUE_LIMIT_EXCEEDED, InvalidParameterError)
def syncing_two_images_in_one_request() -> Attempt:
    """SyncImages copies one image per call."""
    builder = alices_catalog()
    service, web, db = builder.build(), builder.image(WEB), builder.image(DB)
    params = {"ImageIds": [web.id, db.id], "DestinationRegions": [SINGAPORE]}
    return service, cvm_request(service, "SyncImages", params)


@raises(ErrorCode.INVALID_PARAMETER_VALUE_INVALID_REGION, InvalidParameterError)
def copying_an_image_to_its_own_region() -> Attempt:
    """A copy goes to other regions than the image's own."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.copy_image(ALICE, web, [SINGAPORE, GUANGZHOU])


@raises(ErrorCode.INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE, InvalidParameterError)
def importing_with_an_unknown_licence_type() -> Attempt:
    """The licence type is TencentCloud or BYOL."""
    service = alices_catalog().build()
    return service, alice_imports(service, licence_type="Perpetual")


@raises(ErrorCode.INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS, InvalidParameterError)
def listing_by_ids_and_by_name_at_once() -> Attempt:
    """DescribeImages names the images or filters them, not both."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.describe_images(ALICE, GUANGZHOU, image_ids=[web], name="web")


@raises(ErrorCode.INVALID_PARAMETER_SPECIFY_ONE_PARAMETER, InvalidParameterError)
def creating_an_image_from_nothing() -> Attempt:
    """CreateImage needs the instance to make the image from."""
    service = alices_catalog().build()
    return service, cvm_request(service, "CreateImage", {"ImageName": "web-golden-2026-12"})


@raises(ErrorCode.INVALID_PARAMETER_URL_ERROR, InvalidParameterError)
def importing_from_outside_object_storage() -> Attempt:
    """Images are imported from an object-storage (COS) URL."""
    service = alices_catalog().build()
    return service, alice_imports(service, image_url="https://example.com/centos-7-base.qcow2")


@raises(ErrorCode.ISO_MUST_IMPORT_BY_FORCE, InvalidParameterError)
def importing_an_iso_without_force() -> Attempt:
    """An ISO file imports only with force=True."""
    service = alices_catalog().build()
    iso = "https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/centos-7-base.iso"
    return service, alice_imports(service, image_url=iso)


@raises(ErrorCode.INVALID_IMAGE_OS_TYPE_UNSUPPORTED, InvalidParameterError)
def importing_a_platform_the_provider_does_not_run() -> Attempt:
    """Only the importable platforms (CentOS, Ubuntu, ..., Windows Server) import."""
    service = alices_catalog().build()
    return service, alice_imports(service, platform="macOS", os_version="14")


@raises(ErrorCode.INVALID_IMAGE_OS_VERSION_UNSUPPORTED, InvalidParameterError)
def importing_with_a_release_string_as_os_version() -> Attempt:
    """The OS version is a short label such as '7' or '22.04'."""
    service = alices_catalog().build()
    return service, alice_imports(service, os_version="7.9.2009 (Core)")


@raises(ErrorCode.INVALID_BOOT_MODE, InvalidParameterError)
def importing_with_a_boot_mode_that_does_not_exist() -> Attempt:
    """ImportImage's BootMode is 'Legacy BIOS' or 'UEFI'."""
    service = alices_catalog().build()
    params = {
        "ImageName": "centos-7-base-2026-11",
        "ImageUrl": "https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/centos-7-base.qcow2",
        "OsType": "CentOS",
        "OsVersion": "7",
        "Architecture": "x86_64",
        "BootMode": "Coreboot",
    }
    return service, cvm_request(service, "ImportImage", params)


# The API's request checks -----------------------------------------------------------------


@raises(ErrorCode.MISSING_PARAMETER, InvalidParameterError)
def deleting_without_naming_images() -> Attempt:
    """DeleteImages requires ImageIds."""
    service = alices_catalog().build()
    return service, cvm_request(service, "DeleteImages", {})


@raises(ErrorCode.INVALID_PARAMETER_CONFLICT, InvalidParameterError)
def creating_from_an_instance_and_snapshots() -> Attempt:
    """CreateImage: "InstanceId 和 SnapshotIds 为二选一必填参数" (one or the other)."""
    builder = alices_catalog()
    service = builder.build()
    instance = service.describe_instances(ALICE).items[0].id
    params = {"InstanceId": instance, "SnapshotIds": ["snap-12345678"], "ImageName": "x"}
    return service, cvm_request(service, "CreateImage", params)


@raises(ErrorCode.INVALID_PARAMETER_INVALID_DEPENDENCE, InvalidParameterError)
def data_disks_without_their_instance() -> Attempt:
    """CreateImage: DataDiskIds are disks of the InstanceId's instance."""
    service = alices_catalog().build()
    params = {"DataDiskIds": ["disk-12345678"], "ImageName": "x"}
    return service, cvm_request(service, "CreateImage", params)


@raises(ErrorCode.DATA_DISK_NOT_BELONG_SPECIFIED_INSTANCE, InvalidParameterError)
def a_data_disk_the_instance_does_not_have() -> Attempt:
    """The fake's instances have a system disk only: no data disk belongs to one."""
    service = alices_catalog().build()
    instance = service.describe_instances(ALICE).items[0].id
    params = {"InstanceId": instance, "DataDiskIds": ["disk-12345678"], "ImageName": "x"}
    return service, cvm_request(service, "CreateImage", params)


@raises(ErrorCode.INVALID_PARAMETER_VALUE_RANGE, InvalidParameterError)
def five_hundred_and_one_instances() -> Attempt:
    """RunInstances' InstanceCount: "取值范围：[1，500]"."""
    builder = alices_catalog()
    service = builder.build()
    params = {
        "ImageId": builder.image(DB).id,
        "Placement": {"Zone": "ap-guangzhou-1"},
        "InstanceCount": 501,
    }
    return service, cvm_request(service, "RunInstances", params)


@raises(ErrorCode.INVALID_ZONE_MISMATCH_REGION, InvalidParameterError)
def a_zone_of_another_region() -> Attempt:
    """A Guangzhou request cannot place an instance in a Shanghai zone."""
    builder = alices_catalog()
    service = builder.build()
    params = {"ImageId": builder.image(DB).id, "Placement": {"Zone": "ap-shanghai-2"}}
    return service, cvm_request(service, "RunInstances", params)


@raises(ErrorCode.INVALID_INSTANCE_TYPE_MALFORMED, InvalidParameterError)
def a_malformed_instance_type() -> Attempt:
    """DescribeImages' InstanceType looks like SA5.MEDIUM2."""
    service = alices_catalog().build()
    return service, cvm_request(service, "DescribeImages", {"InstanceType": "big one"})


@raises(ErrorCode.UNAUTHORIZED_OPERATION, PermissionDeniedError)
def modifying_a_public_image_through_the_api() -> Attempt:
    """ModifyImageAttribute lists no code for a public image; the API's common parent
    code UnauthorizedOperation stands for the service's ImageNotBelongToAccount."""
    service = alices_catalog().build()
    public = service.describe_images(ALICE, GUANGZHOU, kinds=["PUBLIC_IMAGE"])[0]
    return service, cvm_request(
        service, "ModifyImageAttribute", {"ImageId": public.id, "ImageName": "mine"}
    )


@raises(ErrorCode.UNKNOWN_PARAMETER, InvalidParameterError)
def a_parameter_the_action_does_not_define() -> Attempt:
    """A parameter of another action (DeleteImages has no ImageId) is UnknownParameter."""
    service = alices_catalog().build()
    return service, cvm_request(service, "DeleteImages", {"ImageId": "img-00000001"})


@raises(ErrorCode.INVALID_FILTER, InvalidParameterError)
def a_describe_instances_filter_sent_to_describe_images() -> Attempt:
    """DescribeImages filters by image-id, image-type, image-name or platform only."""
    filters = [{"Name": "zone", "Values": ["ap-guangzhou-3"]}]
    return None, lambda: ImageQuery.from_provider(filters=filters)


@raises(ErrorCode.INVALID_FILTER_VALUE_LIMIT_EXCEEDED, InvalidParameterError)
def a_filter_with_six_values() -> Attempt:
    """A filter takes at most 5 values."""
    service = alices_catalog().build()
    names = ["web", "db", "cache", "queue", "search", "gateway"]
    params = {"Filters": [{"Name": "image-name", "Values": names}]}
    return service, cvm_request(service, "DescribeImages", params)


@raises(ErrorCode.UNSUPPORTED_OPERATION, UnsupportedOperationError)
def an_action_that_is_not_modelled() -> Attempt:
    """The fake endpoint answers only the image and instance actions it models."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    params = {"ImageIds": [web.id], "BucketName": "exports-1250000000"}
    return service, cvm_request(service, "ExportImages", params)


# Not found --------------------------------------------------------------------------------


@raises(ErrorCode.INVALID_IMAGE_ID_NOT_FOUND, ImageNotFoundError)
def bob_looks_up_an_image_not_shared_with_him() -> Attempt:
    """Another account's unshared image does not exist for you (never "forbidden")."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.get_image(BOB, db)


@raises(ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND, AccountNotFoundError)
def sharing_with_an_unregistered_account() -> Attempt:
    """Images are shared with registered accounts only."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.share_image(ALICE, db, [STRANGER])


@raises(ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND, InstanceNotFoundError)
def bob_images_alices_instance() -> Attempt:
    """An image is created only from an instance the caller owns."""
    builder = alices_catalog()
    service, ubuntu = builder.build(), builder.image(UBUNTU)
    instance = service.launch_instance(ALICE, ubuntu)
    return service, lambda: service.create_image(BOB, instance, name="bobs-copy-of-web")


# Permission -------------------------------------------------------------------------------


@raises(ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT, PermissionDeniedError)
def bob_reshares_an_image_shared_with_him() -> Attempt:
    """Only an image's owner shares it; shared images are launch-only."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.share_image(BOB, web, [CAROL])


@raises(ErrorCode.SHARED_IMAGE_MODIFY_UNSUPPORTED, PermissionDeniedError)
def bob_renames_an_image_shared_with_him() -> Attempt:
    """A shared image cannot be modified by the accounts it is shared with."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.modify_image(BOB, web, name="web-golden-bob")


@raises(ErrorCode.INVALID_IMAGE_ID_IS_SHARED, PermissionDeniedError)
def bob_deletes_an_image_shared_with_him() -> Attempt:
    """A shared image is deleted by its owner only."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.delete_images(BOB, [web])


@raises(ErrorCode.INVALID_PARAMETER_VALUE_INVALID_IMAGE_ID, PermissionDeniedError)
def alice_copies_a_public_image() -> Attempt:
    """Public images are not copied: they already exist in every region."""
    builder = alices_catalog()
    service, ubuntu = builder.build(), builder.image(UBUNTU)
    return service, lambda: service.copy_image(ALICE, ubuntu, [SINGAPORE])


# State ------------------------------------------------------------------------------------


@raises(ErrorCode.INVALID_IMAGE_STATE, InvalidImageStateError)
def sharing_an_image_still_being_created() -> Attempt:
    """Only a NORMAL image is shared."""
    builder = alices_catalog(instant=False)
    service, ubuntu = builder.build(), builder.image(UBUNTU)
    instance = service.launch_instance(ALICE, ubuntu)
    creating = service.create_image(ALICE, instance, name="web-golden-2026-12")
    return service, lambda: service.share_image(ALICE, creating, [BOB])


@raises(ErrorCode.INVALID_IMAGE_ID_INCORRECT_STATE, InvalidImageStateError)
def deleting_an_image_still_being_created() -> Attempt:
    """An image is deleted only once the provider's work on it is over."""
    builder = alices_catalog(instant=False)
    service, ubuntu = builder.build(), builder.image(UBUNTU)
    instance = service.launch_instance(ALICE, ubuntu)
    creating = service.create_image(ALICE, instance, name="web-golden-2026-12")
    return service, lambda: service.delete_images(ALICE, [creating])


# Limits -----------------------------------------------------------------------------------


@raises(ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED, QuotaExceededError)
def a_third_image_over_a_quota_of_two() -> Attempt:
    """An account's custom images in one region stay within its quota."""
    builder = alices_catalog(limits=Limits().with_quota(ALICE, 2))
    service, ubuntu = builder.build(), builder.image(UBUNTU)
    instance = service.launch_instance(ALICE, ubuntu)
    return service, lambda: service.create_image(ALICE, instance, name="cache-2026-11")


@raises(ErrorCode.OVER_QUOTA, ShareLimitExceededError)
def sharing_past_the_share_limit() -> Attempt:
    """An image is shared with at most accounts_per_shared_image accounts."""
    builder = alices_catalog(limits=Limits(accounts_per_shared_image=1))
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.share_image(ALICE, web, [CAROL])


# Sharing ----------------------------------------------------------------------------------


@raises(ErrorCode.ACCOUNT_IS_YOURSELF, SharingError)
def alice_shares_with_herself() -> Attempt:
    """An image is never shared with its own owner."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.share_image(ALICE, db, [ALICE])


@raises(ErrorCode.ACCOUNT_ALREADY_EXISTS, SharingError)
def sharing_with_bob_twice() -> Attempt:
    """An image is shared with an account once."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.share_image(ALICE, web, [BOB])


@raises(ErrorCode.ACCOUNT_NOT_SHARED, SharingError)
def cancelling_a_share_carol_never_had() -> Attempt:
    """Only an existing share can be cancelled."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.unshare_image(ALICE, web, [CAROL])


@raises(ErrorCode.ENCRYPTED_IMAGES_NOT_SUPPORTED, SharingError)
def sharing_an_encrypted_copy() -> Attempt:
    """Encrypted images are never shared (ModifyImageSharePermission lists
    UnsupportedOperation.EncryptedImagesNotSupported, "不支持加密镜像")."""
    builder = alices_catalog()
    service = builder.build()
    [secret] = service.copy_image(
        ALICE, builder.image(DB), [GUANGZHOU], name="db-encrypted", encrypt=True
    )
    return service, lambda: service.share_image(ALICE, secret, [BOB])


@raises(ErrorCode.SYNC_ENCRYPT_IMAGE_NOT_SUPPORT, InvalidParameterError)
def bob_asking_an_encrypted_copy_of_a_shared_image() -> Attempt:
    """Under the newest profile a receiver may copy a shared image, but only
    unencrypted: an encrypted copy is made of one's own image (SyncImages lists
    UnsupportedOperation.SyncEncryptImageNotSupport, "指定的镜像不支持转为加密自定义镜像")."""
    builder = alices_catalog(limits=Limits.newest())
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.copy_image(BOB, web, [GUANGZHOU], encrypt=True)


@raises(ErrorCode.INVALID_KMS_KEY_ID, InvalidParameterError)
def an_encrypted_copy_under_a_key_id_too_long() -> Attempt:
    """A KMS key ID has at most 128 characters (SyncImages lists
    InvalidParameter.InvalidKmsKeyId, "指定的 KMS 密钥 ID 非法")."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.copy_image(
        ALICE, db, [GUANGZHOU], name="db-encrypted", encrypt=True, kms_key_id="k" * 129
    )


@raises(ErrorCode.TAG_QUOTA_LIMIT_EXCEEDED, InvalidParameterError)
def fifty_one_tags() -> Attempt:
    """A resource holds at most 50 tags (the tag service's limits)."""
    service = alices_catalog().build()
    tags = [(f"key-{number}", "value") for number in range(51)]
    return service, alice_imports(service, tags=tags)


@raises(ErrorCode.ILLEGAL_TAG_KEY, InvalidParameterError)
def a_tag_key_with_a_hash() -> Attempt:
    """Tag keys hold letters, digits, inner spaces and + - = . _ : / @ ( ) [ ] , ; > <."""
    service = alices_catalog().build()
    return service, alice_imports(service, tags=[("cost#centre", "42")])


@raises(ErrorCode.ILLEGAL_TAG_VALUE, InvalidParameterError)
def a_tag_value_too_long() -> Attempt:
    """Tag values have 1 to 255 characters."""
    service = alices_catalog().build()
    return service, alice_imports(service, tags=[("owner", "x" * 256)])


@raises(ErrorCode.TAG_KEY_RESERVED, InvalidParameterError)
def a_reserved_tag_key() -> Attempt:
    """Keys beginning with qcs:, qcloud, tencent, project or 项目 are the system's."""
    service = alices_catalog().build()
    return service, alice_imports(service, tags=[("qcs:owner", "alice")])


@raises(ErrorCode.DUPLICATE_TAGS, InvalidParameterError)
def one_tag_key_twice() -> Attempt:
    """One value per key: a key given twice is refused."""
    service = alices_catalog().build()
    return service, alice_imports(service, tags=[("env", "prod"), ("env", "test")])


@raises(ErrorCode.INVALID_IMAGE_FAMILY, InvalidParameterError)
def a_family_name_with_spaces() -> Attempt:
    """Family names are letters, digits, '.', '_' and '-' (our rule; see docs/rules.md)."""
    service = alices_catalog().build()
    return service, alice_imports(service, family="daily update")


@raises(ErrorCode.BYOL_IMAGE_SHARE_FAILED, SharingError)
def sharing_a_bring_your_own_licence_image() -> Attempt:
    """BYOL images are never shared."""
    builder = alices_catalog().imported_image(
        ALICE,
        GUANGZHOU,
        "win-2016-byol-2026-11",
        platform="Windows Server 2016",
        os_version="2016",
        licence_type="BYOL",
    )
    service, byol = builder.build(), builder.image("win-2016-byol-2026-11")
    return service, lambda: service.share_image(ALICE, byol, [BOB])


@raises(ErrorCode.INVALID_IMAGE_ID_IN_SHARED, SharingError)
def deleting_an_image_still_shared() -> Attempt:
    """An image is deleted only once every share is cancelled."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    return service, lambda: service.delete_images(ALICE, [web])


# Names and trust --------------------------------------------------------------------------


@raises(ErrorCode.INVALID_IMAGE_NAME_DUPLICATE, DuplicateImageNameError)
def renaming_db_to_the_name_of_web() -> Attempt:
    """Names are unique among one account's custom images in one region."""
    builder = alices_catalog()
    service, db = builder.build(), builder.image(DB)
    return service, lambda: service.modify_image(ALICE, db, name=WEB)


@raises(ErrorCode.UNTRUSTED_SHARED_IMAGE, UntrustedImageError)
def bob_launches_from_a_sharer_he_does_not_trust() -> Attempt:
    """An account with a trust list launches shared images of trusted owners only."""
    builder = alices_catalog()
    service, web = builder.build(), builder.image(WEB)
    service.set_trusted_sharers(BOB, [CAROL])
    return service, lambda: service.launch_instance(BOB, web)


# Failures that are not the caller's -------------------------------------------------------


class _LeakyStore(InMemoryImageRepository):
    """A store with a bug: it lists every custom image of a region as the viewer's own."""

    def select_images(
        self, group: ImageGroup, query: ImageQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[Image]]:
        if group.kind is ImageKind.CUSTOM:
            everyone = [
                image
                for image in self.all_images()
                if image.owner is not None and image.region == group.region
            ]
            return len(everyone), everyone[offset : offset + limit]
        return super().select_images(group, query, offset, limit)


@raises(ErrorCode.INTERNAL_ERROR, StoreError)
def a_store_that_lists_another_accounts_image() -> Attempt:
    """The read side checks what a store lists: an image outside the group asked for is
    the store's bug, refused, never shown to the caller."""
    builder = CatalogBuilder(store=_LeakyStore()).accounts(ALICE, BOB)
    builder.custom_image(ALICE, GUANGZHOU, "alice-secret")
    service = builder.build()
    return service, lambda: service.describe_images(BOB, GUANGZHOU, kinds=["PRIVATE_IMAGE"])


#: Connections a scenario leaves holding a lock, closed when the tests end.
_HELD: list[sqlite3.Connection] = []


@raises(ErrorCode.SERVICE_UNAVAILABLE, StoreUnavailableError)
def a_write_that_waits_for_the_database_past_its_lock_timeout() -> Attempt:
    """Another process holds the SQLite file's write lock longer than the store's
    lock_timeout: the write gives up with ServiceUnavailable and changes nothing
    (reads go on: the file is in WAL mode)."""
    folder = Path(tempfile.mkdtemp(prefix="imagecatalog-"))
    store = SqlImageRepository(f"sqlite:///{folder / 'catalog.db'}", lock_timeout=0.1)
    builder = CatalogBuilder(store=store).accounts(ALICE, BOB)
    builder.custom_image(ALICE, GUANGZHOU, "web")
    service = builder.build()
    other = sqlite3.connect(folder / "catalog.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    _HELD.append(other)
    # When the tests end: the lock let go, the store closed, the folder removed.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    atexit.register(store.close)
    atexit.register(other.close)
    return service, lambda: service.share_image(ALICE, builder.image("web"), [BOB])


# The tests --------------------------------------------------------------------------------


def _params() -> list[Any]:
    return [pytest.param(code, scenario, id=code.value) for code, scenario in SCENARIOS.items()]


@pytest.mark.parametrize(("code", "scenario"), _params())
def test_every_code_is_raised_by_a_public_entry_point(code: ErrorCode, scenario: Scenario) -> None:
    service, call = scenario.arrange()
    if service is not None:
        raised: ImageCatalogError = expect_refusal(service, scenario.error, code, call)
    else:
        with pytest.raises(scenario.error) as caught:
            call()
        raised = caught.value
    assert isinstance(raised, ImageCatalogError)
    assert raised.code is code, f"expected {code}, got {raised.code}: {raised}"


def test_the_table_covers_every_code() -> None:
    """A code added to ErrorCode needs a scenario here that raises it."""
    missing = sorted(code.name for code in set(ErrorCode) - set(SCENARIOS))
    assert set(SCENARIOS) == set(ErrorCode), f"no scenario raises {', '.join(missing)}"
