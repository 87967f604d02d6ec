"""imagecatalog: a cloud provider's catalog of virtual-machine images, with its rules.

Public, custom and shared images the way Tencent Cloud CVM runs them, behind
:class:`ImageService`.  Everything a user needs is importable from here.
"""

from __future__ import annotations

from imagecatalog.accounts import Account
from imagecatalog.exceptions import (
    AccountNotFoundError,
    DuplicateImageNameError,
    ErrorCode,
    ImageCatalogError,
    ImageNotFoundError,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
    PermissionDeniedError,
    QuotaExceededError,
    ShareLimitExceededError,
    SharingError,
    UntrustedImageError,
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
    Support,
)
from imagecatalog.instances import Instance
from imagecatalog.limits import Limits, Quota
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.regions import Region
from imagecatalog.repository import ImageRepository
from imagecatalog.service import ImageService

__all__ = [
    "Account",
    "AccountNotFoundError",
    "Architecture",
    "DuplicateImageNameError",
    "ErrorCode",
    "Image",
    "ImageCatalogError",
    "ImageKind",
    "ImageNotFoundError",
    "ImageOrigin",
    "ImagePage",
    "ImageRepository",
    "ImageService",
    "ImageState",
    "InMemoryImageRepository",
    "Instance",
    "InstanceNotFoundError",
    "InvalidImageStateError",
    "InvalidParameterError",
    "LicenceType",
    "Limits",
    "OsType",
    "PermissionDeniedError",
    "Quota",
    "QuotaExceededError",
    "Region",
    "ShareLimitExceededError",
    "SharePermission",
    "SharingError",
    "Support",
    "UntrustedImageError",
]
