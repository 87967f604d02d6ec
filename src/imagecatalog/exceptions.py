"""The errors of imagecatalog: one root, one class per kind of broken rule.

Every error carries the provider's error code as ``.code`` (an :class:`ErrorCode`,
which is also a plain ``str``) and the data of the violation as attributes;
its message is built from that data and names the rule, the numbers and the way
out.  Errors survive :mod:`pickle` with their class, code, message and data.

This module imports nothing from the rest of the package, so any layer may use it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, ClassVar

__all__ = [
    "AccountNotFoundError",
    "DuplicateImageNameError",
    "ErrorCode",
    "ImageCatalogError",
    "ImageNotFoundError",
    "InstanceNotFoundError",
    "InvalidImageStateError",
    "InvalidParameterError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "ShareLimitExceededError",
    "SharingError",
    "UntrustedImageError",
]


class ErrorCode(enum.StrEnum):
    """The error codes imagecatalog raises.

    Most are Tencent Cloud CVM's own codes, spelled exactly as the API returns
    them.  The few marked *imagecatalog* in their comment have no provider
    counterpart (the provider documents no code for that case).
    """

    # Identifiers and parameters.
    INVALID_IMAGE_ID_MALFORMED = "InvalidImageId.Malformed"
    INVALID_INSTANCE_ID_MALFORMED = "InvalidInstanceId.Malformed"
    #: imagecatalog: an account ID that is not a string of digits.
    INVALID_ACCOUNT_ID_MALFORMED = "InvalidAccountId.Malformed"
    #: imagecatalog: registering an account that is already registered.
    INVALID_ACCOUNT_ID_DUPLICATE = "InvalidAccountId.Duplicate"
    INVALID_REGION_NOT_FOUND = "InvalidRegion.NotFound"
    INVALID_PARAMETER = "InvalidParameter"
    INVALID_PARAMETER_VALUE = "InvalidParameterValue"
    INVALID_PARAMETER_VALUE_TOO_LARGE = "InvalidParameterValue.TooLarge"
    INVALID_PARAMETER_VALUE_LIMIT = "InvalidParameterValue.InvalidParameterValueLimit"
    INVALID_PARAMETER_VALUE_INVALID_REGION = "InvalidParameterValue.InvalidRegion"
    INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE = "InvalidParameterValue.InvalidLicenseType"
    INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS = (
        "InvalidParameter.InvalidParameterCoexistImageIdsFilters"
    )
    INVALID_PARAMETER_URL_ERROR = "InvalidParameter.InvalidParameterUrlError"
    ISO_MUST_IMPORT_BY_FORCE = "InvalidParameterValue.ISOMustImportByForce"
    INVALID_IMAGE_OS_TYPE_UNSUPPORTED = "InvalidImageOsType.Unsupported"
    INVALID_IMAGE_OS_VERSION_UNSUPPORTED = "InvalidImageOsVersion.Unsupported"
    # Not found.
    INVALID_IMAGE_ID_NOT_FOUND = "InvalidImageId.NotFound"
    INVALID_ACCOUNT_ID_NOT_FOUND = "InvalidAccountId.NotFound"
    INVALID_INSTANCE_ID_NOT_FOUND = "InvalidInstanceId.NotFound"
    # Permission: the caller sees the image but the operation is not theirs.
    IMAGE_NOT_BELONG_TO_ACCOUNT = "UnauthorizedOperation.ImageNotBelongToAccount"
    SHARED_IMAGE_MODIFY_UNSUPPORTED = "UnsupportedOperation.SharedImageModifyUnsupported"
    INVALID_IMAGE_ID_IS_SHARED = "InvalidParameterValue.InvalidImageIdIsShared"
    INVALID_PARAMETER_VALUE_INVALID_IMAGE_ID = "InvalidParameterValue.InvalidImageId"
    # State.
    INVALID_IMAGE_STATE = "InvalidParameterValue.InvalidImageState"
    INVALID_IMAGE_ID_INCORRECT_STATE = "InvalidImageId.IncorrectState"
    # Limits.
    IMAGE_QUOTA_LIMIT_EXCEEDED = "ImageQuotaLimitExceeded"
    OVER_QUOTA = "OverQuota"
    # Sharing.
    ACCOUNT_IS_YOURSELF = "FailedOperation.AccountIsYourSelf"
    ACCOUNT_ALREADY_EXISTS = "FailedOperation.AccountAlreadyExists"
    #: imagecatalog: cancelling a share that does not exist.
    ACCOUNT_NOT_SHARED = "FailedOperation.AccountNotShared"
    BYOL_IMAGE_SHARE_FAILED = "FailedOperation.BYOLImageShareFailed"
    INVALID_IMAGE_ID_IN_SHARED = "InvalidImageId.InShared"
    # Names.
    INVALID_IMAGE_NAME_DUPLICATE = "InvalidImageName.Duplicate"
    #: imagecatalog: launching from a shared image whose owner is not on the
    #: caller's trust list (the seed's "do not accept images from unknown sources").
    UNTRUSTED_SHARED_IMAGE = "UnauthorizedOperation.UntrustedSharedImage"


def _restore(cls: type[ImageCatalogError], args: tuple[Any, ...]) -> ImageCatalogError:
    """Rebuild an error without calling its ``__init__`` (used by pickle)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    return error


