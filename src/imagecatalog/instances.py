"""Instances: what images are for.

The catalog models an instance only as far as images need it: who owns it,
where it runs, which image it was launched from and what it carries over into
an image created from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

import attrs

from imagecatalog._validation import require_identifier, require_str
from imagecatalog.accounts import Account
from imagecatalog.charges import Charge
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import Architecture, BootMode, LicenceType, OsType
from imagecatalog.regions import Region

__all__ = ["Instance", "InstancePage", "check_instance_id"]

_INSTANCE_ID = re.compile(r"ins-[a-z0-9]{8}")


def check_instance_id(value: object, parameter: str = "instance ID") -> str:
    """Return *value* if it is a well-formed instance ID (``ins-`` + 8 of a-z, 0-9)."""
    return require_identifier(
        value,
        parameter,
        _INSTANCE_ID,
        "'ins-' followed by 8 lowercase letters or digits, such as 'ins-r8hr2upy'",
        ErrorCode.INVALID_INSTANCE_ID_MALFORMED,
    )


def _charges(values: Iterable[Charge]) -> tuple[Charge, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class Instance:
    """A virtual machine launched from an image, in the image's region."""

    id: str = attrs.field(validator=lambda _, a, v: check_instance_id(v, a.name))
    owner: Account
    region: Region
    image_id: str
    os_type: OsType
    platform: str
    os_name: str
    architecture: Architecture
    system_disk_gb: int
    licence_type: LicenceType
    #: How the instance boots: as the image it was launched from.
    boot_mode: BootMode = BootMode.LEGACY_BIOS
    launched_at: datetime
    #: What running this instance adds to the bill (see :mod:`imagecatalog.pricing`).
    charges: tuple[Charge, ...] = attrs.field(default=(), converter=_charges)
    #: The availability zone it runs in (RunInstances' ``Placement.Zone``), a zone
    #: of its region; None: the region's first zone, as instances launched
    #: before zones were kept.
    zone: str | None = attrs.field(default=None)

    @zone.validator
    def _validate_zone(self, _: attrs.Attribute[str | None], value: object) -> None:
        if value is not None:
            check_zone(value, self.region)

    @property
    def placement_zone(self) -> str:
        """The zone the instance runs in: its own, or its region's first."""
        return self.zone if self.zone is not None else f"{self.region.id}-1"


def check_zone(value: object, region: Region) -> str:
    """Return *value* if it names an availability zone of *region*
    (``<region>-<number>``, such as ``ap-guangzhou-3``)."""
    zone = require_str(value, "zone")
    prefix = f"{region.id}-"
    number = zone[len(prefix) :]
    if not (zone.startswith(prefix) and number.isascii() and number.isdigit() and len(zone) <= 40):
        raise InvalidParameterError(
            f"zone {zone!r} is not a zone of {region.id}: zones of {region.id} are "
            f"{prefix}<number>, such as {prefix}1",
            parameter="zone",
            value=value,
            code=ErrorCode.INVALID_ZONE_MISMATCH_REGION,
        )
    return zone


def _instances(values: Iterable[Instance]) -> tuple[Instance, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class InstancePage:
    """One page of an account's instances, and how many it has in all.

    A page is a sequence of its instances: iterate it, index it, take its ``len``.
    """

    items: tuple[Instance, ...] = attrs.field(converter=_instances)
    total_count: int
    offset: int = 0
    limit: int = 20

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Instance]:
        return iter(self.items)

    def __getitem__(self, index: int) -> Instance:
        return self.items[index]
