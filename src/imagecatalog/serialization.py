"""Speak the provider's language: CVM API JSON in and out.

One private :class:`cattrs.Converter` does all the work, with hooks on private
wire classes whose fields are named exactly like the provider's JSON keys (so
that an error's JSON path is the provider's path, ``$.ImageSize``).  The domain
classes carry no serialization hooks.

* :func:`to_api` gives the provider's ``Image`` object, all 20 keys, as one
  viewer sees the image; :func:`from_api` reads one back (both time forms,
  unknown keys tolerated, wrong types or values refused with the JSON path of
  every bad field).
* :func:`describe_images_response`, :func:`share_permissions_response` and
  :func:`error_response` build the ``{"Response": ...}`` envelopes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import cattrs

from imagecatalog._converters import strict_converter
from imagecatalog.accounts import Account
from imagecatalog.exceptions import (
    ErrorCode,
    ImageCatalogError,
    ImageNotFoundError,
    InvalidParameterError,
)
from imagecatalog.images import (
    Architecture,
    Image,
    ImageKind,
    ImageOrigin,
    ImagePage,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
)
from imagecatalog.regions import Region
from imagecatalog.tags import check_tags

__all__ = [
    "API_IMAGE_KEYS",
    "TENCENT",
    "describe_images_response",
    "error_response",
    "format_time",
    "from_api",
    "parse_time",
    "share_permissions_response",
    "to_api",
    "to_api_json",
]

#: ``ImageCreator`` of public images.
TENCENT = "tencent"


# Times ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def format_time(moment: datetime) -> str:
    """The provider's time form: ISO 8601 in UTC, to the second, ``Z``."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_time(text: str) -> datetime:
    """Read ``2020-09-22T00:00:00Z`` or ``2020-09-22T00:00:00+00:00`` (any offset)."""
    if not isinstance(text, str):
        raise TypeError(f"expected a time string, got {type(text).__name__}")
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(f"time {text!r} has no timezone; expected ...Z or ...+00:00")
    return moment.astimezone(UTC)


# Wire classes: one field per JSON key, named like the key -------------------------------


@attrs.frozen(kw_only=True)
class _Snapshot:
    SnapshotId: str
    DiskUsage: str
    DiskSize: int


@attrs.frozen(kw_only=True)
class _Tag:
    Key: str
    Value: str


@attrs.frozen(kw_only=True)
class _ApiImage:
    """The provider's ``Image`` object, keys in the SDK's order."""

    ImageId: str
    OsName: str
    ImageType: ImageKind
    CreatedTime: datetime
    ImageName: str
    ImageDescription: str = ""
    ImageSize: int
    Architecture: Architecture
    ImageState: ImageState
    Platform: str
    ImageCreator: str
    ImageSource: ImageOrigin | None = None
    SyncPercent: int | None = None
    IsSupportCloudinit: bool = True
    SnapshotSet: list[_Snapshot] = attrs.Factory(list)
    Tags: list[_Tag] = attrs.Factory(list)
    LicenseType: LicenceType = LicenceType.TENCENT_CLOUD
    ImageFamily: str = ""
    ImageDeprecated: bool = False
    CdcCacheStatus: str = ""


#: The 20 keys of the provider's ``Image`` object, in the SDK's order.
API_IMAGE_KEYS: tuple[str, ...] = tuple(field.name for field in attrs.fields(_ApiImage))


@attrs.frozen(kw_only=True)
class _SharePermission:
    CreatedTime: datetime
    AccountId: str


# The converter ------------------------------------------------------------------------


def _make_converter() -> cattrs.Converter:
    converter = strict_converter()
    converter.register_structure_hook(datetime, lambda value, _: parse_time(value))
    converter.register_unstructure_hook(datetime, format_time)
    return converter


_CONVERTER = _make_converter()


def _structure_error(error: Exception, what: str) -> InvalidParameterError:
    problems = cattrs.transform_error(error, path="$")
    return InvalidParameterError(
        f"{what} is not valid: {'; '.join(problems)}",
        parameter="data",
        value=None,
        code=ErrorCode.INVALID_PARAMETER,
    )


# Images -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _snapshot_id(image_id: str) -> str:
    digest = hashlib.sha256(image_id.encode()).hexdigest()
    return f"snap-{digest[:8]}"


