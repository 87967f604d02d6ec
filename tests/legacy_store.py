"""imagecatalog 0.1.0's in-memory store, verbatim: a stand-in for a user's store
written to 0.1.0's ``ImageRepository`` protocol.

Copied from ``git show 70fce0f:src/imagecatalog/memory.py``.  The only changes are
the class's name (``InMemoryImageRepository`` became ``LegacyStore``, also in
``__all__`` and the docstrings) and this paragraph.  Every name it imports still
exists in 0.2, so no import was adapted.  Do not modernise it:
``tests/test_deprecations.py`` runs the 0.2 service on it to prove that code
written for 0.1.0 keeps working for a release.

0.1.0's docstring follows.

The in-memory store: the reference :class:`~imagecatalog.ImageRepository`.

Dictionaries and indexes behind one re-entrant lock.  A transaction holds the
lock for its whole length and keeps an undo journal: when the block raises,
the journal is replayed backwards and the store is exactly as it was.

Each listing index (public images of a region, an owner's custom images in a
region, the images shared with an account in a region) is an insertion-ordered
dict kept in listing order, ``(created_at, id)``.  Images usually arrive in that
order, so keeping it costs a comparison with the last entry; an index that
receives an image out of order is marked and sorted once, when next read.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Iterator
from types import TracebackType

from imagecatalog.accounts import Account
from imagecatalog.images import Image, fields_but_shares, replace_checked_fields
from imagecatalog.instances import Instance
from imagecatalog.regions import Region

__all__ = ["LegacyStore"]

_Undo = Callable[[], object]
_OwnerKey = tuple[str, str]  # (account ID, region ID)


class _OrderedIndex:
    """Groups of image IDs, each kept in listing order ``(created_at, id)``.

    An entry may hold a *view* of the image (the image as one account sees it),
    handed out instead of the stored image, so that listings need not copy.
    """

    __slots__ = ("_groups", "_images", "_unsorted")

    def __init__(self, images: dict[str, Image]) -> None:
        self._images = images
        self._groups: dict[Hashable, dict[str, Image | None]] = {}
        self._unsorted: set[Hashable] = set()

    def add(self, key: Hashable, image: Image, view: Image | None = None) -> None:
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = {image.id: view}
            return
        if key not in self._unsorted and group and image.id not in group:
            last = self._images.get(next(reversed(group)))
            if last is not None and (last.created_at, last.id) > (image.created_at, image.id):
                self._unsorted.add(key)
        group[image.id] = view

    def discard(self, key: Hashable, image_id: str) -> None:
        group = self._groups[key]
        del group[image_id]
        if not group:
            del self._groups[key]
            self._unsorted.discard(key)

    def count(self, key: Hashable) -> int:
        return len(self._groups.get(key, ()))

    def images(self, key: Hashable, start: int, stop: int | None) -> list[Image]:
        group = self._groups.get(key)
        if not group:
            return []
        images = self._images
        if key in self._unsorted:
            ordered = sorted(group.items(), key=lambda item: (images[item[0]].created_at, item[0]))
            group = self._groups[key] = dict(ordered)
            self._unsorted.discard(key)
        entries = group.items()
        if start or stop is not None:
            entries = itertools.islice(entries, start, stop)  # type: ignore[assignment]
        return [images[image_id] if view is None else view for image_id, view in entries]


class _Transaction:
    """The unit of work: holds the store's lock, undoes the block's writes if it raises."""

    __slots__ = ("_outer", "_store")

    def __init__(self, store: LegacyStore) -> None:
        self._store = store
        self._outer = False

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        if store._journal is None:  # the outermost block decides
            store._journal = []
            self._outer = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        store = self._store
        try:
            if self._outer:
                journal, store._journal = store._journal, None
                if kind is not None and journal:
                    for undo in reversed(journal):
                        undo()
        finally:
            store._lock.release()


def _differ_beyond_shares(old: Image, new: Image) -> bool:
    return fields_but_shares(old) != fields_but_shares(new)


def _receiver_view(image: Image, account_id: str) -> Image:
    """*image* as the account it is shared with sees it: only its own share."""
    own = tuple(share for share in image.shared_with if share.account.id == account_id)
    return (
        image
        if len(own) == len(image.shared_with)
        else replace_checked_fields(image, shared_with=own)
    )


class LegacyStore:
    """An :class:`~imagecatalog.ImageRepository` held in this process's memory.

    Safe to share between threads; every transaction runs alone.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._journal: list[_Undo] | None = None
        self._accounts: dict[str, Account] = {}
        self._trust: dict[str, frozenset[str]] = {}
        self._images: dict[str, Image] = {}
        self._instances: dict[str, Instance] = {}
        self._public = _OrderedIndex(self._images)  # region ID -> images
        self._custom = _OrderedIndex(self._images)  # (owner ID, region ID) -> images
        self._shared_in = _OrderedIndex(self._images)  # (account ID, region ID) -> images
        self._names: dict[tuple[str, str, str], str] = {}

    # Unit of work -------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """Hold the store alone; undo this block's writes if it raises."""
        return _Transaction(self)

    def _record(self, undo: _Undo) -> None:
        if self._journal is not None:
            self._journal.append(undo)

    # Accounts -------------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        with self._lock:
            self._accounts[account.id] = account
            self._record(lambda: self._accounts.pop(account.id))

    def has_account(self, account_id: str) -> bool:
        return account_id in self._accounts

    def accounts(self) -> Iterator[Account]:
        with self._lock:
            return iter(list(self._accounts.values()))

    def trusted_sharers(self, account_id: str) -> frozenset[str] | None:
        return self._trust.get(account_id)

    def set_trusted_sharers(self, account_id: str, sharers: frozenset[str] | None) -> None:
        with self._lock:
            before = self._trust.get(account_id)
            self._set_trust(account_id, sharers)
            self._record(lambda: self._set_trust(account_id, before))

    def _set_trust(self, account_id: str, sharers: frozenset[str] | None) -> None:
        if sharers is None:
            self._trust.pop(account_id, None)
        else:
            self._trust[account_id] = sharers

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

    def images(self) -> Iterator[Image]:
        with self._lock:
            return iter(list(self._images.values()))

    def public_images(
        self, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        with self._lock:
            return iter(self._public.images(region.id, start, stop))

    def custom_images(
        self, owner: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        with self._lock:
            return iter(self._custom.images((owner.id, region.id), start, stop))

    def images_shared_with(
        self, account: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        with self._lock:
            return iter(self._shared_in.images((account.id, region.id), start, stop))

    def count_public_images(self, region: Region) -> int:
        return self._public.count(region.id)

    def count_custom_images(self, owner: Account, region: Region) -> int:
        return self._custom.count((owner.id, region.id))

    def count_images_shared_with(self, account: Account, region: Region) -> int:
        return self._shared_in.count((account.id, region.id))

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        image_id = self._names.get((owner.id, region.id, name))
        return None if image_id is None else self._images[image_id]

    def _insert(self, image: Image) -> None:
        self._images[image.id] = image
        region = image.region.id
        if image.owner is None:
            self._public.add(region, image)
            return
        self._custom.add((image.owner.id, region), image)
        self._names[(image.owner.id, region, image.name)] = image.id
        for account_id in image.shared_account_ids:
            self._shared_in.add((account_id, region), image, _receiver_view(image, account_id))

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
        # Receivers' views hold every field but the share list: a change of
        # anything else refreshes them all; a change of shares only adds views.
        refresh = after if _differ_beyond_shares(old, new) else after - before
        for account_id in refresh:
            self._shared_in.add((account_id, region), new, _receiver_view(new, account_id))

    # Instances ------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def add_instance(self, instance: Instance) -> None:
        with self._lock:
            self._instances[instance.id] = instance
            self._record(lambda: self._instances.pop(instance.id))

    def instances(self) -> Iterator[Instance]:
        with self._lock:
            return iter(list(self._instances.values()))
