"""The CVM API's image actions over an :class:`~imagecatalog.ImageService`.

One action layer, in the manner of moto's ``responses`` modules: for each
action, parse the request's parameters (the API's JSON, as the SDKs send it),
call the service, and render the response's body.  It knows no transport: the
SDK fake (:mod:`imagecatalog.tencentcloud`) puts it behind the official SDK's
client, and any endpoint can put it behind HTTP; both get the same answers.

Every refusal is an :class:`~imagecatalog.ImageCatalogError` with the
provider's code: the service's own, or the request's (``MissingParameter``,
``InvalidParameter``, ``InvalidFilter``, ...), or
:class:`~imagecatalog.UnsupportedOperationError` for what is not modelled.

>>> from imagecatalog import ImageService
>>> service = ImageService(public_catalog=True)
>>> _ = service.register_account("100000000001")
>>> body = CvmActions(service).handle(
...     "DescribeImages", {"Limit": 1}, caller="100000000001", region="ap-guangzhou"
... )
>>> body["TotalCount"] > 1, body["ImageSet"][0]["ImageType"]
(True, 'PUBLIC_IMAGE')
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from imagecatalog._validation import parse_enum
from imagecatalog.accounts import Account
from imagecatalog.exceptions import (
    ErrorCode,
    ImageCatalogError,
    InvalidParameterError,
    UnsupportedOperationError,
)
from imagecatalog.images import Architecture, BootMode, Image, ImagePage, LicenceType
from imagecatalog.importing import IMPORTABLE_OS, IMPORTABLE_OS_LIST, check_importable
from imagecatalog.instances import Instance
from imagecatalog.query import MAX_FILTER_VALUES, MAX_FILTERS, ImageQuery
from imagecatalog.regions import Region
from imagecatalog.serialization import format_time, to_api, to_api_json
from imagecatalog.service import ImageService

__all__ = ["CvmActions"]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)

#: The most instances one RunInstances call launches (its InstanceCount docstring:
#: "取值范围：[1，500]").
MAX_INSTANCE_COUNT = 500


def _param(
    params: Mapping[str, Any], key: str, kind: type, default: Any = None, *, required: bool = False
) -> Any:
    """The request's *key*, of type *kind*; *default* when absent (or null)."""
    if key not in params or params[key] is None:
        if required:
            raise InvalidParameterError(
                f"the request is missing the parameter {key}",
                parameter=key,
                code=ErrorCode.MISSING_PARAMETER,
            )
        return default
    value = params[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise InvalidParameterError(
            f"parameter {key} must be {kind.__name__}, not {type(value).__name__}",
            parameter=key,
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )
    return value


def _provider_value(
    enum_type: type[_E],
    value: str,
    parameter: str,
    *,
    code: str = ErrorCode.INVALID_PARAMETER_VALUE,
    aliases: Mapping[str, _E] | None = None,
) -> _E:
    """The member a request's value names, spelled exactly as the provider's API
    spells it (the service itself takes names in any case; the live API does not)."""
    return parse_enum(enum_type, value, parameter, code=code, aliases=aliases, exact=True)


#: The request parameters each action defines (the SDK's request models); any
#: other is ``UnknownParameter``, as on the live API.
ACTION_PARAMETERS: Mapping[str, frozenset[str]] = {
    "DescribeImages": frozenset({"Filters", "ImageIds", "InstanceType", "Limit", "Offset"}),
    "CreateImage": frozenset(
        {
            "DataDiskIds",
            "DryRun",
            "ForcePoweroff",
            "ImageDescription",
            "ImageFamily",
            "ImageName",
            "InstanceId",
            "SnapshotIds",
            "Sysprep",
            "TagSpecification",
        }
    ),
    "ImportImage": frozenset(
        {
            "Architecture",
            "BootMode",
            "DryRun",
            "Force",
            "ImageDescription",
            "ImageFamily",
            "ImageName",
            "ImageUrl",
            "ImportImageDataDiskList",
            "LicenseType",
            "OsType",
            "OsVersion",
            "TagSpecification",
        }
    ),
    "SyncImages": frozenset(
        {
            "DestinationRegions",
            "DryRun",
            "Encrypt",
            "ImageIds",
            "ImageName",
            "ImageSetRequired",
            "KmsKeyId",
        }
    ),
    "ModifyImageSharePermission": frozenset({"AccountIds", "ImageId", "Permission"}),
    "DescribeImageSharePermission": frozenset({"ImageId"}),
    "ModifyImageAttribute": frozenset(
        {"ImageDeprecated", "ImageDescription", "ImageFamily", "ImageId", "ImageName"}
    ),
    "DeleteImages": frozenset({"DeleteBindedSnap", "DryRun", "ImageIds"}),
    "DescribeImageQuota": frozenset(),
    "RunInstances": frozenset(
        {
            "ActionTimer",
            "CamRoleName",
            "ChcIds",
            "ClientToken",
            "CpuTopology",
            "DataDisks",
            "DedicatedClusterId",
            "DisableApiTermination",
            "DisasterRecoverGroupIds",
            "DryRun",
            "EnableJumboFrame",
            "EnhancedService",
            "HostName",
            "HpcClusterId",
            "ImageId",
            "InstanceChargePrepaid",
            "InstanceChargeType",
            "InstanceCount",
            "InstanceMarketOptions",
            "InstanceName",
            "InstanceType",
            "InternetAccessible",
            "LaunchTemplate",
            "LoginSettings",
            "Metadata",
            "MinCount",
            "NetworkInterfaces",
            "PartitionNumber",
            "Placement",
            "SecurityGroupIds",
            "SystemDisk",
            "TagSpecification",
            "UserData",
            "VirtualPrivateCloud",
        }
    ),
    "DescribeInstances": frozenset({"Filters", "InstanceIds", "Limit", "Offset"}),
    "DescribeImageFromFamily": frozenset({"ImageFamily"}),
    "DescribeImportImageOs": frozenset(),
}

#: Where the service's own code for a refusal is not one the action documents
#: (tencentcloud-sdk-go's client.go lists each action's codes), the documented
#: code the live API gives for it.  Keyed by (action, code); action "*": every action.
_API_CODES: Mapping[tuple[str, str], ErrorCode] = {
    # "无效的账户Id" (errorcodes.py): the one account code the actions document.
    ("*", ErrorCode.INVALID_ACCOUNT_ID_MALFORMED): ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND,
    # CreateImage documents InvalidInstanceId.NotFound only ("无效实例ID").
    (
        "CreateImage",
        ErrorCode.INVALID_INSTANCE_ID_MALFORMED,
    ): ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND,
    # SyncImages of an image that is not the caller's (public, or shared under a
    # profile where receivers may not copy): "镜像不允许执行该操作".
    (
        "SyncImages",
        ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT,
    ): ErrorCode.INVALID_PARAMETER_VALUE_INVALID_IMAGE_ID,
    # SyncImages lists no code for a name too long: the common parent code.
    ("SyncImages", ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE): ErrorCode.INVALID_PARAMETER_VALUE,
    # ModifyImageAttribute lists no code for a public image: the common parent code.
    (
        "ModifyImageAttribute",
        ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT,
    ): ErrorCode.UNAUTHORIZED_OPERATION,
}


def _check_parameters(action: str, params: Mapping[str, Any]) -> None:
    """The live API's ``UnknownParameter`` for a parameter *action* does not define."""
    unknown = sorted(set(params) - ACTION_PARAMETERS[action])
    if unknown:
        raise InvalidParameterError(
            f"{action} has no parameter {', '.join(unknown)}; its parameters are "
            f"{', '.join(sorted(ACTION_PARAMETERS[action])) or 'none'}",
            parameter=unknown[0],
            code=ErrorCode.UNKNOWN_PARAMETER,
        )


@contextlib.contextmanager
def _documented_codes(action: str) -> Iterator[None]:
    """Refusals inside carry a code *action* documents (see :data:`_API_CODES`)."""
    try:
        yield
    except ImageCatalogError as error:
        documented = _API_CODES.get((action, error.code)) or _API_CODES.get(("*", error.code))
        if documented is not None:
            error.code = documented
        raise


class CvmActions:
    """Answers CVM API requests from *service*: :meth:`handle` one action."""

    def __init__(
        self,
        service: ImageService,
        *,
        on_work: Callable[[Sequence[Image]], object] | None = None,
        progress: Callable[[Sequence[Image]], Mapping[str, int]] | None = None,
    ) -> None:
        """*on_work* is told of the images whose work a call began (CreateImage,
        ImportImage, SyncImages; not on a DryRun).  *progress* is told of the
        images each DescribeImages shows, and answers how far the work on each
        one in progress has come, in percent (a copy's ``SyncPercent``); by
        default, 0.  An :class:`~imagecatalog.endpoint.Endpoint` sets both."""
        self.service = service
        self._on_work = on_work
        self._progress = progress
        self._actions: dict[str, Callable[[Account, Region, Mapping[str, Any]], dict[str, Any]]]
        self._actions = {
            "DescribeImages": self._describe_images,
            "CreateImage": self._create_image,
            "ImportImage": self._import_image,
            "SyncImages": self._sync_images,
            "ModifyImageSharePermission": self._modify_share_permission,
            "DescribeImageSharePermission": self._describe_share_permission,
            "ModifyImageAttribute": self._modify_image_attribute,
            "DeleteImages": self._delete_images,
            "DescribeImageQuota": self._describe_image_quota,
            "RunInstances": self._run_instances,
            "DescribeInstances": self._describe_instances,
            "DescribeImageFromFamily": self._describe_image_from_family,
            "DescribeImportImageOs": self._describe_import_image_os,
        }

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions this layer answers."""
        return tuple(self._actions)

    def handle(
        self,
        action: str,
        params: Mapping[str, Any],
        *,
        caller: Account | str,
        region: Region | str,
    ) -> dict[str, Any]:
        """The body of *action*'s response (without ``RequestId``) for *caller*
        in *region*; a refusal raises :class:`~imagecatalog.ImageCatalogError`."""
        answer = self._actions.get(action)
        if answer is None:
            raise UnsupportedOperationError(
                f"the action {action}",
                way_out=f"the fake CVM endpoint models {', '.join(self._actions)}",
            )
        with _documented_codes(action):
            _check_parameters(action, params)
            return answer(Account.of(caller), Region.of(region), params)

    def handle_json(
        self,
        action: str,
        params: Mapping[str, Any],
        *,
        caller: Account | str,
        region: Region | str,
        request_id: str,
    ) -> str:
        """The whole response of *action* as the API's JSON text,
        ``{"Response": {..., "RequestId": request_id}}``: :meth:`handle`'s body,
        rendered (a listing's images from their cached JSON)."""
        if action == "DescribeImages":
            with _documented_codes(action):
                _check_parameters(action, params)
                page = self._page(Account.of(caller), Region.of(region), params)
            shown = self._shown(page)
            images = ",".join(
                to_api_json(image, kind)
                if image.id not in shown
                else json.dumps(_with_progress(to_api(image, caller, kind=kind), shown[image.id]))
                for image, kind in zip(page, page.kinds, strict=True)
            )
            return (
                f'{{"Response":{{"TotalCount":{page.total_count},"ImageSet":[{images}],'
                f'"RequestId":{json.dumps(request_id)}}}}}'
            )
        body = self.handle(action, params, caller=caller, region=region)
        body["RequestId"] = request_id
        return json.dumps({"Response": body}, separators=(",", ":"))

    def _dry_run(
        self, params: Mapping[str, Any], caller: Account, call: Callable[[], _T]
    ) -> _T | None:
        """Make *call*; with ``DryRun``, make it in a unit of work that is then
        undone, and return None: the action answers only its ``RequestId``.

        The official examples: DeleteImages with ``"DryRun": true`` ("检测镜像是否
        允许删除") answers ``{"Response": {"RequestId": ...}}``; RunInstances'
        DryRun docstring: "如果检查不通过，则返回对应错误码；如果检查通过，则返回
        RequestId".  A check that fails raises the call's own error.
        """
        if not _param(params, "DryRun", bool, False):
            return call()
        # A unit of work for the caller alone (no action with DryRun registers
        # another account): other owners' writes go on meanwhile.
        with self.service.unit_of_work(accounts=[caller]) as work:
            call()
            work.rollback()
        return None

    # Actions ----------------------------------------------------------------------

    def _page(self, caller: Account, region: Region, params: Mapping[str, Any]) -> ImagePage:
        instance_type = _param(params, "InstanceType", str)
        if instance_type is not None and _INSTANCE_TYPE.fullmatch(instance_type) is None:
            raise InvalidParameterError(
                f"InstanceType {instance_type!r} is not an instance type, such as SA5.MEDIUM2",
                parameter="InstanceType",
                value=instance_type,
                code=ErrorCode.INVALID_INSTANCE_TYPE_MALFORMED,
            )
        # A well-formed InstanceType filters nothing: every image here fits every type.
        query = ImageQuery.from_provider(
            image_ids=_param(params, "ImageIds", list),
            filters=_param(params, "Filters", list),
            offset=_param(params, "Offset", int, 0),
            limit=_param(params, "Limit", int, 20),
        )
        return self.service.describe_images(caller, region, query)

    def _describe_images(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        page = self._page(caller, region, params)
        shown = self._shown(page)
        return {
            "TotalCount": page.total_count,
            "ImageSet": [
                _with_progress(to_api(image, caller, kind=kind), shown.get(image.id))
                for image, kind in zip(page, page.kinds, strict=True)
            ],
        }

    def _shown(self, page: ImagePage) -> Mapping[str, int]:
        """How far the work on each image of *page* in progress has come (the
        progress hook's answer; nothing without one)."""
        if self._progress is None or not any(image.state.in_progress for image in page):
            return {}
        return self._progress(list(page))

    def _began(self, images: Sequence[Image]) -> None:
        if self._on_work is not None and images:
            self._on_work(images)

    def _create_image(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        instance_id = _param(params, "InstanceId", str)
        snapshot_ids = _param(params, "SnapshotIds", list)
        data_disk_ids = _param(params, "DataDiskIds", list)
        if instance_id is not None and snapshot_ids:
            raise InvalidParameterError(
                "CreateImage takes an InstanceId or SnapshotIds, not both",
                parameter="SnapshotIds",
                value=snapshot_ids,
                code=ErrorCode.INVALID_PARAMETER_CONFLICT,
            )
        if data_disk_ids and instance_id is None:
            raise InvalidParameterError(
                "DataDiskIds name data disks of the InstanceId's instance: give the InstanceId",
                parameter="DataDiskIds",
                value=data_disk_ids,
                code=ErrorCode.INVALID_PARAMETER_INVALID_DEPENDENCE,
            )
        if snapshot_ids:
            raise UnsupportedOperationError(
                "CreateImage from snapshots (this fake keeps no snapshots)",
                way_out="create the image from an InstanceId",
            )
        if instance_id is None:
            raise InvalidParameterError(
                "CreateImage needs an InstanceId (or SnapshotIds)",
                parameter="InstanceId",
                code=ErrorCode.INVALID_PARAMETER_SPECIFY_ONE_PARAMETER,
            )
        name = _param(params, "ImageName", str, required=True)
        description = _param(params, "ImageDescription", str, "")
        _flag_text(params, "ForcePoweroff")
        _flag_text(params, "Sysprep")
        tags = _tag_specification(params)
        family = _param(params, "ImageFamily", str)

        def create() -> Image:
            with self.service.unit_of_work(accounts=[caller]):
                image = self.service.create_image(
                    caller,
                    instance_id,
                    name=name,
                    description=description,
                    region=region,
                    tags=tags,
                    family=family or None,
                )
                if data_disk_ids:  # the fake's instances have a system disk only
                    raise InvalidParameterError(
                        f"data disk {data_disk_ids[0]!r} does not belong to instance "
                        f"{instance_id}, which has a system disk only; leave DataDiskIds out",
                        parameter="DataDiskIds",
                        value=data_disk_ids,
                        code=ErrorCode.DATA_DISK_NOT_BELONG_SPECIFIED_INSTANCE,
                    )
                return image

        image = self._dry_run(params, caller, create)
        if image is None:
            return {}
        self._began([image])
        return {"ImageId": image.id}

    def _import_image(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        if _param(params, "ImportImageDataDiskList", list):
            raise UnsupportedOperationError(
                "ImportImage with data disks (ImportImageDataDiskList)",
                way_out="import the system disk's image alone",
            )
        os_type = _param(params, "OsType", str, required=True)
        os_version = _param(params, "OsVersion", str, required=True)
        architecture = _param(params, "Architecture", str, required=True)
        check_importable(os_type, os_version, architecture)
        tags = _tag_specification(params)
        family = _param(params, "ImageFamily", str)
        image = self._dry_run(
            params,
            caller,
            lambda: self.service.import_image(
                caller,
                region,
                name=_param(params, "ImageName", str, required=True),
                image_url=_param(params, "ImageUrl", str, required=True),
                platform=os_type,
                os_version=os_version,
                architecture=_provider_value(
                    Architecture,
                    architecture,
                    "Architecture",
                    aliases={"arm_64": Architecture.ARM64},
                ),
                tags=tags,
                family=family or None,
                description=_param(params, "ImageDescription", str, ""),
                licence_type=_provider_value(
                    LicenceType,
                    _param(params, "LicenseType", str, "TencentCloud"),
                    "LicenseType",
                    code=ErrorCode.INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE,
                ),
                force=_param(params, "Force", bool, False),
                boot_mode=_provider_value(
                    BootMode,
                    _param(params, "BootMode", str, "Legacy BIOS"),
                    "BootMode",
                    code=ErrorCode.INVALID_BOOT_MODE,
                ),
            ),
        )
        if image is None:
            return {}
        self._began([image])
        return {"ImageId": image.id}

    def _sync_images(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_ids = _param(params, "ImageIds", list, required=True)
        destinations = _param(params, "DestinationRegions", list, required=True)
        if len(image_ids) != 1:
            raise InvalidParameterError(
                f"SyncImages copies one image per call, not {len(image_ids)}",
                parameter="ImageIds",
                value=image_ids,
                code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT_EXCEEDED,
            )
        name = _param(params, "ImageName", str)
        encrypt = _param(params, "Encrypt", bool, False)
        kms_key_id = _param(params, "KmsKeyId", str)
        copies = self._dry_run(
            params,
            caller,
            lambda: self.service.copy_image(
                caller,
                image_ids[0],
                destinations,
                name=name,
                region=region,
                encrypt=encrypt,
                # "仅当复制加密镜像时，即 Encrypt 为 true 时，此参数有效": ignored otherwise.
                kms_key_id=kms_key_id if encrypt else None,
            ),
        )
        self._began(copies or ())
        # Terraform's sync-image resource needs ImageSet even on a DryRun, and the
        # official example always has it: an empty list unless ImageSetRequired.
        if copies is None or not _param(params, "ImageSetRequired", bool, False):
            return {"ImageSet": []}
        return {"ImageSet": [{"ImageId": c.id, "Region": c.region.id} for c in copies]}

    def _modify_share_permission(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_id = _param(params, "ImageId", str, required=True)
        permission = _param(params, "Permission", str, required=True)
        if permission == "SHARE":
            accounts = _param(params, "AccountIds", list, required=True)
            self.service.share_image(caller, image_id, accounts, region=region)
        elif permission == "CANCEL":
            # Accounts without a share are passed over (packer's cleanup cancels its
            # whole list; terraform's delete cancels an empty one).
            accounts = _param(params, "AccountIds", list, [])
            self.service.unshare_image(caller, image_id, accounts, region=region, missing_ok=True)
        else:
            raise InvalidParameterError(
                f"Permission must be SHARE or CANCEL, not {permission!r}",
                parameter="Permission",
                value=permission,
            )
        return {}

    def _describe_share_permission(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_id = _param(params, "ImageId", str, required=True)
        permissions = self.service.share_permissions(caller, image_id, region=region)
        return {
            "SharePermissionSet": [
                {"CreatedTime": format_time(p.shared_at), "AccountId": p.account.id}
                for p in permissions
            ]
        }

    def _modify_image_attribute(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.service.modify_image(
            caller,
            _param(params, "ImageId", str, required=True),
            name=_param(params, "ImageName", str),
            description=_param(params, "ImageDescription", str),
            region=region,
            family=_param(params, "ImageFamily", str),
            deprecated=_param(params, "ImageDeprecated", bool),
        )
        return {}

    def _delete_images(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_ids = _param(params, "ImageIds", list, required=True)
        _param(params, "DeleteBindedSnap", bool, False)  # the fake keeps no snapshots
        self._dry_run(
            params,
            caller,
            lambda: self.service.delete_images(caller, image_ids, region=region),
        )
        return {}

    def _describe_image_quota(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {"ImageNumQuota": self.service.image_quota(caller, region).limit}

    def _run_instances(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        if params.get("LaunchTemplate") is not None:
            raise UnsupportedOperationError(
                "RunInstances from a LaunchTemplate", way_out="give ImageId and Placement"
            )
        placement = _param(params, "Placement", dict, required=True)
        zone = _param(placement, "Zone", str, required=True)
        image_id = _param(params, "ImageId", str, required=True)
        count = _param(params, "InstanceCount", int, 1)
        if not 1 <= count <= MAX_INSTANCE_COUNT:
            raise InvalidParameterError(
                f"InstanceCount must be from 1 to {MAX_INSTANCE_COUNT}, not {count}",
                parameter="InstanceCount",
                value=count,
                code=ErrorCode.INVALID_PARAMETER_VALUE_RANGE,
            )

        def run() -> list[str]:
            with self.service.unit_of_work(accounts=[caller]):  # all the instances or none
                return [
                    self.service.launch_instance(caller, image_id, region=region, zone=zone).id
                    for _ in range(count)
                ]

        launched = self._dry_run(params, caller, run)
        return {} if launched is None else {"InstanceIdSet": launched}

    def _describe_image_from_family(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        family = _param(params, "ImageFamily", str, "")
        # An unknown family, or none, is no error: "没有可用镜像是返回为空".
        image = self.service.describe_image_from_family(caller, region, family) if family else None
        if image is None:
            return {"Image": None}
        kind = image.kind_for(caller)
        assert kind is not None  # the service answers only what the caller sees
        return {"Image": to_api(image, caller, kind=kind)}

    def _describe_import_image_os(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "ImportImageOsListSupported": {
                system: list(names) for system, names in IMPORTABLE_OS_LIST.items()
            },
            "ImportImageOsVersionSet": [
                {
                    "OsName": entry.os_name,
                    "OsVersions": list(entry.versions),
                    "Architecture": list(entry.architectures),
                }
                for entry in IMPORTABLE_OS
            ],
        }

    def _describe_instances(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        wanted = _param(params, "InstanceIds", list)
        filters = _param(params, "Filters", list)
        offset = _param(params, "Offset", int, 0)
        limit = _param(params, "Limit", int, 20)
        if not 1 <= limit <= MAX_DESCRIBED_INSTANCES or offset < 0:
            raise InvalidParameterError(
                f"Limit must be from 1 to {MAX_DESCRIBED_INSTANCES} and Offset at least 0, "
                f"not {limit} and {offset}",
                parameter="Limit",
                value=limit,
                code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT_EXCEEDED,
            )
        if wanted is not None and filters is not None:
            raise InvalidParameterError(
                "DescribeInstances takes InstanceIds or Filters, not both",
                parameter="Filters",
                value=filters,
                code=ErrorCode.INVALID_PARAMETER,
            )
        if wanted is not None and len(wanted) > MAX_DESCRIBED_INSTANCES:
            raise InvalidParameterError(
                f"InstanceIds names {len(wanted)} instances; at most "
                f"{MAX_DESCRIBED_INSTANCES} per request",
                parameter="InstanceIds",
                value=len(wanted),
                code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT_EXCEEDED,
            )
        zones: list[str] | None = None
        if filters is not None:
            wanted, zones, matches_all = _instance_filters(filters)
            if not matches_all:
                return {"TotalCount": 0, "InstanceSet": []}
        if zones is None:
            page = self.service.describe_instances(
                caller, region, instance_ids=wanted, offset=offset, limit=limit
            )
            return {"TotalCount": page.total_count, "InstanceSet": [_instance(i) for i in page]}
        # The zone filter: the instances of those zones, paged here.
        found: list[Instance] = []
        while True:
            page = self.service.describe_instances(
                caller, region, instance_ids=wanted, offset=len(found), limit=100
            )
            found.extend(page)
            if not page.items or len(found) >= page.total_count:
                break
        chosen = [instance for instance in found if instance.placement_zone in zones]
        return {
            "TotalCount": len(chosen),
            "InstanceSet": [_instance(i) for i in chosen[offset : offset + limit]],
        }


#: What an instance type looks like (``S5.MEDIUM4``, ``SA5.MEDIUM2``, ``GN7.2XLARGE32``).
_INSTANCE_TYPE = re.compile(r"[A-Z][A-Z0-9]*\.[A-Z0-9]+")

#: The most instances one DescribeInstances request names (its InstanceIds docstring).
MAX_DESCRIBED_INSTANCES = 100
#: DescribeInstances' filters this fake models; the others are refused as not modelled.
_INSTANCE_FILTERS = ("instance-id", "zone", "instance-state")
#: Every filter DescribeInstances documents (its Filters docstring), modelled or not.
_DOCUMENTED_INSTANCE_FILTERS = frozenset(
    {
        "creation-end-time", "creation-start-time", "dedicated-cluster-id", "host-id",
        "instance-charge-type", "instance-id", "instance-name", "instance-state",
        "ipv6-address", "private-ip-address", "project-id", "public-ip-address",
        "security-group-id", "subnet-id", "tag-key", "tag-value", "uuid", "vpc-id", "zone",
    }
)  # fmt: skip


def _instance_filters(filters: list[Any]) -> tuple[list[str] | None, list[str] | None, bool]:
    """DescribeInstances' *filters*: the instance IDs they allow (None: any), the
    zones they allow (None: any), and whether the state filter lets the fake's
    instances through (they are all RUNNING)."""
    parsed = _filter_values(
        filters, _INSTANCE_FILTERS, "DescribeInstances", documented=_DOCUMENTED_INSTANCE_FILTERS
    )
    ids: list[str] | None = None
    zones: list[str] | None = None
    matches_all = True
    for name, values in parsed:
        if name == "instance-id":
            ids = values if ids is None else [i for i in ids if i in values]
        elif name == "zone":
            zones = values if zones is None else [z for z in zones if z in values]
        else:
            matches_all &= "RUNNING" in values
    return ids, zones, matches_all


def _filter_values(
    filters: list[Any],
    modelled: tuple[str, ...],
    action: str,
    *,
    documented: frozenset[str] = frozenset(),
) -> list[tuple[str, list[str]]]:
    """Each filter's name and values, checked as the API checks them: at most
    10 filters of at most 5 values each."""
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterError(
            f"{action} takes at most {MAX_FILTERS} filters, not {len(filters)}",
            parameter="Filters",
            value=len(filters),
            code=ErrorCode.INVALID_FILTER_VALUE_LIMIT_EXCEEDED,
        )
    parsed = []
    for item in filters:
        if not isinstance(item, Mapping):
            raise InvalidParameterError(
                f"each filter is an object with Name and Values, not {item!r}",
                parameter="Filters",
                value=item,
                code=ErrorCode.INVALID_PARAMETER,
            )
        name = _param(item, "Name", str, required=True)
        values = _param(item, "Values", list, required=True)
        if name not in modelled and name not in documented and not name.startswith("tag:"):
            raise InvalidParameterError(
                f"{action} has no filter {name!r}; its filters are "
                f"{', '.join(sorted(documented | set(modelled)))}",
                parameter="Filters",
                value=name,
                code=ErrorCode.INVALID_FILTER,
            )
        if name not in modelled:
            raise UnsupportedOperationError(
                f"the {action} filter {name!r}",
                way_out=f"this fake models the filters {', '.join(modelled)}",
            )
        if len(values) > MAX_FILTER_VALUES:
            raise InvalidParameterError(
                f"filter {name} takes at most {MAX_FILTER_VALUES} values, not {len(values)}",
                parameter="Filters",
                value=len(values),
                code=ErrorCode.INVALID_FILTER_VALUE_LIMIT_EXCEEDED,
            )
        if not all(isinstance(value, str) for value in values):
            raise InvalidParameterError(
                f"the values of filter {name} must be strings",
                parameter="Filters",
                value=values,
                code=ErrorCode.INVALID_PARAMETER,
            )
        parsed.append((name, values))
    return parsed


def _with_progress(body: dict[str, Any], percent: int | None) -> dict[str, Any]:
    """*body* (an image's JSON object) with its copy's ``SyncPercent`` at *percent*."""
    if percent is not None and body.get("ImageState") == "SYNCING":
        body["SyncPercent"] = percent
    return body


def _flag_text(params: Mapping[str, Any], key: str) -> bool:
    """A flag the API types as a string (CreateImage's ForcePoweroff and Sysprep):
    ``"true"`` or ``"false"`` in any case (packer sends ``"True"``), or a JSON bool."""
    value = params.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidParameterError(
        f"{key} must be true or false, not {value!r}",
        parameter=key,
        value=value,
        code=ErrorCode.INVALID_PARAMETER_VALUE,
    )


def _tag_specification(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The tags a request's ``TagSpecification`` binds to the new image
    (``[{"ResourceType": "image", "Tags": [{"Key", "Value"}]}]``)."""
    specifications = _param(params, "TagSpecification", list, [])
    tags: list[tuple[str, str]] = []
    for specification in specifications:
        if not isinstance(specification, Mapping):
            raise InvalidParameterError(
                f"each TagSpecification is an object, not {specification!r}",
                parameter="TagSpecification",
                value=specification,
                code=ErrorCode.INVALID_PARAMETER,
            )
        resource = _param(specification, "ResourceType", str, required=True)
        if resource != "image":
            raise InvalidParameterError(
                f"an image's TagSpecification binds tags to resource type 'image', not "
                f"{resource!r}",
                parameter="TagSpecification.ResourceType",
                value=resource,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        for tag in _param(specification, "Tags", list, required=True):
            if not isinstance(tag, Mapping):
                raise InvalidParameterError(
                    f"each tag is an object with Key and Value, not {tag!r}",
                    parameter="TagSpecification.Tags",
                    value=tag,
                    code=ErrorCode.INVALID_PARAMETER,
                )
            tags.append(
                (_param(tag, "Key", str, required=True), _param(tag, "Value", str, required=True))
            )
    return tags


def _instance(instance: Instance) -> dict[str, Any]:
    return {
        "InstanceId": instance.id,
        "Placement": {"Zone": instance.placement_zone},
        "ImageId": instance.image_id,
        "OsName": instance.os_name,
        "InstanceState": "RUNNING",
        "CreatedTime": format_time(instance.launched_at),
        "LicenseType": instance.licence_type.value,
        "SystemDisk": {"DiskSize": instance.system_disk_gb},
    }
