"""Stores written to 0.1.0's ``ImageRepository`` protocol, adapted for one release.

:class:`LegacyStoreAdapter` presents such a store as a
:class:`~imagecatalog.CatalogStore`, so an :class:`~imagecatalog.ImageService`
keeps working on it (with a :class:`DeprecationWarning`) until its authors move
it to the new protocol.  Removed in the release that removes the old protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.exceptions import StoreError
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


class _Block:
    """One unit of work on a 0.1.0 store, with savepoints the store lacks.

    0.1.0's protocol let a nested block join the outer one; 0.2 promises that a
    nested block that raises undoes its own writes.  The adapter keeps an undo
    journal of what each nested block wrote (the old protocol has an inverse
    for every image write and for trust lists) and replays it when the nested
    block raises.  A nested block that added an account or an instance (0.1.0
    stores cannot remove those) and raised cannot be undone alone: its error
    becomes a :class:`~imagecatalog.StoreError`, and the whole unit of work is
    doomed: its outermost block undoes everything when it ends, even if the
    error was caught on the way.  Each thread has its own blocks.
    """

    def __init__(self, adapter: LegacyStoreAdapter) -> None:
        self._adapter = adapter
        self._old_block: AbstractContextManager[object] | None = None
        self._mark = 0

    def __enter__(self) -> None:
        state = self._adapter.state()
        self._old_block = self._adapter.old.transaction()
        self._old_block.__enter__()
        state.depth += 1
        self._mark = len(state.journal)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        state = self._adapter.state()
        state.depth -= 1
        assert self._old_block is not None
        if state.depth:
            try:
                if kind is not None:  # a nested block raised: undo it alone, if it can be
                    self._undo_since_mark(state, error)
            finally:
                self._old_block.__exit__(kind, error, trace)
            return
        doomed, state.doomed = state.doomed, False
        state.journal.clear()
        if doomed and kind is None:  # a nested block could not be undone: undo it all
            failure = StoreError(
                "a nested unit of work on a store written to 0.1.0's protocol added an "
                "account or an instance and then raised; such a store cannot remove them, "
                "so the whole unit of work was undone: move the store to "
                "imagecatalog.CatalogStore"
            )
            self._old_block.__exit__(StoreError, failure, None)
            raise failure
        self._old_block.__exit__(kind, error, trace)

    def _undo_since_mark(self, state: _ThreadState, error: BaseException | None) -> None:
        undone = state.journal[self._mark :]
        del state.journal[self._mark :]
        if any(undo is None for undo in undone):
            state.doomed = True
            raise StoreError(
                "a nested unit of work on a store written to 0.1.0's protocol added an "
                "account or an instance and then raised; such a store cannot remove them, "
                "so the whole unit of work will be undone when it ends: move the store to "
                "imagecatalog.CatalogStore"
            ) from error
        for undo in reversed(undone):
            assert undo is not None
            undo()


class _ThreadState(threading.local):
    """One thread's blocks on the adapter: how deep, what undoes what, whether doomed."""

    def __init__(self) -> None:
        self.depth = 0
        #: What undoes each write of nested blocks (None: cannot be undone).
        self.journal: list[Callable[[], object] | None] = []
        self.doomed = False


class LegacyStoreAdapter:
    """A :class:`~imagecatalog.CatalogStore` over a store of 0.1.0's protocol."""

    def __init__(self, old: Any) -> None:
        self.old = old
        self._state = _ThreadState()

    def state(self) -> _ThreadState:
        """This thread's blocks."""
        return self._state

    def transaction(self) -> AbstractContextManager[object]:
        return _Block(self)

    def _record(self, undo: Callable[[], object] | None) -> None:
        state = self._state
        if state.depth > 1:  # only a nested block needs its own undo
            state.journal.append(undo)

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
        self._record(None)
        if profile.trusted_sharers is not None:
            self.replace_account(profile)

    def replace_account(self, profile: AccountProfile) -> None:
        before = self.old.trusted_sharers(profile.id)
        trusted = profile.trusted_sharers
        self.old.set_trusted_sharers(
            profile.id, None if trusted is None else frozenset(a.id for a in trusted)
        )
        self._record(lambda: self.old.set_trusted_sharers(profile.id, before))

    def all_accounts(self) -> Iterator[AccountProfile]:
        return iter([self._profile(account) for account in self.old.accounts()])

    # Images -----------------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        return self.old.get_image(image_id)  # type: ignore[no-any-return]

    def add_image(self, image: Image) -> None:
        self.old.add_image(image)
        self._record(lambda: self.old.remove_image(image.id))

    def replace_image(self, image: Image) -> None:
        before = self.old.get_image(image.id)
        self.old.replace_image(image)
        self._record(lambda: self.old.replace_image(before))

    def remove_image(self, image_id: str) -> None:
        before = self.old.get_image(image_id)
        self.old.remove_image(image_id)
        self._record(lambda: self.old.add_image(before))

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
            if not limit or offset >= total:
                return total, []
            return total, list(listing(offset, offset + limit))
        matched = [image for image in listing(0, None) if query.matches(image)]
        return len(matched), matched[offset : offset + limit]

    # Instances --------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        return self.old.get_instance(instance_id)  # type: ignore[no-any-return]

    def add_instance(self, instance: Instance) -> None:
        self.old.add_instance(instance)
        self._record(None)

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
