"""The errors of imagecatalog: one root, one class per kind of broken rule.

Every error carries the provider's error code as ``.code`` (an :class:`ErrorCode`,
which is also a plain ``str``) and the data of the violation as attributes, as
values (an :class:`~imagecatalog.Account`, a :class:`~imagecatalog.Region`, an
:class:`~imagecatalog.ImageState`, an :class:`~imagecatalog.lifecycle.Operation`);
its message is built from that data and names the rule, the numbers and the way
out.  Errors survive :mod:`pickle` with their class, code, message and data.

The family, and the builtin each branch also is::

    ImageCatalogError
    ├── InvalidParameterError (ValueError)        an argument is malformed or out of range
    │   ├── AccountAlreadyExistsError             registering an account twice
    │   ├── SnapshotError                         a snapshot cannot be loaded
    │   └── SchemaVersionError (StoreError too)   a database of another schema version
    ├── ImageNotFoundError (LookupError)          not visible to the caller (never "forbidden")
    ├── AccountNotFoundError (LookupError)
    ├── InstanceNotFoundError (LookupError)
    ├── PermissionDeniedError (PermissionError)   visible, but the operation is the owner's
    ├── InvalidImageStateError                    the image's state does not allow it
    ├── QuotaExceededError, ShareLimitExceededError
    ├── SharingError, DuplicateImageNameError, UntrustedImageError
    ├── UnsupportedOperationError                 what imagecatalog does not model
    ├── InjectedError                             a fault a test injected into the fake API
    └── StoreError                                the store failed (not a rule)

This module imports nothing from the rest of the package at run time (the values
it carries are only named in annotations), so any layer may use it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from imagecatalog.accounts import Account
    from imagecatalog.images import ImageKind, ImageState
    from imagecatalog.lifecycle import Operation
    from imagecatalog.regions import Region

__all__ = [
    "AccountAlreadyExistsError",
    "AccountNotFoundError",
    "DuplicateImageNameError",
    "ErrorCode",
    "ImageCatalogError",
    "ImageNotFoundError",
    "InjectedError",
    "InstanceNotFoundError",
    "InvalidImageStateError",
    "InvalidParameterError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "SchemaVersionError",
    "ShareLimitExceededError",
    "SharingError",
    "SnapshotError",
    "StoreError",
    "StoreUnavailableError",
    "UnsupportedOperationError",
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
    INVALID_ZONE_MISMATCH_REGION = "InvalidZone.MismatchRegion"
    INVALID_PARAMETER = "InvalidParameter"
    INVALID_PARAMETER_VALUE = "InvalidParameterValue"
    INVALID_PARAMETER_VALUE_TOO_LARGE = "InvalidParameterValue.TooLarge"
    INVALID_PARAMETER_VALUE_LIMIT = "InvalidParameterValue.InvalidParameterValueLimit"
    INVALID_PARAMETER_VALUE_LIMIT_EXCEEDED = "InvalidParameterValue.LimitExceeded"
    INVALID_PARAMETER_VALUE_INVALID_REGION = "InvalidParameterValue.InvalidRegion"
    INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE = "InvalidParameterValue.InvalidLicenseType"
    INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS = (
        "InvalidParameter.InvalidParameterCoexistImageIdsFilters"
    )
    INVALID_PARAMETER_SPECIFY_ONE_PARAMETER = "InvalidParameter.SpecifyOneParameter"
    INVALID_PARAMETER_CONFLICT = "InvalidParameterConflict"
    INVALID_PARAMETER_INVALID_DEPENDENCE = "InvalidParameter.InvalidDependence"
    DATA_DISK_NOT_BELONG_SPECIFIED_INSTANCE = "InvalidParameter.DataDiskNotBelongSpecifiedInstance"
    INVALID_PARAMETER_VALUE_RANGE = "InvalidParameterValue.Range"
    INVALID_INSTANCE_TYPE_MALFORMED = "InvalidInstanceType.Malformed"
    INVALID_PARAMETER_URL_ERROR = "InvalidParameter.InvalidParameterUrlError"
    ISO_MUST_IMPORT_BY_FORCE = "InvalidParameterValue.ISOMustImportByForce"
    INVALID_IMAGE_OS_TYPE_UNSUPPORTED = "InvalidImageOsType.Unsupported"
    INVALID_IMAGE_OS_VERSION_UNSUPPORTED = "InvalidImageOsVersion.Unsupported"
    INVALID_BOOT_MODE = "InvalidParameterValue.InvalidBootMode"
    # The API's request checks (common codes of API 3.0 and DescribeImages' filters).
    MISSING_PARAMETER = "MissingParameter"
    #: A request parameter the action does not define (one of the API's common codes).
    UNKNOWN_PARAMETER = "UnknownParameter"
    INVALID_FILTER = "InvalidFilter"
    INVALID_FILTER_VALUE_LIMIT_EXCEEDED = "InvalidFilterValue.LimitExceeded"
    UNSUPPORTED_OPERATION = "UnsupportedOperation"
    # Not found.
    INVALID_IMAGE_ID_NOT_FOUND = "InvalidImageId.NotFound"
    INVALID_ACCOUNT_ID_NOT_FOUND = "InvalidAccountId.NotFound"
    INVALID_INSTANCE_ID_NOT_FOUND = "InvalidInstanceId.NotFound"
    # Permission: the caller sees the image but the operation is not theirs.
    IMAGE_NOT_BELONG_TO_ACCOUNT = "UnauthorizedOperation.ImageNotBelongToAccount"
    #: The API's common code for an operation the caller may not do.
    UNAUTHORIZED_OPERATION = "UnauthorizedOperation"
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
    #: imagecatalog: cancelling a share that does not exist (ImageService only; the
    #: live API's CANCEL passes such accounts over, and so does the SDK fake).
    ACCOUNT_NOT_SHARED = "FailedOperation.AccountNotShared"
    BYOL_IMAGE_SHARE_FAILED = "FailedOperation.BYOLImageShareFailed"
    ENCRYPTED_IMAGES_NOT_SUPPORTED = "UnsupportedOperation.EncryptedImagesNotSupported"
    SYNC_ENCRYPT_IMAGE_NOT_SUPPORT = "UnsupportedOperation.SyncEncryptImageNotSupport"
    INVALID_KMS_KEY_ID = "InvalidParameter.InvalidKmsKeyId"
    INVALID_IMAGE_ID_IN_SHARED = "InvalidImageId.InShared"
    # Names.
    INVALID_IMAGE_NAME_DUPLICATE = "InvalidImageName.Duplicate"
    # Tags (the SDK's errorcodes.py) and image families.
    TAG_QUOTA_LIMIT_EXCEEDED = "InvalidParameterValue.TagQuotaLimitExceeded"
    ILLEGAL_TAG_KEY = "FailedOperation.IllegalTagKey"
    ILLEGAL_TAG_VALUE = "FailedOperation.IllegalTagValue"
    TAG_KEY_RESERVED = "FailedOperation.TagKeyReserved"
    DUPLICATE_TAGS = "InvalidParameterValue.DuplicateTags"
    INVALID_IMAGE_FAMILY = "InvalidParameterValue.InvalidImageFamily"
    #: imagecatalog: launching from a shared image whose owner is not on the
    #: caller's trust list (the provider's warning: "do not accept images from
    #: unknown sources").
    UNTRUSTED_SHARED_IMAGE = "UnauthorizedOperation.UntrustedSharedImage"
    # Failures that are not the caller's: the provider's common code.
    INTERNAL_ERROR = "InternalError"
    #: A common code: the service cannot answer now (its store is away or busy).
    SERVICE_UNAVAILABLE = "ServiceUnavailable"


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


class AccountAlreadyExistsError(InvalidParameterError):
    """Registering an account that is already registered (``.account``)."""

    default_code = ErrorCode.INVALID_ACCOUNT_ID_DUPLICATE

    def __init__(self, account: Account) -> None:
        super().__init__(
            f"account {account.id} is already registered; use it as it is, or pass "
            "exist_ok=True to register_account",
            parameter="account_id",
            value=account.id,
        )
        self.account = account


class SnapshotError(InvalidParameterError):
    """A snapshot cannot be loaded: not a snapshot, a newer version, a bad field,
    or a catalog that breaks a rule.  Nothing was loaded.

    Also an :class:`InvalidParameterError`, which is what 0.1.0 raised.
    """

    def __init__(self, problem: str, *, value: object = None) -> None:
        super().__init__(
            f"the snapshot cannot be loaded: {problem}; nothing was loaded",
            parameter="snapshot",
            value=value,
        )
        self.problem = problem


class ImageNotFoundError(ImageCatalogError, LookupError):
    """No image with that ID is visible to the caller (in the region asked, if one was).

    An image that exists but belongs to someone else (and is not shared with
    the caller) is reported exactly like one that does not exist.
    """

    default_code = ErrorCode.INVALID_IMAGE_ID_NOT_FOUND

    def __init__(
        self, image_id: str, *, account: Account | None = None, region: Region | None = None
    ) -> None:
        seen = f"to account {account.id} " if account is not None else ""
        where = f"in {region.id} " if region is not None else ""
        super().__init__(
            f"image {image_id} was not found {seen}{where}(an image is visible only as a "
            "public image, as its owner's custom image, or in its own region to the accounts "
            "it is shared with); check the ID and the region, or ask its owner to share it"
        )
        self.image_id = image_id
        self.account = account
        self.region = region


class AccountNotFoundError(ImageCatalogError, LookupError):
    """The account ID is well formed but no such account is registered."""

    default_code = ErrorCode.INVALID_ACCOUNT_ID_NOT_FOUND

    def __init__(self, account: Account) -> None:
        super().__init__(
            f"account {account.id} does not exist; register it first "
            "(ImageService.register_account) or check the root account ID"
        )
        self.account = account


class InstanceNotFoundError(ImageCatalogError, LookupError):
    """No instance with that ID belongs to the caller (in the region asked, if one was)."""

    default_code = ErrorCode.INVALID_INSTANCE_ID_NOT_FOUND

    def __init__(self, instance_id: str, *, account: Account, region: Region | None = None) -> None:
        where = f" in {region.id}" if region is not None else ""
        super().__init__(
            f"instance {instance_id} was not found for account {account.id}{where}; "
            "an image can only be created from an instance the caller owns"
        )
        self.instance_id = instance_id
        self.account = account
        self.region = region


class PermissionDeniedError(ImageCatalogError, PermissionError):
    """The caller can see the image, but the operation is reserved to its owner.

    Raised for public images (nobody may change them) and for images shared
    with the caller (launch only).  ``.kind`` says which the image is to the
    caller, ``.operation`` what was tried; ``.code`` tells which rule applied.
    """

    default_code = ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT

    def __init__(
        self,
        *,
        image_id: str,
        account: Account,
        operation: Operation,
        kind: ImageKind,
        code: str | None = None,
    ) -> None:
        if kind.name == "PUBLIC":
            why = "it is a public image, which belongs to the provider"
            way_out = operation.public_way_out
        else:
            why = (
                f"it is shared with account {account.id} by another account, and shared "
                "images are launch-only"
            )
            way_out = operation.shared_way_out
        super().__init__(f"cannot {operation.value} image {image_id}: {why}; {way_out}", code=code)
        self.image_id = image_id
        self.account = account
        self.operation = operation
        self.kind = kind


class InvalidImageStateError(ImageCatalogError):
    """The image is not in a state that allows the operation.

    ``.state`` is the image's :class:`~imagecatalog.ImageState`, ``.allowed``
    the states the operation needs (sorted), ``.operation`` what was tried.
    *reason*, when given, says why instead of the states.
    """

    default_code = ErrorCode.INVALID_IMAGE_STATE

    def __init__(
        self,
        *,
        image_id: str,
        state: ImageState,
        operation: Operation,
        allowed: Iterable[ImageState],
        code: str | None = None,
        reason: str | None = None,
    ) -> None:
        needs = tuple(sorted(allowed, key=lambda member: member.value))
        super().__init__(
            f"cannot {operation.value} image {image_id}: "
            + (
                reason
                or f"it is {state.value}, and {operation.value} needs "
                f"{' or '.join(member.value for member in needs)}; wait for it to finish "
                "or pick another image"
            ),
            code=code,
        )
        self.image_id = image_id
        self.state = state
        self.operation = operation
        self.allowed = needs


class QuotaExceededError(ImageCatalogError):
    """An account's custom images in one region would exceed its quota."""

    default_code = ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED

    def __init__(self, *, account: Account, region: Region, limit: int, used: int) -> None:
        state = (
            f"already has {used} of {limit} custom images in {region.id}"
            if used <= limit
            else f"has {used} custom images in {region.id}, over its quota of {limit}"
        )
        super().__init__(f"account {account.id} {state}; delete one or ask for a higher limit")
        self.account = account
        self.region = region
        self.limit = limit
        self.used = used


