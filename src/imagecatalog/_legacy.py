"""Stores written to 0.1.0's ``ImageRepository`` protocol, adapted for one release.

:class:`LegacyStoreAdapter` presents such a store as a
:class:`~imagecatalog.CatalogStore`, so an :class:`~imagecatalog.ImageService`
keeps working on it (with a :class:`DeprecationWarning`) until its authors move
it to the new protocol.  Removed in the release that removes the old protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.images import Image, ImageKind
from imagecatalog.instances import Instance
from imagecatalog.query import ImageGroup, ImageQuery
from imagecatalog.regions import Region

__all__ = ["LegacyStoreAdapter", "looks_like_legacy_store"]

_OLD_METHODS = (
    "transaction",
    "add_account",
    "has_account",
    "accounts",
    "trusted_sharers",
    "set_trusted_sharers",
    "get_image",
    "add_image",
    "replace_image",
    "remove_image",
    "images",
    "public_images",
    "custom_images",
    "images_shared_with",
    "count_public_images",
    "count_custom_images",
    "count_images_shared_with",
    "find_custom_image",
    "get_instance",
    "add_instance",
    "instances",
)


def looks_like_legacy_store(store: object) -> bool:
    """True if *store* has every method of 0.1.0's protocol."""
    return all(callable(getattr(store, name, None)) for name in _OLD_METHODS)


class LegacyStoreAdapter:
    """A :class:`~imagecatalog.CatalogStore` over a store of 0.1.0's protocol."""

    def __init__(self, old: Any) -> None:
        self.old = old

    def transaction(self) -> AbstractContextManager[object]:
        return self.old.transaction()  # type: ignore[no-any-return]

    # Accounts ---------------------------------------------------------------------

    def get_account(self, account_id: str) -> AccountProfile | None:
        if not self.old.has_account(account_id):
            return None
        return self._profile(Account.of(account_id))

    def _profile(self, account: Account) -> AccountProfile:
        trusted = self.old.trusted_sharers(account.id)
        return AccountProfile(
            account=account,
            trusted_sharers=None if trusted is None else frozenset(map(Account.of, trusted)),
        )

    def add_account(self, profile: AccountProfile) -> None:
        self.old.add_account(profile.account)
        if profile.trusted_sharers is not None:
            self.replace_account(profile)

    def replace_account(self, profile: AccountProfile) -> None:
        trusted = profile.trusted_sharers
        self.old.set_trusted_sharers(
            profile.id, None if trusted is None else frozenset(a.id for a in trusted)
        )

    def all_accounts(self) -> Iterator[AccountProfile]:
        return iter([self._profile(account) for account in self.old.accounts()])

    # Images -----------------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        return self.old.get_image(image_id)  # type: ignore[no-any-return]

    def add_image(self, image: Image) -> None:
        self.old.add_image(image)

    def replace_image(self, image: Image) -> None:
        self.old.replace_image(image)

    def remove_image(self, image_id: str) -> None:
        self.old.remove_image(image_id)

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        return self.old.find_custom_image(owner, region, name)  # type: ignore[no-any-return]

    def all_images(self) -> Iterator[Image]:
        return iter(sorted(self.old.images(), key=lambda image: (image.created_at, image.id)))

    def select_images(
        self, group: ImageGroup, query: ImageQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[Image]]:
        region, account = group.region, group.account
        count: Callable[[], int]
        listing: Callable[[int, int | None], Iterable[Image]]
        if group.kind is ImageKind.PUBLIC:
            count = lambda: self.old.count_public_images(region)  # noqa: E731
            listing = lambda start, stop: self.old.public_images(region, start, stop)  # noqa: E731
        elif group.kind is ImageKind.CUSTOM:
            count = lambda: self.old.count_custom_images(account, region)  # noqa: E731
            listing = lambda start, stop: self.old.custom_images(account, region, start, stop)  # noqa: E731
        else:
            count = lambda: self.old.count_images_shared_with(account, region)  # noqa: E731
            listing = lambda start, stop: self.old.images_shared_with(  # noqa: E731
                account, region, start, stop
            )
        if not query.filters_images:
            total = count()
            return total, (list(listing(offset, offset + limit)) if limit else [])
        matched = [image for image in listing(0, None) if query.matches(image)]
        return len(matched), matched[offset : offset + limit]

    # Instances --------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        return self.old.get_instance(instance_id)  # type: ignore[no-any-return]

    def add_instance(self, instance: Instance) -> None:
        self.old.add_instance(instance)

    def all_instances(self) -> Iterator[Instance]:
        return iter(sorted(self.old.instances(), key=lambda i: (i.launched_at, i.id)))

    def select_instances(
        self, owner: Account, region: Region | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Instance]]:
        mine = [
            instance
            for instance in self.all_instances()
            if instance.owner == owner and (region is None or instance.region == region)
        ]
        return len(mine), mine[offset : offset + limit]