class ImageCatalogError(Exception):
    """Root of every error imagecatalog raises.

    ``.code`` is the provider's error code; ``.message`` the human sentence
    (also ``str(error)``).  Subclasses add the data of the violation.
    """

    default_code: ClassVar[ErrorCode] = ErrorCode.INVALID_PARAMETER

    code: str
    message: str

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = ErrorCode(code) if code is not None else self.default_code

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args), self.__dict__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidParameterError(ImageCatalogError, ValueError):
    """An argument is malformed, out of range or of the wrong type.

    ``.parameter`` names the argument and ``.value`` holds what was given.
    """

    default_code = ErrorCode.INVALID_PARAMETER_VALUE

    def __init__(
        self, message: str, *, parameter: str, value: object = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.parameter = parameter
        self.value = value


class ImageNotFoundError(ImageCatalogError, LookupError):
    """No image with that ID is visible to the caller.

    An image that exists but belongs to someone else (and is not shared with
    the caller) is reported exactly like one that does not exist.
    """

    default_code = ErrorCode.INVALID_IMAGE_ID_NOT_FOUND

    def __init__(self, image_id: str, *, account: str | None = None) -> None:
        seen = f"to account {account} " if account is not None else ""
        super().__init__(
            f"image {image_id} was not found {seen}(an image is visible only as a public "
            "image, as its owner's custom image, or in its own region to the accounts it "
            "is shared with); check the ID, or ask its owner to share it"
        )
        self.image_id = image_id
        self.account = account


class AccountNotFoundError(ImageCatalogError, LookupError):
    """The account ID is well formed but no such account is registered."""

    default_code = ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND

    def __init__(self, account: str) -> None:
        super().__init__(
            f"account {account} does not exist; register it first "
            "(ImageService.register_account) or check the root account ID"
        )
        self.account = account


class InstanceNotFoundError(ImageCatalogError, LookupError):
    """No instance with that ID belongs to the caller."""

    default_code = ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND

    def __init__(self, instance_id: str, *, account: str) -> None:
        super().__init__(
            f"instance {instance_id} was not found for account {account}; "
            "an image can only be created from an instance the caller owns"
        )
        self.instance_id = instance_id
        self.account = account


class PermissionDeniedError(ImageCatalogError):
    """The caller can see the image, but the operation is reserved to its owner.

    Raised for public images (nobody may change them) and for images shared
    with the caller (launch only).  ``.code`` tells which rule applied.
    """

    default_code = ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT

    def __init__(
        self, message: str, *, image_id: str, account: str, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.image_id = image_id
        self.account = account


class InvalidImageStateError(ImageCatalogError):
    """The image is not in a state that allows the operation."""

    default_code = ErrorCode.INVALID_IMAGE_STATE

    def __init__(
        self,
        *,
        image_id: str,
        state: str,
        operation: str,
        allowed: Iterable[str],
        code: str | None = None,
    ) -> None:
        allowed = tuple(allowed)
        super().__init__(
            f"cannot {operation} image {image_id}: it is {state}, and {operation} needs "
            f"{' or '.join(allowed)}; wait for it to finish or pick another image",
            code=code,
        )
        self.image_id = image_id
        self.state = state
        self.operation = operation
        self.allowed = allowed


class QuotaExceededError(ImageCatalogError):
    """An account's custom images in one region would exceed its quota."""

    default_code = ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED

    def __init__(self, *, account: str, region: str, limit: int, used: int) -> None:
        super().__init__(
            f"account {account} already has {used} of {limit} custom images in {region}; "
            "delete one or ask for a higher limit"
        )
        self.account = account
        self.region = region
        self.limit = limit
        self.used = used


class ShareLimitExceededError(ImageCatalogError):
    """Sharing would give an image more accounts than the share limit allows."""

    default_code = ErrorCode.OVER_QUOTA

    def __init__(self, *, image_id: str, limit: int, current: int, requested: int) -> None:
        super().__init__(
            f"image {image_id} is shared with {current} of at most {limit} accounts; "
            f"sharing with {requested} more would exceed the limit; cancel some shares "
            "or share a copy of the image"
        )
        self.image_id = image_id
        self.limit = limit
        self.current = current
        self.requested = requested


class SharingError(ImageCatalogError):
    """A sharing rule is broken: sharing with yourself, twice, a BYOL image,
    cancelling a share that does not exist, or deleting an image still shared.

    ``.accounts`` names the accounts concerned (empty when the rule is about
    the image alone).
    """

    default_code = ErrorCode.ACCOUNT_ALREADY_EXISTS

    def __init__(
        self,
        message: str,
        *,
        image_id: str,
        accounts: Iterable[str] = (),
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.image_id = image_id
        self.accounts = tuple(accounts)


class DuplicateImageNameError(ImageCatalogError):
    """The account already has a custom image of that name in that region."""

    default_code = ErrorCode.INVALID_IMAGE_NAME_DUPLICATE

    def __init__(self, *, name: str, account: str, region: str, existing_image_id: str) -> None:
        super().__init__(
            f"account {account} already has a custom image named {name!r} in {region} "
            f"({existing_image_id}); names are unique per account and region: "
            "choose another name or rename the existing image"
        )
        self.name = name
        self.account = account
        self.region = region
        self.existing_image_id = existing_image_id


class UntrustedImageError(ImageCatalogError):
    """The caller keeps a trust list and the shared image's owner is not on it."""

    default_code = ErrorCode.UNTRUSTED_SHARED_IMAGE

    def __init__(self, *, image_id: str, owner: str, account: str) -> None:
        super().__init__(
            f"account {account} trusts only the shared images of the accounts on its "
            f"trust list, and image {image_id} is shared by {owner}, who is not on it; "
            "shared images are not audited by the provider: add the owner to the trust "
            "list (set_trusted_sharers) if you know them"
        )
        self.image_id = image_id
        self.owner = owner
        self.account = account
