"""A downstream user's tool: tidy an account's custom images in one region.

It keeps the newest *keep* images of each name prefix and deletes the rest,
skipping images that are still shared (the provider refuses to delete those).
It knows imagecatalog only through the public API a real client would use.
"""

from __future__ import annotations

from collections import defaultdict

from imagecatalog import Image, ImageKind, ImageService


def stale_images(service: ImageService, account: str, region: str, keep: int = 2) -> list[Image]:
    """The images the janitor would delete, oldest first."""
    page = service.describe_images(account, region, kinds=[ImageKind.CUSTOM], limit=100)
    families: dict[str, list[Image]] = defaultdict(list)
    for image in page.items:
        families[image.name.rsplit("-", 1)[0]].append(image)
    stale: list[Image] = []
    for images in families.values():
        images.sort(key=lambda image: image.created_at, reverse=True)
        stale.extend(image for image in images[keep:] if not image.shared_with)
    return sorted(stale, key=lambda image: image.created_at)


def tidy(service: ImageService, account: str, region: str, keep: int = 2) -> int:
    """Delete the stale images in one call; return how many went."""
    stale = stale_images(service, account, region, keep)
    if stale:
        service.delete_images(account, [image.id for image in stale])
    return len(stale)
