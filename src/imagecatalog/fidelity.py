"""What the SDK fake does with every request parameter and response field.

The table of ``docs/fidelity.md``, as data: for each modelled action of the CVM
API, each request parameter is *modelled* (it does what the live API does),
*accepted* (checked, with no effect here, and why), or *refused* (with which
code); each response field is *modelled* or *fixed* (always the same value
here, and why).  The tests hold it to the SDK's own models (every parameter
and field is listed) and to ``docs/fidelity.md`` (which shows :func:`render`).
``python -m imagecatalog.fidelity`` prints the table.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

__all__ = ["OBJECTS", "REQUESTS", "RESPONSES", "Field", "Handling", "render"]


class Handling(enum.StrEnum):
    """What the fake does with a parameter or field."""

    MODELLED = "modelled"
    ACCEPTED = "accepted, no effect"
    REFUSED = "refused"
    FIXED = "fixed value"


@attrs.frozen
class Field:
    """One request parameter or response field, what the fake does with it, and why."""

    name: str
    handling: Handling
    note: str = ""


M, A, R, F = Handling.MODELLED, Handling.ACCEPTED, Handling.REFUSED, Handling.FIXED
_NO_SNAPSHOTS = "the fake keeps no snapshots"
_NO_NETWORK = "the fake models no network, disks, billing or hosts"
_DRY_RUN = "a passing check answers only its RequestId and changes nothing; a failing one its code"

#: Each modelled action's request parameters.
REQUESTS: Mapping[str, tuple[Field, ...]] = {
    "DescribeImages": (
        Field("ImageIds", M, "unknown, invisible and other regions' IDs are left out"),
        Field(
            "Filters",
            M,
            "image-id, image-type, image-name and platform (case-insensitive substrings), "
            "tag-key, tag-value, tag:<key>; dedicated-cluster-id and cdc-cache-status "
            "are InvalidFilter (no dedicated clusters here)",
        ),
        Field("Offset", M),
        Field("Limit", M, "1 to 100, default 20"),
        Field(
            "InstanceType",
            A,
            "checked (InvalidInstanceType.Malformed); every image here fits every type, "
            "so it filters nothing",
        ),
    ),
    "CreateImage": (
        Field("ImageName", M),
        Field("InstanceId", M, "in the request's region"),
        Field("ImageDescription", M),
        Field("ForcePoweroff", A, "true/false in any case; instances here have no power state"),
        Field("Sysprep", A, "true/false in any case; nothing here runs Sysprep"),
        Field(
            "DataDiskIds",
            R,
            "InvalidParameter.DataDiskNotBelongSpecifiedInstance (instances here have a "
            "system disk only); without InstanceId InvalidParameter.InvalidDependence",
        ),
        Field(
            "SnapshotIds",
            R,
            f"UnsupportedOperation ({_NO_SNAPSHOTS}); with InstanceId InvalidParameterConflict",
        ),
        Field("DryRun", M, _DRY_RUN),
        Field("TagSpecification", M, "resource type image; the tag service's limits"),
        Field("ImageFamily", M),
    ),
    "ImportImage": (
        Field("Architecture", M, "x86_64, i386, arm_64 (read back as arm)"),
        Field("OsType", M, "as DescribeImportImageOs lists"),
        Field("OsVersion", M, "as DescribeImportImageOs lists"),
        Field("ImageUrl", M, "a COS URL of a raw, img, vhd, qcow2 or vmdk file (iso with Force)"),
        Field("ImageName", M),
        Field("ImageDescription", M),
        Field("DryRun", M, _DRY_RUN),
        Field("Force", M, "imports an iso file"),
        Field("TagSpecification", M, "resource type image; the tag service's limits"),
        Field("LicenseType", M, "TencentCloud or BYOL"),
        Field("BootMode", M, "Legacy BIOS or UEFI"),
        Field("ImageFamily", M),
        Field(
            "ImportImageDataDiskList",
            R,
            "UnsupportedOperation when not empty (images here have a system disk only)",
        ),
    ),
    "SyncImages": (
        Field("ImageIds", M, "one image per request"),
        Field("DestinationRegions", M),
        Field("DryRun", M, _DRY_RUN),
        Field("ImageName", M),
        Field("ImageSetRequired", M),
        Field("Encrypt", M, "an encrypted copy, in the source region only"),
        Field("KmsKeyId", M, "kept on the encrypted copy; ignored without Encrypt, as documented"),
    ),
    "ModifyImageSharePermission": (
        Field("ImageId", M),
        Field(
            "AccountIds",
            M,
            "any well-formed account ID (strict_accounts=True: registered ones); CANCEL "
            "passes over accounts without a share, and may be empty",
        ),
        Field("Permission", M, "SHARE or CANCEL"),
    ),
    "DescribeImageSharePermission": (Field("ImageId", M),),
    "ModifyImageAttribute": (
        Field("ImageId", M),
        Field("ImageName", M, "the image's own name is no duplicate"),
        Field("ImageDescription", M),
        Field("ImageFamily", M, '"" takes the image out of its family'),
        Field("ImageDeprecated", M),
    ),
    "DeleteImages": (
        Field("ImageIds", M, "all or none"),
        Field("DeleteBindedSnap", A, _NO_SNAPSHOTS),
        Field("DryRun", M, _DRY_RUN),
    ),
    "DescribeImageQuota": (),
    "RunInstances": (
        Field("ImageId", M, "in the request's region; launch rules and trust lists apply"),
        Field("Placement", M, "required; Placement.Zone in the request's region"),
        Field("InstanceCount", M, "1 to 500, all or none"),
        Field("DryRun", M, _DRY_RUN),
        Field("LaunchTemplate", R, "UnsupportedOperation: launch templates are not modelled"),
        *(
            Field(name, A, _NO_NETWORK)
            for name in (
                "ActionTimer",
                "CamRoleName",
                "ChcIds",
                "ClientToken",
                "CpuTopology",
                "DataDisks",
                "DedicatedClusterId",
                "DisableApiTermination",
                "DisasterRecoverGroupIds",
                "EnableJumboFrame",
                "EnhancedService",
                "HostName",
                "HpcClusterId",
                "InstanceChargePrepaid",
                "InstanceChargeType",
                "InstanceMarketOptions",
                "InstanceName",
                "InstanceType",
                "InternetAccessible",
                "LoginSettings",
                "Metadata",
                "MinCount",
                "NetworkInterfaces",
                "PartitionNumber",
                "SecurityGroupIds",
                "SystemDisk",
                "TagSpecification",
                "UserData",
                "VirtualPrivateCloud",
            )
        ),
    ),
    "DescribeInstances": (
        Field("InstanceIds", M, "at most 100; unknown IDs are left out"),
        Field(
            "Filters",
            M,
            "instance-id, zone, instance-state; the other documented filters are "
            "UnsupportedOperation (not modelled)",
        ),
        Field("Offset", M),
        Field("Limit", M, "1 to 100, default 20"),
    ),
    "DescribeImageFromFamily": (
        Field("ImageFamily", M, "none, or an unknown family, answers a null Image"),
    ),
    "DescribeImportImageOs": (),
}

#: Each modelled action's response fields (``RequestId`` in every one).
RESPONSES: Mapping[str, tuple[Field, ...]] = {
    "DescribeImages": (Field("ImageSet", M, "Image objects"), Field("TotalCount", M)),
    "CreateImage": (Field("ImageId", M, "null after a DryRun"),),
    "ImportImage": (Field("ImageId", M, "null after a DryRun"),),
    "SyncImages": (Field("ImageSet", M, "empty unless ImageSetRequired, and after a DryRun"),),
    "ModifyImageSharePermission": (),
    "DescribeImageSharePermission": (Field("SharePermissionSet", M),),
    "ModifyImageAttribute": (),
    "DeleteImages": (),
    "DescribeImageQuota": (Field("ImageNumQuota", M, "the profile's quota for the caller"),),
    "RunInstances": (Field("InstanceIdSet", M, "null after a DryRun"),),
    "DescribeInstances": (Field("TotalCount", M), Field("InstanceSet", M, "Instance objects")),
    "DescribeImageFromFamily": (
        Field("Image", M, "the newest NORMAL, not deprecated image of the family, or null"),
    ),
    "DescribeImportImageOs": (
        Field("ImportImageOsListSupported", M, "the official example's list"),
        Field("ImportImageOsVersionSet", M, "the official example's set, arm_64 on Linux"),
    ),
}

_INSTANCE_ABSENT = "not sent (null in the SDK's model): " + _NO_NETWORK

#: The objects inside responses, field by field.
OBJECTS: Mapping[str, tuple[Field, ...]] = {
    "Image": (
        Field("ImageId", M),
        Field("OsName", M),
        Field("ImageType", M, "relative to the caller"),
        Field("CreatedTime", M),
        Field("ImageName", M),
        Field("ImageDescription", M),
        Field("ImageSize", M, "imports: 50 GB (the file's size is not read)"),
        Field("Architecture", M),
        Field("ImageState", M),
        Field("Platform", M),
        Field("ImageCreator", M, '"tencent" for public images, else the owner'),
        Field("ImageSource", M),
        Field(
            "SyncPercent",
            M,
            "while SYNCING, how far the copy has come (0, or rising with polls or a "
            "virtual clock: docs/waiters.md); else null",
        ),
        Field("IsSupportCloudinit", M, "true for Linux"),
        Field("SnapshotSet", F, "one system-disk snapshot of a custom image, named from its ID"),
        Field("Tags", M),
        Field("LicenseType", M),
        Field("ImageFamily", M, '"" when in none'),
        Field("ImageDeprecated", M),
        Field("CdcCacheStatus", F, '"": no dedicated clusters here'),
    ),
    "Instance": (
        Field("Placement", M, "Zone only"),
        Field("InstanceId", M),
        Field("ImageId", M),
        Field("OsName", M),
        Field("InstanceState", F, "RUNNING: instances here start at once"),
        Field("CreatedTime", M),
        Field("LicenseType", M),
        Field("SystemDisk", M, "DiskSize only"),
        *(
            Field(name, F, _INSTANCE_ABSENT)
            for name in (
                "InstanceType",
                "CPU",
                "Memory",
                "RestrictState",
                "InstanceName",
                "InstanceChargeType",
                "DataDisks",
                "PrivateIpAddresses",
                "PublicIpAddresses",
                "InternetAccessible",
                "VirtualPrivateCloud",
                "RenewFlag",
                "ExpiredTime",
                "SecurityGroupIds",
                "LoginSettings",
                "Tags",
                "StopChargingMode",
                "Uuid",
                "LatestOperation",
                "LatestOperationState",
                "LatestOperationRequestId",
                "DisasterRecoverGroupId",
                "IPv6Addresses",
                "CamRoleName",
                "HpcClusterId",
                "RdmaIpAddresses",
                "DedicatedClusterId",
                "IsolatedSource",
                "DisasterRecoverGroupIds",
                "GPUInfo",
                "DisableApiTermination",
                "HostName",
                "DefaultLoginUser",
                "DefaultLoginPort",
                "LatestOperationErrorMsg",
                "EnableJumboFrame",
                "Metadata",
                "PublicIPv6Addresses",
                "CpuTopology",
                "PartitionNumber",
            )
        ),
    ),
}


def _table(fields: tuple[Field, ...], heading: str) -> list[str]:
    if not fields:
        return [f"{heading}: none.", ""]
    lines = [f"| {heading} | handling | why, or which code |", "|---|---|---|"]
    lines += [f"| `{f.name}` | {f.handling.value} | {f.note} |" for f in fields]
    return [*lines, ""]


def render() -> str:
    """The table as Markdown: one section per action, then the objects."""
    lines: list[str] = []
    for action, requests in REQUESTS.items():
        lines += [f"### {action}", ""]
        lines += _table(requests, "request parameter")
        lines += _table(RESPONSES[action], "response field")
    for name, fields in OBJECTS.items():
        lines += [f"### The {name} object", ""]
        lines += _table(fields, "field")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - a helper for the docs
    print(render(), end="")