class ShareLimitExceededError(ImageCatalogError):
    """Sharing would give an image more accounts than the share limit allows."""

    default_code = ErrorCode.OVER_QUOTA

    def __init__(self, *, image_id: str, limit: int, current: int, requested: int) -> None:
        if requested:
            state = (
                f"image {image_id} is shared with {current} of at most {limit} accounts; "
                f"sharing with {requested} more would exceed the share limit"
            )
        else:
            state = (
                f"image {image_id} is shared with {current} accounts, over the share "
                f"limit of {limit}"
            )
        super().__init__(f"{state}; cancel some shares or share a copy of the image")
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
        accounts: Iterable[Account] = (),
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.image_id = image_id
        self.accounts = tuple(accounts)


class DuplicateImageNameError(ImageCatalogError):
    """The account already has a custom image of that name in that region."""

    default_code = ErrorCode.INVALID_IMAGE_NAME_DUPLICATE

    def __init__(
        self, *, name: str, account: Account, region: Region, existing_image_id: str
    ) -> None:
        super().__init__(
            f"account {account.id} already has a custom image named {name!r} in {region.id} "
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

    def __init__(self, *, image_id: str, owner: Account, account: Account) -> None:
        super().__init__(
            f"account {account.id} trusts only the shared images of the accounts on its "
            f"trust list, and image {image_id} is shared by {owner.id}, who is not on it; "
            "shared images are not audited by the provider: add the owner to the trust "
            "list (set_trusted_sharers) if you know them"
        )
        self.image_id = image_id
        self.owner = owner
        self.account = account


class UnsupportedOperationError(ImageCatalogError):
    """Something the provider offers that imagecatalog does not model: an action,
    a parameter or a way of calling one.  ``.feature`` names it."""

    default_code = ErrorCode.UNSUPPORTED_OPERATION

    def __init__(self, feature: str, *, way_out: str, code: str | None = None) -> None:
        super().__init__(f"{feature} is not modelled by imagecatalog; {way_out}", code=code)
        self.feature = feature


class InjectedError(ImageCatalogError):
    """An error a test injected into the fake API
    (:meth:`~imagecatalog.endpoint.Endpoint.inject_error`): the call answers
    ``.code``, any documented code of the provider, and reached nothing.
    ``.action`` is the action it answered."""

    def __init__(self, code: str, message: str, *, action: str) -> None:
        super().__init__(message)
        self.code = code
        self.action = action


class StoreError(ImageCatalogError):
    """The store behind the catalog failed, or cannot hold this catalog: not a
    broken rule, and not the caller's doing.  Code ``InternalError``, as the
    provider answers for its own failures."""

    default_code = ErrorCode.INTERNAL_ERROR


class StoreUnavailableError(StoreError):
    """The store's database could not serve the call: unreachable, the connection
    lost, every pooled connection busy, or a lock waited on too long.  Try again:
    the next call opens a new connection.  Code ``ServiceUnavailable``.

    ``.outcome_unknown`` is False when the call changed nothing (the usual
    case), True when the connection was lost while the call committed: then the
    database applied all of the call or none of it, and only a read can tell
    which.
    """

    default_code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class SchemaVersionError(StoreError, InvalidParameterError):
    """A database holds another schema version than this release uses, and was not
    (or cannot be) migrated.  ``.found`` and ``.expected`` are the two versions
    (``.found`` is None for a database with no imagecatalog schema).

    Also an :class:`InvalidParameterError`, which is what 0.1.0 raised, with the
    code 0.1.0 gave it (``InvalidParameterValue``: the database named is not one
    this release may open as it is).
    """

    default_code = ErrorCode.INVALID_PARAMETER_VALUE

    def __init__(self, message: str, *, found: int | None, expected: int) -> None:
        InvalidParameterError.__init__(
            self, message, parameter="url_or_engine", value=found, code=self.default_code
        )
        self.found = found
        self.expected = expected
