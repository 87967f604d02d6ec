"""The in-memory store: the reference :class:`~imagecatalog.CatalogStore`.

Dictionaries and indexes behind one re-entrant lock.  A transaction holds the
lock for its whole length and keeps an undo journal: when the block raises,
the journal is replayed backwards and the store is exactly as it was.  A
nested transaction is a savepoint: when it raises, only its own writes are
undone.

Each listing index (public images of a region, an owner's custom images in a
region, the images shared with an account in a region, an owner's instances)
is an insertion-ordered dict kept in listing order.  Items usually arrive in
that order, so keeping it costs a comparison with the last entry; an index that
receives an item out of order is marked and sorted once, when next read.
"""

from __future__ import annotations

import itertools
import operator
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence, Set
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Generic, TypeVar

from imagecatalog._deprecation import deprecated
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.images import Image, ImageKind, fields_but_shares
from imagecatalog.instances import Instance
from imagecatalog.query import ImageGroup, ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import LegacyRepositoryMethods

__all__ = ["InMemoryImageRepository"]

_Undo = Callable[[], object]
_T = TypeVar("_T")


class _OrderedIndex(Generic[_T]):
    """Groups of IDs, each kept in listing order (*order* of the item).

    An entry may hold a *view* of the item (the image as one account sees it),
    handed out instead of the stored item, so that listings need not copy.
    """

    __slots__ = ("_groups", "_items", "_order", "_unsorted")

    def __init__(self, items: dict[str, _T], order: Callable[[_T], Any]) -> None:
        self._items = items
        self._order = order
        self._groups: dict[Hashable, dict[str, _T | None]] = {}
        self._unsorted: set[Hashable] = set()

    def add(self, key: Hashable, item_id: str, item: _T, view: _T | None = None) -> None:
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = {item_id: view}
            return
        if key not in self._unsorted and group and item_id not in group:
            last = self._items.get(next(reversed(group)))
            if last is not None and self._order(last) > self._order(item):
                self._unsorted.add(key)
        group[item_id] = view

    def discard(self, key: Hashable, item_id: str) -> None:
        group = self._groups[key]
        del group[item_id]
        if not group:
            del self._groups[key]
            self._unsorted.discard(key)

    def count(self, key: Hashable) -> int:
        return len(self._groups.get(key, ()))

    def items(self, key: Hashable, start: int, stop: int | None) -> list[_T]:
        group = self._groups.get(key)
        if not group:
            return []
        items, order = self._items, self._order
        if key in self._unsorted:
            group = self._groups[key] = dict(
                sorted(group.items(), key=lambda entry: order(items[entry[0]]))
            )
            self._unsorted.discard(key)
        entries = group.items()
        if start or stop is not None:
            entries = itertools.islice(entries, start, stop)  # type: ignore[assignment]
        return [items[item_id] if view is None else view for item_id, view in entries]


class _Transaction:
    """The unit of work: holds the store's lock; undoes the block's writes if it raises.

    The outermost block owns the journal; a nested block is a savepoint: it
    remembers where the journal stood when it began, and if it raises, it
    undoes only the writes made since then.
    """

    __slots__ = ("_mark", "_store")

    def __init__(self, store: InMemoryImageRepository) -> None:
        self._store = store
        self._mark = -1  # -1: the outermost block; else the journal's length at entry

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        if store._journal is None:
            store._journal = []
            self._mark = -1
        else:
            self._mark = len(store._journal)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        store = self._store
        try:
            journal = store._journal
            assert journal is not None
            if self._mark < 0:
                store._journal = None
                mark = 0
            else:
                mark = self._mark
            if kind is not None and len(journal) > mark:
                for undo in reversed(journal[mark:]):
                    undo()
                del journal[mark:]
        finally:
            store._lock.release()


_PUBLIC, _CUSTOM = ImageKind.PUBLIC.value, ImageKind.CUSTOM.value


#: Listing order: images by creation time then ID, instances by launch time then ID.
_image_order: Callable[[Image], tuple[Any, str]] = operator.attrgetter("created_at", "id")
_instance_order: Callable[[Instance], tuple[Any, str]] = operator.attrgetter("launched_at", "id")


