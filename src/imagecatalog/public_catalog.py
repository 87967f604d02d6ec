"""The built-in public image catalog (package data).

Every known region holds TencentOS Server, CentOS, Ubuntu, Debian, Rocky Linux,
AlmaLinux, OpenCloudOS and Windows Server images in several versions, x86_64
everywhere and ARM where listed, each with its bundled software and support
channel (the provider for TencentOS, the community or vendor otherwise).  The
list is realistic, not a copy of the provider's live catalog.  Image IDs are
derived from region, name and architecture: stable across runs and releases.

>>> images = builtin_public_images()
>>> guangzhou = [image for image in images if image.region.id == "ap-guangzhou"]
>>> sorted({image.platform for image in guangzhou})  # doctest: +NORMALIZE_WHITESPACE
['AlmaLinux', 'CentOS', 'Debian', 'OpenCloudOS', 'Rocky Linux', 'TencentOS', 'Ubuntu',
 'Windows']
"""

from __future__ import annotations

import functools
import hashlib
import json
import string
from datetime import datetime
from importlib import resources
from typing import Any

from imagecatalog.images import (
    Architecture,
    BootMode,
    Image,
    ImageOrigin,
    ImageState,
    OsType,
    Support,
)
from imagecatalog.regions import Region

__all__ = ["builtin_public_images", "public_image_id"]

_ALPHABET = string.ascii_lowercase + string.digits


def public_image_id(region: Region, name: str, architecture: Architecture) -> str:
    """The stable ID of the built-in public image *name* for *architecture* in *region*."""
    digest = hashlib.sha256(f"{region.id}/{name}/{architecture.value}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    tail = []
    for _ in range(8):
        number, index = divmod(number, len(_ALPHABET))
        tail.append(_ALPHABET[index])
    return "img-" + "".join(tail)


def _load() -> dict[str, Any]:
    text = (resources.files("imagecatalog") / "data" / "public_images.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def builtin_public_images() -> tuple[Image, ...]:
    """Every image of the built-in public catalog, region by region."""
    data = _load()
    arm_regions = set(data["arm_regions"])
    images = []
    for region in Region.all():
        for entry in data["images"]:
            for arch_name in entry["architectures"]:
                architecture = Architecture.parse(arch_name)
                if architecture is Architecture.ARM64 and region.id not in arm_regions:
                    continue
                name = (
                    entry["name"]
                    if architecture is not Architecture.ARM64
                    else (f"{entry['name']} (ARM)")
                )
                images.append(
                    Image(
                        id=public_image_id(region, entry["name"], architecture),
                        name=name,
                        description=f"{entry['name']}, official public image",
                        region=region,
                        owner=None,
                        os_type=OsType(entry["os_type"]),
                        platform=entry["platform"],
                        os_name=entry["name"],
                        architecture=architecture,
                        size_gb=entry["size_gb"],
                        state=ImageState.NORMAL,
                        origin=ImageOrigin.OFFICIAL,
                        created_at=datetime.fromisoformat(entry["published"]),
                        software=entry["software"],
                        # The provider's ARM images boot with UEFI; x86 ones with BIOS.
                        boot_mode=(
                            BootMode.UEFI
                            if architecture is Architecture.ARM64
                            else BootMode.LEGACY_BIOS
                        ),
                        support=(
                            Support.PROVIDER
                            if entry["platform"] == "TencentOS"
                            else Support.COMMUNITY
                        ),
                    )
                )
    return tuple(images)
