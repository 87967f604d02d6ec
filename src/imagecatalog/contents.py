"""The whole catalog as one value: what a snapshot holds and a store can load.

>>> from imagecatalog import ImageService
>>> service = ImageService()
>>> _ = service.register_account("100000000001")
>>> contents = service.contents()
>>> [profile.id for profile in contents.accounts], contents.images
(['100000000001'], ())
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from imagecatalog.accounts import AccountProfile
from imagecatalog.images import Image
from imagecatalog.instances import Instance
from imagecatalog.limits import Limits

__all__ = ["CatalogContents"]


def _profiles(values: Iterable[AccountProfile]) -> tuple[AccountProfile, ...]:
    return tuple(values)


def _images(values: Iterable[Image]) -> tuple[Image, ...]:
    return tuple(values)


def _instances(values: Iterable[Instance]) -> tuple[Instance, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class CatalogContents:
    """Everything a catalog holds: accounts with their trust lists (in the order
    they were registered), images with their shares (in listing order),
    instances (in launch order), and the limits the catalog enforces."""

    accounts: tuple[AccountProfile, ...] = attrs.field(converter=_profiles)
    images: tuple[Image, ...] = attrs.field(converter=_images)
    instances: tuple[Instance, ...] = attrs.field(converter=_instances)
    limits: Limits = attrs.Factory(Limits)