def to_api(image: Image, viewer: Account | str, *, kind: ImageKind | None = None) -> dict[str, Any]:
    """The provider's ``Image`` object for *image* as *viewer* sees it.

    ``ImageType`` is relative to the viewer (*kind*, when the caller knows it
    already, as a listing's ``page.kinds`` does); ``ImageCreator`` is ``"tencent"``
    for public images and the owner's account ID otherwise; ``SyncPercent`` is
    null unless the image is being copied; a custom image lists the system-disk
    snapshot it is stored as.  An image the viewer cannot see raises
    :class:`~imagecatalog.ImageNotFoundError`.

    >>> from imagecatalog.testing import CatalogBuilder
    >>> builder = CatalogBuilder().custom_image("100000000001", "ap-guangzhou", "web")
    >>> data = to_api(builder.image("web"), "100000000001")
    >>> data["ImageType"], data["ImageCreator"], data["CreatedTime"], len(data)
    ('PRIVATE_IMAGE', '100000000001', '2026-11-27T09:00:02Z', 20)
    """
    if kind is None:
        account = Account.of(viewer)
        kind = image.kind_for(account)
        if kind is None:
            raise ImageNotFoundError(image.id, account=account)
    return _api_image(image, kind)


def _api_image(image: Image, kind: ImageKind) -> dict[str, Any]:
    """The provider's ``Image`` object of *image* as seen as *kind*."""
    # Built key by key, in the wire class's order (_wire is the same object through
    # the converter, slower; a test holds the two equal).
    owner = image.owner
    return {
        "ImageId": image.id,
        "OsName": image.os_name,
        "ImageType": kind._value_,
        "CreatedTime": format_time(image.created_at),
        "ImageName": image.name,
        "ImageDescription": image.description,
        "ImageSize": image.size_gb,
        "Architecture": image.architecture._value_,
        "ImageState": image.state._value_,
        "Platform": image.platform,
        "ImageCreator": TENCENT if owner is None else owner.id,
        "ImageSource": image.origin._value_,
        "SyncPercent": 0 if image.state is _SYNCING else None,
        "IsSupportCloudinit": image.os_type is _LINUX,
        "SnapshotSet": []
        if owner is None
        else [
            {
                "SnapshotId": _snapshot_id(image.id),
                "DiskUsage": "SYSTEM_DISK",
                "DiskSize": image.size_gb,
            }
        ],
        "Tags": [{"Key": tag.key, "Value": tag.value} for tag in image.tags],
        "LicenseType": image.licence_type._value_,
        "ImageFamily": image.family or "",
        "ImageDeprecated": image.deprecated,
        "CdcCacheStatus": "",
    }


#: Rendered Image objects, by the image's identity: an image is an immutable value,
#: so its JSON, as one kind of viewer sees it, never changes (bounded; thread-safe
#: as dict operations are).
_RENDERED: dict[int, tuple[Image, ImageKind, str]] = {}
_RENDERED_MAX = 4096


def to_api_json(image: Image, kind: ImageKind) -> str:
    """The JSON text of :func:`to_api` for *image* as seen as *kind*, made once per
    image and kind (repeated listings render nothing again)."""
    cached = _RENDERED.get(id(image))
    if cached is not None and cached[0] is image and cached[1] is kind:
        return cached[2]
    text = json.dumps(_api_image(image, kind), separators=(",", ":"))
    if len(_RENDERED) >= _RENDERED_MAX:
        _RENDERED.clear()
    _RENDERED[id(image)] = (image, kind, text)
    return text


def _wire(image: Image, kind: ImageKind) -> _ApiImage:
    """The wire class of *image* as seen as *kind* (the reference :func:`to_api` follows)."""
    snapshots = (
        []
        if image.owner is None
        else [
            _Snapshot(
                SnapshotId=_snapshot_id(image.id), DiskUsage="SYSTEM_DISK", DiskSize=image.size_gb
            )
        ]
    )
    return _ApiImage(
        ImageId=image.id,
        OsName=image.os_name,
        ImageType=kind,
        CreatedTime=image.created_at,
        ImageName=image.name,
        ImageDescription=image.description,
        ImageSize=image.size_gb,
        Architecture=image.architecture,
        ImageState=image.state,
        Platform=image.platform,
        ImageCreator=TENCENT if image.owner is None else image.owner.id,
        ImageSource=image.origin,
        SyncPercent=0 if image.state is ImageState.SYNCING else None,
        IsSupportCloudinit=image.os_type is OsType.LINUX,
        SnapshotSet=snapshots,
        Tags=[_Tag(Key=tag.key, Value=tag.value) for tag in image.tags],
        LicenseType=image.licence_type,
        ImageFamily=image.family or "",
        ImageDeprecated=image.deprecated,
    )


