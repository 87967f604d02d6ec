"""Charges: what running or keeping something adds to the bill, as values.

The rules that decide the charges live in :mod:`imagecatalog.pricing`.
"""

from __future__ import annotations

import enum

import attrs

from imagecatalog.regions import Region

__all__ = ["Charge", "ChargeItem"]


class ChargeItem(enum.StrEnum):
    """The things the provider bills for, in the catalog's world."""

    #: The Windows licence of an instance, per instance while it runs.
    WINDOWS_LICENCE = "windows-licence"
    #: The snapshots a custom image is stored as, per GiB while it is kept.
    SNAPSHOT_STORAGE = "snapshot-storage"


@attrs.frozen(kw_only=True)
class Charge:
    """One thing that will be billed: what, where, how much of it, and why."""

    item: ChargeItem
    region: Region
    quantity: int
    unit: str
    reason: str
