"""Storage records: what the catalog writes to disk, and the one storage converter.

What a snapshot file or the SQL store holds is a *record*: an attrs class whose
fields are the stored fields, with plain types (strings, numbers, lists,
times), and which changes only with a new version of the format.  The domain
classes (:class:`~imagecatalog.Image`, ...) may rename or add fields freely; the
functions here map each domain value to its record and back, field by field,
so a renamed domain field is a type error here, never a silently different file.

:data:`STORAGE` is the one private :class:`cattrs.Converter` that turns records
into JSON-ready data and back, strictly (no ``"20"`` for 20), with one time
codec (:func:`encode_time`, :func:`decode_time`); snapshots and the SQL store
both use it.

>>> from imagecatalog.testing import CatalogBuilder
>>> image = CatalogBuilder().custom_image("100000000001", "ap-guangzhou", "web").image("web")
>>> record = image_record(image)
>>> record.created_at == image.created_at, record.region
(True, 'ap-guangzhou')
>>> image_from_record(record) == image
True
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs

from imagecatalog._converters import strict_converter
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.charges import Charge, ChargeItem
from imagecatalog.exceptions import InvalidParameterError
from imagecatalog.images import (
    Architecture,
    BootMode,
    Image,
    ImageOrigin,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
    Support,
)
from imagecatalog.instances import Instance
from imagecatalog.limits import Limits
from imagecatalog.regions import Region
from imagecatalog.tags import Tag

__all__ = [
    "STORAGE",
    "AccountRecord",
    "ChargeRecord",
    "ImageRecord",
    "InstanceRecord",
    "LimitsRecord",
    "ShareRecord",
    "TagRecord",
    "account_from_record",
    "account_record",
    "decode_time",
    "encode_time",
    "from_data",
    "image_from_record",
    "image_record",
    "instance_from_record",
    "instance_record",
    "limits_from_record",
    "limits_record",
    "to_data",
]

_R = TypeVar("_R")


# Times ----------------------------------------------------------------------------------


def encode_time(moment: datetime) -> str:
    """A stored time: ISO 8601 in UTC to the microsecond, fixed width, so that
    the text sorts like the times (``2026-11-27T09:00:00.000000+00:00``)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def decode_time(text: str) -> datetime:
    """A stored time back, in UTC: any ISO 8601 text with an offset (0.1.0's
    snapshots kept the clock's own offset, such as ``+08:00``; the instant is
    what counts).  A time that UTC cannot hold is refused."""
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(f"time {text!r} has no timezone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"time {text!r} is out of range in UTC") from None


# Records (version 2: 0.1.0's fields, and the boot mode) -------------------------------------


@attrs.frozen(kw_only=True)
class ShareRecord:
    account: str
    shared_at: datetime


@attrs.frozen(kw_only=True)
class TagRecord:
    key: str
    value: str


@attrs.frozen(kw_only=True)
class ImageRecord:
    id: str
    name: str
    description: str
    region: str
    owner: str | None
    os_type: str
    platform: str
    os_name: str
    architecture: str
    size_gb: int
    state: str
    origin: str
    created_at: datetime
    licence_type: str
    software: list[str]
    support: str | None
    copied_from: str | None
    shared_with: list[ShareRecord]
    #: Version 2 on (snapshots) and schema 2 on (SQL); version 1 meant "Legacy BIOS".
    boot_mode: str
    #: From 0.2's fidelity to the live API on (schema 3); absent: none, None, False.
    tags: list[TagRecord] = attrs.Factory(list)
    family: str | None = None
    deprecated: bool = False
    encrypted: bool = False
    kms_key_id: str | None = None


@attrs.frozen(kw_only=True)
class ChargeRecord:
    item: str
    region: str
    quantity: int
    unit: str
    reason: str


@attrs.frozen(kw_only=True)
class InstanceRecord:
    id: str
    owner: str
    region: str
    image_id: str
    os_type: str
    platform: str
    os_name: str
    architecture: str
    system_disk_gb: int
    licence_type: str
    launched_at: datetime
    charges: list[ChargeRecord]
    #: Version 2 on (snapshots) and schema 2 on (SQL); version 1 meant "Legacy BIOS".
    boot_mode: str
    #: Schema 3 on; absent: the region's first zone.
    zone: str | None = None


@attrs.frozen(kw_only=True)
class AccountRecord:
    id: str
    #: None: the account keeps no trust list.
    trusted_sharers: list[str] | None = None


@attrs.frozen(kw_only=True)
class LimitsRecord:
    custom_images_per_region: int
    accounts_per_shared_image: int
    quota_overrides: dict[str, int] = attrs.Factory(dict)
    #: Written from 0.2 on; older files mean False (shared images launch-only).
    receivers_may_copy: bool = False


# The converter ---------------------------------------------------------------------------


def _structure_time(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a time string, got {type(value).__name__}")
    return decode_time(value)


def _make_converter() -> cattrs.Converter:
    converter = strict_converter()
    converter.register_structure_hook(datetime, _structure_time)
    converter.register_unstructure_hook(datetime, encode_time)
    return converter


#: The storage converter: records to JSON-ready data (:meth:`~cattrs.Converter.unstructure`)
#: and back (:meth:`~cattrs.Converter.structure`, strict, every bad field named).
STORAGE = _make_converter()


def to_data(record: object) -> dict[str, Any]:
    """*record* as JSON-ready data."""
    data: dict[str, Any] = STORAGE.unstructure(record)
    return data


def from_data(data: Mapping[str, Any], record_type: type[_R]) -> _R:
    """A record of *record_type* from JSON-ready data (raises cattrs' grouped errors)."""
    return STORAGE.structure(dict(data), record_type)


# Domain values <-> records -----------------------------------------------------------------

_E = TypeVar("_E", bound=enum.Enum)


def _enum(enum_type: type[_E], value: str, field: str) -> _E:
    """The member whose value is exactly *value* (stored values are the provider's)."""
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum_type)
        raise InvalidParameterError(
            f"{field} {value!r} is not one of {choices}", parameter=field, value=value
        ) from None


def image_record(image: Image) -> ImageRecord:
    return ImageRecord(
        id=image.id,
        name=image.name,
        description=image.description,
        region=image.region.id,
        owner=None if image.owner is None else image.owner.id,
        os_type=image.os_type.value,
        platform=image.platform,
        os_name=image.os_name,
        architecture=image.architecture.value,
        size_gb=image.size_gb,
        state=image.state.value,
        origin=image.origin.value,
        created_at=image.created_at,
        licence_type=image.licence_type.value,
        software=list(image.software),
        support=None if image.support is None else image.support.value,
        copied_from=image.copied_from,
        shared_with=[
            ShareRecord(account=share.account.id, shared_at=share.shared_at)
            for share in image.shared_with
        ],
        boot_mode=image.boot_mode.value,
        tags=[TagRecord(key=tag.key, value=tag.value) for tag in image.tags],
        family=image.family,
        deprecated=image.deprecated,
        encrypted=image.encrypted,
        kms_key_id=image.kms_key_id,
    )


def image_from_record(record: ImageRecord) -> Image:
    """The image a record holds; a bad value raises the domain's own error."""
    return Image(
        id=record.id,
        name=record.name,
        description=record.description,
        region=Region.of(record.region),
        owner=None if record.owner is None else Account.of(record.owner),
        os_type=_enum(OsType, record.os_type, "os_type"),
        platform=record.platform,
        os_name=record.os_name,
        architecture=_enum(Architecture, record.architecture, "architecture"),
        size_gb=record.size_gb,
        state=_enum(ImageState, record.state, "state"),
        origin=_enum(ImageOrigin, record.origin, "origin"),
        created_at=record.created_at,
        licence_type=_enum(LicenceType, record.licence_type, "licence_type"),
        software=record.software,
        support=None if record.support is None else _enum(Support, record.support, "support"),
        copied_from=record.copied_from,
        shared_with=[
            SharePermission(account=Account.of(share.account), shared_at=share.shared_at)
            for share in record.shared_with
        ],
        boot_mode=_enum(BootMode, record.boot_mode, "boot_mode"),
        tags=[Tag(tag.key, tag.value) for tag in record.tags],
        family=record.family,
        deprecated=record.deprecated,
        encrypted=record.encrypted,
        kms_key_id=record.kms_key_id,
    )


def instance_record(instance: Instance) -> InstanceRecord:
    return InstanceRecord(
        id=instance.id,
        owner=instance.owner.id,
        region=instance.region.id,
        image_id=instance.image_id,
        os_type=instance.os_type.value,
        platform=instance.platform,
        os_name=instance.os_name,
        architecture=instance.architecture.value,
        system_disk_gb=instance.system_disk_gb,
        licence_type=instance.licence_type.value,
        launched_at=instance.launched_at,
        boot_mode=instance.boot_mode.value,
        charges=[
            ChargeRecord(
                item=charge.item.value,
                region=charge.region.id,
                quantity=charge.quantity,
                unit=charge.unit,
                reason=charge.reason,
            )
            for charge in instance.charges
        ],
        zone=instance.zone,
    )


def instance_from_record(record: InstanceRecord) -> Instance:
    return Instance(
        id=record.id,
        owner=Account.of(record.owner),
        region=Region.of(record.region),
        image_id=record.image_id,
        os_type=_enum(OsType, record.os_type, "os_type"),
        platform=record.platform,
        os_name=record.os_name,
        architecture=_enum(Architecture, record.architecture, "architecture"),
        system_disk_gb=record.system_disk_gb,
        licence_type=_enum(LicenceType, record.licence_type, "licence_type"),
        launched_at=record.launched_at,
        boot_mode=_enum(BootMode, record.boot_mode, "boot_mode"),
        charges=[
            Charge(
                item=_enum(ChargeItem, charge.item, "item"),
                region=Region.of(charge.region),
                quantity=charge.quantity,
                unit=charge.unit,
                reason=charge.reason,
            )
            for charge in record.charges
        ],
        zone=record.zone,
    )


def account_record(profile: AccountProfile) -> AccountRecord:
    trusted = profile.trusted_sharers
    return AccountRecord(
        id=profile.id,
        trusted_sharers=None if trusted is None else sorted(account.id for account in trusted),
    )


def account_from_record(record: AccountRecord) -> AccountProfile:
    trusted = record.trusted_sharers
    return AccountProfile(
        account=Account.of(record.id),
        trusted_sharers=None if trusted is None else frozenset(map(Account.of, trusted)),
    )


def limits_record(limits: Limits) -> LimitsRecord:
    return LimitsRecord(
        custom_images_per_region=limits.custom_images_per_region,
        accounts_per_shared_image=limits.accounts_per_shared_image,
        quota_overrides=dict(limits.quota_overrides),
        receivers_may_copy=limits.receivers_may_copy,
    )


def limits_from_record(record: LimitsRecord) -> Limits:
    return Limits(
        custom_images_per_region=record.custom_images_per_region,
        accounts_per_shared_image=record.accounts_per_shared_image,
        quota_overrides=record.quota_overrides,
        receivers_may_copy=record.receivers_may_copy,
    )
