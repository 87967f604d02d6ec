"""What the catalog's operations cost, as the provider's image-types page states it.

That page gives rules, not prices, so this module says *what* is charged, for
*what quantity*, never an amount:

* public images are free to use;
* a Windows image with the provider's licence (``TencentCloud``) carries a
  licence fee in "some regions outside mainland China"; which ones the page does
  not say, so :attr:`Region.windows_licence_fee <imagecatalog.Region.windows_licence_fee>`
  holds the set, by default every region outside mainland China.  This comes
  from that page and is **unverified** against current price lists;
* a custom image is billed as snapshot storage of its size, in its region, for
  as long as it is kept;
* copying an image to another region is free (the copy, once made, is a custom
  image like any other and is billed as storage).

>>> from imagecatalog.public_catalog import builtin_public_images
>>> windows = next(i for i in builtin_public_images()
...                if i.platform == "Windows" and i.region.id == "ap-singapore")
>>> [charge.item.value for charge in launch_charges(windows)]
['windows-licence']
>>> is_free(windows)
False
"""

from __future__ import annotations

from collections.abc import Iterable

from imagecatalog._deprecation import deprecated
from imagecatalog.charges import Charge, ChargeItem
from imagecatalog.images import Image, LicenceType, OsType
from imagecatalog.regions import Region

__all__ = ["Charge", "ChargeItem", "copy_charges", "is_free", "launch_charges", "storage_charges"]


def launch_charges(
    image: Image, *, licence_fee_regions: Iterable[Region | str] | None = None
) -> tuple[Charge, ...]:
    """What launching an instance from *image* adds to the bill (the image itself
    is free; a provider-licensed Windows image may carry a licence fee).

    *licence_fee_regions* replaces the regions where Windows carries a licence
    fee (by default those whose ``windows_licence_fee`` is true).
    """
    if licence_fee_regions is None:
        fee_here = image.region.windows_licence_fee
    else:
        fee_here = image.region in {Region.of(region) for region in licence_fee_regions}
    if (
        image.os_type is OsType.WINDOWS
        and image.licence_type is LicenceType.TENCENT_CLOUD
        and fee_here
    ):
        return (
            Charge(
                item=ChargeItem.WINDOWS_LICENCE,
                region=image.region,
                quantity=1,
                unit="instance",
                reason=(
                    f"Windows licence for an instance of {image.name!r} in {image.region.id}, "
                    "a region outside mainland China (the image-types page's rule; unverified)"
                ),
            ),
        )
    return ()


def storage_charges(image: Image) -> tuple[Charge, ...]:
    """What keeping *image* costs: nothing for a public image, snapshot storage
    of its size in its region for a custom image."""
    if image.is_public:
        return ()
    return (
        Charge(
            item=ChargeItem.SNAPSHOT_STORAGE,
            region=image.region,
            quantity=image.size_gb,
            unit="GiB",
            reason=f"custom image {image.id} is stored as {image.size_gb} GiB of snapshots",
        ),
    )


def copy_charges(image: Image, destinations: Iterable[Region | str]) -> tuple[Charge, ...]:
    """Deprecated: copying is free, so this always returned ``()``.

    A copy, once made, is a custom image billed as storage (:func:`storage_charges`).
    """
    deprecated("pricing.copy_charges()", "copies are free: use storage_charges(copy)")
    return ()


def is_free(image: Image) -> bool:
    """True when launching from and keeping *image* costs nothing."""
    return not launch_charges(image) and not storage_charges(image)