_SYNCING, _LINUX = ImageState.SYNCING, OsType.LINUX


def from_api(
    data: Mapping[str, Any], *, region: Region | str, viewer: Account | str | None = None
) -> Image:
    """Read the provider's ``Image`` object back into an :class:`~imagecatalog.Image`.

    The object carries no region (the request does), so give *region*.  A
    ``SHARED_IMAGE`` read for *viewer* comes back shared with that viewer.
    ``CreatedTime`` may end in ``Z`` or ``+00:00``; unknown keys are ignored
    (the provider adds keys over time); wrong types or values raise
    :class:`~imagecatalog.InvalidParameterError` naming the JSON path of every
    bad field.  ``Tags``, ``ImageFamily`` and ``ImageDeprecated`` are kept;
    keys the model does not keep (``SnapshotSet``, ``SyncPercent``, ...) are
    checked, then dropped.
    """
    place = Region.of(region)
    try:
        wire = _CONVERTER.structure(dict(data), _ApiImage)
    except Exception as error:  # cattrs groups every field's error
        raise _structure_error(error, "the Image object") from None
    public = wire.ImageType is ImageKind.PUBLIC
    if public != (wire.ImageCreator == TENCENT):
        raise InvalidParameterError(
            f"the Image object is not valid: ImageType {wire.ImageType.value} does not fit "
            f"ImageCreator {wire.ImageCreator!r} @ $.ImageCreator",
            parameter="data",
            value=wire.ImageCreator,
        )
    owner = None if public else Account.of(wire.ImageCreator)
    shares: tuple[SharePermission, ...] = ()
    if wire.ImageType is ImageKind.SHARED and viewer is not None:
        shares = (SharePermission(account=Account.of(viewer), shared_at=wire.CreatedTime),)
    origin = wire.ImageSource or (ImageOrigin.OFFICIAL if public else ImageOrigin.CREATE_IMAGE)
    try:
        return Image(
            id=wire.ImageId,
            name=wire.ImageName,
            description=wire.ImageDescription,
            region=place,
            owner=owner,
            os_type=OsType.WINDOWS if wire.Platform == "Windows" else OsType.LINUX,
            platform=wire.Platform,
            os_name=wire.OsName,
            architecture=wire.Architecture,
            size_gb=wire.ImageSize,
            state=wire.ImageState,
            origin=origin,
            created_at=wire.CreatedTime,
            licence_type=wire.LicenseType,
            shared_with=shares,
            tags=check_tags([(tag.Key, tag.Value) for tag in wire.Tags], creating=False),
            family=wire.ImageFamily or None,
            deprecated=wire.ImageDeprecated,
        )
    except InvalidParameterError as error:
        raise InvalidParameterError(
            f"the Image object is not valid: {error.message}",
            parameter="data",
            value=error.value,
            code=error.code,
        ) from None


# Envelopes ----------------------------------------------------------------------------


def _request_id(request_id: str | None) -> str:
    return str(uuid.uuid4()) if request_id is None else request_id


def describe_images_response(
    page: ImagePage, viewer: Account | str, *, request_id: str | None = None
) -> dict[str, Any]:
    """A DescribeImages response: ``ImageSet``, ``TotalCount``, ``RequestId``."""
    return {
        "Response": {
            "TotalCount": page.total_count,
            "ImageSet": [
                to_api(image, viewer, kind=kind)
                for image, kind in zip(page.items, page.kinds or [None] * len(page), strict=True)
            ],
            "RequestId": _request_id(request_id),
        }
    }


def share_permissions_response(
    permissions: Iterable[SharePermission], *, request_id: str | None = None
) -> dict[str, Any]:
    """A DescribeImageSharePermission response: ``SharePermissionSet``, ``RequestId``."""
    wire = [
        _SharePermission(CreatedTime=permission.shared_at, AccountId=permission.account.id)
        for permission in permissions
    ]
    return {
        "Response": {
            "SharePermissionSet": _CONVERTER.unstructure(wire),
            "RequestId": _request_id(request_id),
        }
    }


def error_response(error: ImageCatalogError, *, request_id: str | None = None) -> dict[str, Any]:
    """The provider's error envelope for *error*: its code and message."""
    return {
        "Response": {
            "Error": {"Code": str(error.code), "Message": error.message},
            "RequestId": _request_id(request_id),
        }
    }
