"""imagecatalog: a cloud provider's catalog of virtual-machine images, with its rules.

Public, custom and shared images the way Tencent Cloud CVM runs them, behind
:class:`ImageService`.  Everything a user needs is importable from here.
"""

from __future__ import annotations

from typing import Any

from imagecatalog._deprecation import deprecated
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.contents import CatalogContents
from imagecatalog.exceptions import (
    AccountAlreadyExistsError,
    AccountNotFoundError,
    DuplicateImageNameError,
    ErrorCode,
    ImageCatalogError,
    ImageNotFoundError,
    InjectedError,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
    PermissionDeniedError,
    QuotaExceededError,
    SchemaVersionError,
    ShareLimitExceededError,
    SharingError,
    SnapshotError,
    StoreError,
    StoreUnavailableError,
    UnsupportedOperationError,
    UntrustedImageError,
)
from imagecatalog.images import (
    Architecture,
    BootMode,
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
from imagecatalog.instances import Instance, InstancePage
from imagecatalog.limits import Limits, Quota
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.query import ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogReader, CatalogStore, ConcurrentCatalogStore
from imagecatalog.service import ImageService, ProviderOperations, UnitOfWork
from imagecatalog.tags import Tag

__all__ = [
    "Account",
    "AccountAlreadyExistsError",
    "AccountNotFoundError",
    "AccountProfile",
    "Architecture",
    "BootMode",
    "CatalogContents",
    "CatalogReader",
    "CatalogStore",
    "ConcurrentCatalogStore",
    "DuplicateImageNameError",
    "ErrorCode",
    "Image",
    "ImageCatalogError",
    "ImageKind",
    "ImageNotFoundError",
    "ImageOrigin",
    "ImagePage",
    "ImageQuery",
    "ImageService",
    "ImageState",
    "InMemoryImageRepository",
    "InjectedError",
    "Instance",
    "InstanceNotFoundError",
    "InstancePage",
    "InvalidImageStateError",
    "InvalidParameterError",
    "LicenceType",
    "Limits",
    "OsType",
    "PermissionDeniedError",
    "ProviderOperations",
    "Quota",
    "QuotaExceededError",
    "Region",
    "SchemaVersionError",
    "ShareLimitExceededError",
    "SharePermission",
    "SharingError",
    "SnapshotError",
    "StoreError",
    "StoreUnavailableError",
    "Support",
    "Tag",
    "UnitOfWork",
    "UnsupportedOperationError",
    "UntrustedImageError",
]


def __getattr__(name: str) -> Any:
    if name == "ImageRepository":
        deprecated("imagecatalog.ImageRepository", "write stores to imagecatalog.CatalogStore")
        from imagecatalog.repository import _LegacyImageRepository

        return _LegacyImageRepository
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