def _receiver_view(image: Image, account_id: str) -> Image:
    """*image* as the account it is shared with sees it (only its own share)."""
    return image.as_seen_by(account_id)


class InMemoryImageRepository(LegacyRepositoryMethods):
    """A :class:`~imagecatalog.CatalogStore` held in this process's memory.

    Safe to share between threads; every transaction runs alone.  For the
    images shared with an account, :meth:`select_images` hands out each image
    as that account sees it (made once, when shared), so listings copy nothing.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._journal: list[_Undo] | None = None
        self._accounts: dict[str, AccountProfile] = {}
        self._images: dict[str, Image] = {}
        self._instances: dict[str, Instance] = {}
        self._public = _OrderedIndex(self._images, _image_order)  # region ID
        self._custom = _OrderedIndex(self._images, _image_order)  # (owner ID, region ID)
        self._shared_in = _OrderedIndex(self._images, _image_order)  # (account ID, region ID)
        self._names: dict[tuple[str, str, str], str] = {}
        self._launched = _OrderedIndex(self._instances, _instance_order)  # (owner ID, region ID)

    # Unit of work -------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """Hold the store alone; undo this block's writes if it raises."""
        return _Transaction(self)

    def read_transaction(self, *, snapshot: bool = False) -> AbstractContextManager[object]:
        """A block of reads: here, :meth:`transaction` (the store held alone: a
        listing reads indexes that a write would change under it)."""
        return self.transaction()

    def write_transaction(
        self, account_ids: Iterable[str], *, prefetch_image_ids: Iterable[str] = ()
    ) -> AbstractContextManager[object]:
        """A unit of work for some accounts: here, :meth:`transaction` (the store
        held alone)."""
        return self.transaction()

    def account_exists(self, account_id: str) -> bool:
        return account_id in self._accounts

    def select_image_groups(
        self, groups: Sequence[ImageGroup], query: ImageQuery, offset: int, limit: int
    ) -> list[tuple[int, Sequence[Image]]]:
        """Each group's count and share of the page, group after group."""
        answer: list[tuple[int, Sequence[Image]]] = []
        with self._lock:
            for group in groups:
                count, found = self.select_images(group, query, offset, limit)
                answer.append((count, found))
                offset = max(offset - count, 0)
                limit -= len(found)
        return answer

    def _record(self, undo: _Undo) -> None:
        if self._journal is not None:
            self._journal.append(undo)

    # Accounts -------------------------------------------------------------------

    def get_account(self, account_id: str) -> AccountProfile | None:
        return self._accounts.get(account_id)

    def add_account(self, profile: AccountProfile | Account) -> None:
        if isinstance(profile, Account):
            deprecated("store.add_account(Account)", "pass an AccountProfile")
            profile = AccountProfile(account=profile)
        with self._lock:
            self._accounts[profile.id] = profile
            self._record(lambda: self._accounts.pop(profile.id))

    def replace_account(self, profile: AccountProfile) -> None:
        with self._lock:
            before = self._accounts[profile.id]
            self._accounts[profile.id] = profile
            self._record(lambda: self._accounts.__setitem__(profile.id, before))

    def all_accounts(self) -> Iterator[AccountProfile]:
        with self._lock:
            return iter(list(self._accounts.values()))

    # Images ---------------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        return self._images.get(image_id)

    def add_image(self, image: Image) -> None:
        with self._lock:
            self._insert(image)
            self._record(lambda: self._delete(image))

    def replace_image(self, image: Image) -> None:
        with self._lock:
            before = self._images[image.id]
            self._swap(before, image)
            self._record(lambda: self._swap(image, before))

    def remove_image(self, image_id: str) -> None:
        with self._lock:
            before = self._images[image_id]
            self._delete(before)
            self._record(lambda: self._insert(before))

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        image_id = self._names.get((owner.id, region.id, name))
        return None if image_id is None else self._images[image_id]

    def all_images(self) -> Iterator[Image]:
        with self._lock:
            return iter(sorted(self._images.values(), key=_image_order))

    def select_images(
        self, group: ImageGroup, query: ImageQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[Image]]:
        kind, region_id, account_id = group.key  # _index(group), inlined: the hot path
        index: _OrderedIndex[Image]
        key: Hashable
        if kind == _PUBLIC:
            index, key = self._public, region_id
        else:
            index = self._custom if kind == _CUSTOM else self._shared_in
            key = (account_id, region_id)
        if not query.filters_images:
            total = index.count(key)  # a dict's size: no lock needed
            if not limit or offset >= total:
                return total, []
            with self._lock:  # reading may sort the group
                return total, index.items(key, offset, offset + limit)
        with self._lock:
            matched = [image for image in index.items(key, 0, None) if query.matches(image)]
        return len(matched), matched[offset : offset + limit]

    def _insert(self, image: Image) -> None:
        region = image.region.id  # read before anything changes: a bad value changes nothing
        owner = None if image.owner is None else image.owner.id
        self._images[image.id] = image
        if owner is None:
            self._public.add(region, image.id, image)
            return
        self._custom.add((owner, region), image.id, image)
        self._names[(owner, region, image.name)] = image.id
        for account_id in image.shared_account_ids:
            self._shared_in.add(
                (account_id, region), image.id, image, _receiver_view(image, account_id)
            )

    def _delete(self, image: Image) -> None:
        del self._images[image.id]
        region = image.region.id
        if image.owner is None:
            self._public.discard(region, image.id)
            return
        self._custom.discard((image.owner.id, region), image.id)
        del self._names[(image.owner.id, region, image.name)]
        for account_id in image.shared_account_ids:
            self._shared_in.discard((account_id, region), image.id)

    def _swap(self, old: Image, new: Image) -> None:
        """Replace *old* by *new* (same ID), touching only the index entries
        that change: a rename moves a name, a share adds one entry."""
        if (old.owner, old.region, old.created_at) != (new.owner, new.region, new.created_at):
            self._delete(old)
            self._insert(new)
            return
        self._images[new.id] = new
        if new.owner is None:
            return
        region = new.region.id
        if old.name != new.name:
            del self._names[(new.owner.id, region, old.name)]
            self._names[(new.owner.id, region, new.name)] = new.id
        before, after = old.shared_account_ids, new.shared_account_ids
        for account_id in before - after:
            self._shared_in.discard((account_id, region), new.id)
        # Receivers' views hold every field but the others' shares: a change of
        # anything else refreshes them all; a change of shares, the views of the
        # accounts whose own share changed (added, or re-dated).
        refresh: Set[str]
        if fields_but_shares(old) != fields_but_shares(new):
            refresh = after
        else:
            kept = {share.account.id: share for share in old.shared_with}
            refresh = {
                share.account.id for share in new.shared_with if kept.get(share.account.id) != share
            }
        for account_id in refresh:
            self._shared_in.add((account_id, region), new.id, new, _receiver_view(new, account_id))

    # Instances ------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def add_instance(self, instance: Instance) -> None:
        key = (instance.owner.id, instance.region.id)
        with self._lock:
            self._instances[instance.id] = instance
            self._launched.add(key, instance.id, instance)
            self._record(lambda: self._forget_instance(instance, key))

    def _forget_instance(self, instance: Instance, key: Hashable) -> None:
        del self._instances[instance.id]
        self._launched.discard(key, instance.id)

    def select_instances(
        self, owner: Account, region: Region | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Instance]]:
        with self._lock:
            if region is not None:
                key = (owner.id, region.id)
                total = self._launched.count(key)
                if not limit or offset >= total:
                    return total, []
                return total, self._launched.items(key, offset, offset + limit)
            mine = sorted(
                (
                    instance
                    for place in Region.all()
                    for instance in self._launched.items((owner.id, place.id), 0, None)
                ),
                key=_instance_order,
            )
        return len(mine), mine[offset : offset + limit]

    def all_instances(self) -> Iterator[Instance]:
        with self._lock:
            return iter(sorted(self._instances.values(), key=_instance_order))
