"""The sharing rules, and sharing itself as a change of value.

A custom image is shared, within its own region, with up to
``Limits.accounts_per_shared_image`` other accounts, which may then launch it
and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from imagecatalog.accounts import Account
from imagecatalog.exceptions import (
    AccountNotFoundError,
    ErrorCode,
    ShareLimitExceededError,
    SharingError,
)
from imagecatalog.images import Image, ImageState, LicenceType, SharePermission
from imagecatalog.lifecycle import Operation, check_state

__all__ = [
    "check_share",
    "check_share_limit",
    "check_shareable",
    "check_unshare",
    "share",
    "unshare",
]


# Members looked up once: an enum's attribute costs a descriptor call on every read.
_SHARE, _BYOL = Operation.SHARE, LicenceType.BYOL


def check_shareable(image: Image, *, staying: bool = False) -> None:
    """An image can be shared only while NORMAL, and never a BYOL
    (bring-your-own-licence) image nor an encrypted one.  With *staying*, the
    rule for an image already shared: it may also be SYNCING (the source of
    copies in progress shows SYNCING until they end)."""
    if not (staying and image.state is ImageState.SYNCING):
        check_state(image, _SHARE)
    if image.encrypted:
        raise SharingError(
            f"cannot share image {image.id}: it is encrypted, and the provider does not "
            "share encrypted images; share an unencrypted copy",
            image_id=image.id,
            code=ErrorCode.ENCRYPTED_IMAGES_NOT_SUPPORTED,
        )
    if image.licence_type is _BYOL:
        raise SharingError(
            f"cannot share image {image.id}: it is a BYOL (bring-your-own-licence) image, "
            "and the provider does not share BYOL images; import it with the TencentCloud "
            "licence type to share it",
            image_id=image.id,
            code=ErrorCode.BYOL_IMAGE_SHARE_FAILED,
        )


def check_share_limit(image: Image, adding: int, limit: int) -> None:
    """The share limit: an image is shared with at most *limit* accounts."""
    current = len(image.shared_with)
    if current + adding > limit:
        raise ShareLimitExceededError(
            image_id=image.id, limit=limit, current=current, requested=adding
        )


def check_share(
    image: Image,
    owner: Account,
    accounts: Sequence[Account],
    *,
    limit: int,
    is_registered: Callable[[str], bool],
) -> None:
    """The share rule, checked in this order: the image is NORMAL, not BYOL;
    no account is the owner, unknown, or already shared with; the share
    limit holds.  *is_registered* tells whether an account ID is known.  The
    caller has checked that *owner* owns *image*."""
    check_shareable(image)
    if owner in accounts:
        raise SharingError(
            f"cannot share image {image.id} with account {owner.id}: that is its owner; "
            "share it with other accounts only",
            image_id=image.id,
            accounts=(owner,),
            code=ErrorCode.ACCOUNT_IS_YOURSELF,
        )
    for account in accounts:
        if not is_registered(account.id):
            raise AccountNotFoundError(account)
    already = [account for account in accounts if account.id in image.shared_account_ids]
    if already:
        raise SharingError(
            f"image {image.id} is already shared with account(s) "
            f"{', '.join(account.id for account in already)}; "
            "leave them out of the request",
            image_id=image.id,
            accounts=already,
            code=ErrorCode.ACCOUNT_ALREADY_EXISTS,
        )
    check_share_limit(image, len(accounts), limit)


def check_unshare(
    image: Image, owner: Account, accounts: Sequence[Account], *, missing_ok: bool = False
) -> None:
    """Cancelling needs a share to cancel: the owner was never shared with, and
    every account named must currently hold a share (unless *missing_ok*: then
    an account without one is passed over, as the live API's CANCEL does)."""
    if owner in accounts:
        raise SharingError(
            f"cannot cancel a share of image {image.id} with account {owner.id}: that is "
            "its owner, which is never shared with",
            image_id=image.id,
            accounts=(owner,),
            code=ErrorCode.ACCOUNT_IS_YOURSELF,
        )
    missing = [account for account in accounts if account.id not in image.shared_account_ids]
    if missing and not missing_ok:
        raise SharingError(
            f"image {image.id} is not shared with account(s) "
            f"{', '.join(account.id for account in missing)}; "
            "list its shares with share_permissions and cancel only those",
            image_id=image.id,
            accounts=missing,
            code=ErrorCode.ACCOUNT_NOT_SHARED,
        )


def share(image: Image, accounts: Sequence[Account], at: datetime) -> Image:
    """*image* shared with *accounts* too, as of *at*."""
    added = tuple(SharePermission(account=account, shared_at=at) for account in accounts)
    return image.with_shares(image.shared_with + added)


def unshare(image: Image, accounts: Sequence[Account]) -> Image:
    """*image* no longer shared with *accounts*."""
    gone = {account.id for account in accounts}
    kept = tuple(share for share in image.shared_with if share.account.id not in gone)
    return image.with_shares(kept)
