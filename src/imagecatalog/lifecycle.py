"""Who may do what to an image, and in which state.

Pure rules over values: each function raises the typed error of the rule it
guards, or returns.  The service's handlers call them, and the catalog's
invariants (:mod:`imagecatalog.invariants`) reuse them; nothing re-implements them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from imagecatalog.accounts import Account
from imagecatalog.exceptions import (
    DuplicateImageNameError,
    ErrorCode,
    ImageNotFoundError,
    InvalidImageStateError,
    PermissionDeniedError,
    SharingError,
    UntrustedImageError,
)
from imagecatalog.images import Image, ImageKind, ImageState
from imagecatalog.regions import Region

__all__ = [
    "Operation",
    "check_deletable",
    "check_launchable",
    "check_name_free",
    "check_state",
    "require_owner",
    "require_visible",
]


class Operation(enum.StrEnum):
    """The operations whose rules differ by image kind and state.

    Each member knows the error code for a public image, the code for an image
    shared with the caller, how to get out of each, and which states allow it.
    Its value is the verb, as error messages say it.
    """

    COPY = "copy"
    SHARE = "share"
    UNSHARE = "cancel the shares of"
    DESCRIBE_SHARES = "list the shares of"
    MODIFY = "modify"
    DELETE = "delete"
    LAUNCH = "launch an instance from"
    #: The provider finishing its work on an image (:meth:`ProviderOperations.complete`).
    COMPLETE = "complete"
    #: The provider failing its work on an image (:meth:`ProviderOperations.fail`).
    FAIL = "fail"

    @property
    def public_code(self) -> ErrorCode:
        """Code raised when the image is a public image."""
        if self in (Operation.COPY, Operation.DELETE):
            return ErrorCode.INVALID_PARAMETER_VALUE_INVALID_IMAGE_ID
        return ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT

    @property
    def shared_code(self) -> ErrorCode:
        """Code raised when the image is shared with the caller by another account."""
        if self is Operation.MODIFY:
            return ErrorCode.SHARED_IMAGE_MODIFY_UNSUPPORTED
        if self is Operation.DELETE:
            return ErrorCode.INVALID_IMAGE_ID_IS_SHARED
        return ErrorCode.IMAGE_NOT_BELONG_TO_ACCOUNT

    @property
    def public_way_out(self) -> str:
        """What to do instead, for a public image."""
        if self is Operation.COPY:
            return "public images already exist in every region: launch there directly"
        if self in (Operation.SHARE, Operation.UNSHARE, Operation.DESCRIBE_SHARES):
            return "every account can already use public images"
        return "launch an instance from it and create your own image instead"

    @property
    def shared_way_out(self) -> str:
        """What to do instead, for an image shared with the caller."""
        if self is Operation.DELETE:
            return "ask its owner to cancel the share"
        if self is Operation.COPY:
            return (
                "ask its owner to copy it, or launch it and create your own image "
                "(under Limits.newest(), receivers may copy it into its own region)"
            )
        return "only its owner can do this; launch it and create your own image instead"

    @property
    def allowed_states(self) -> frozenset[ImageState]:
        """The image states in which this operation is allowed: copying, sharing
        and launching need a NORMAL image; modifying and deleting wait until the
        provider's work on it is over; completing and failing need work in
        progress; the rest work in any state."""
        return _ALLOWED_STATES[self]

    @property
    def state_code(self) -> ErrorCode:
        """Code raised when the image is in a state that does not allow this operation."""
        if self in (Operation.MODIFY, Operation.DELETE):
            return ErrorCode.INVALID_IMAGE_ID_INCORRECT_STATE
        return ErrorCode.INVALID_IMAGE_STATE


_SETTLED = frozenset(state for state in ImageState if not state.in_progress)
_IN_PROGRESS = frozenset(state for state in ImageState if state.in_progress)
_ALLOWED_STATES = {
    operation: (
        frozenset({ImageState.NORMAL})
        if operation in (Operation.COPY, Operation.SHARE, Operation.LAUNCH)
        else _SETTLED
        if operation in (Operation.MODIFY, Operation.DELETE)
        else _IN_PROGRESS
        if operation in (Operation.COMPLETE, Operation.FAIL)
        else frozenset(ImageState)
    )
    for operation in Operation
}


# Members looked up once: an enum's attribute costs a descriptor call on every read.
_CUSTOM, _SHARED = ImageKind.CUSTOM, ImageKind.SHARED
_DELETE, _LAUNCH = Operation.DELETE, Operation.LAUNCH


def require_visible(
    image: Image | None, image_id: str, viewer: Account, region: Region | None = None
) -> tuple[Image, ImageKind]:
    """The visibility rule at the door of every call: an image the viewer cannot
    see does not exist for them (never "forbidden").  With *region*, an image of
    another region does not exist either (the provider answers every call in
    the request's region)."""
    kind = None if image is None else image.kind_for(viewer)
    if image is None or kind is None or (region is not None and image.region != region):
        raise ImageNotFoundError(image_id, account=viewer, region=region)
    return image, kind


def require_owner(image: Image, kind: ImageKind, caller: Account, operation: Operation) -> None:
    """Only the owner of a custom image may copy, share, modify or delete it."""
    if kind is _CUSTOM:
        return
    raise PermissionDeniedError(
        image_id=image.id,
        account=caller,
        operation=operation,
        kind=kind,
        code=operation.public_code if kind is ImageKind.PUBLIC else operation.shared_code,
    )


def check_state(image: Image, operation: Operation) -> None:
    """The state rule: each operation runs only in its allowed states."""
    allowed = _ALLOWED_STATES[operation]
    if image.state not in allowed:
        raise InvalidImageStateError(
            image_id=image.id,
            state=image.state,
            operation=operation,
            allowed=allowed,
            code=operation.state_code,
        )


def check_deletable(image: Image) -> None:
    """An image still shared with anyone cannot be deleted: cancel its shares first."""
    check_state(image, _DELETE)
    if image.shared_with:
        raise SharingError(
            f"cannot delete image {image.id}: it is still shared with "
            f"{len(image.shared_with)} account(s); cancel every share first "
            "(unshare_image), then delete it",
            image_id=image.id,
            code=ErrorCode.INVALID_IMAGE_ID_IN_SHARED,
        )


def check_launchable(
    image: Image,
    kind: ImageKind,
    caller: Account,
    trusted: frozenset[Account] | frozenset[str] | None,
) -> None:
    """Launch needs a NORMAL image, and a shared image's owner must be trusted
    when the caller keeps a trust list (of accounts, or of their IDs, as 0.1.0
    passed it)."""
    check_state(image, _LAUNCH)
    if kind is _SHARED and trusted is not None:
        assert image.owner is not None  # shared images are custom images
        if image.owner not in trusted and image.owner.id not in trusted:
            raise UntrustedImageError(image_id=image.id, owner=image.owner, account=caller)


def check_name_free(
    name: str,
    owner: Account,
    region: Region | str,
    existing: Image | None,
    *,
    ignoring: Iterable[str] = (),
) -> None:
    """The name rule: a name is unique among one account's custom images in one
    region.  *existing* is the image that holds the name, if any; images whose
    IDs are in *ignoring* (the image being renamed) do not count."""
    if existing is not None and existing.id not in set(ignoring):
        raise DuplicateImageNameError(
            name=name, account=owner, region=Region.of(region), existing_image_id=existing.id
        )
