"""The in-memory store: the reference :class:`~imagecatalog.ImageRepository`.

Dictionaries and indexes behind one re-entrant lock.  A transaction holds the
lock for its whole length and keeps an undo journal: when the block raises,
the journal is replayed backwards and the store is exactly as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from imagecatalog.accounts import Account
from imagecatalog.images import Image
from imagecatalog.instances import Instance
from imagecatalog.regions import Region

__all__ = ["InMemoryImageRepository"]

_Undo = Callable[[], object]
_OwnerKey = tuple[str, str]  # (account ID, region ID)
_K = TypeVar("_K", bound=Hashable)


class InMemoryImageRepository:
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
        # Indexes: ordered sets (dicts of None) of image IDs.
        self._public: dict[str, dict[str, None]] = {}
        self._custom: dict[_OwnerKey, dict[str, None]] = {}
        self._shared_in: dict[_OwnerKey, dict[str, None]] = {}
        self._names: dict[tuple[str, str, str], str] = {}

    # Unit of work -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store alone; undo this block's writes if it raises."""
        with self._lock:
            if self._journal is not None:  # nested: the outer block decides
                yield
                return
            journal: list[_Undo] = []
            self._journal = journal
            try:
                yield
            except BaseException:
                for undo in reversed(journal):
                    undo()
                raise
            finally:
                self._journal = None

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
            self._delete(before)
            self._insert(image)

            def undo() -> None:
                self._delete(image)
                self._insert(before)

            self._record(undo)

    def remove_image(self, image_id: str) -> None:
        with self._lock:
            before = self._images[image_id]
            self._delete(before)
            self._record(lambda: self._insert(before))

    def images(self) -> Iterator[Image]:
        with self._lock:
            return iter(list(self._images.values()))

    def public_images(self, region: Region) -> Iterator[Image]:
        return self._resolve(self._public.get(region.id))

    def custom_images(self, owner: Account, region: Region) -> Iterator[Image]:
        return self._resolve(self._custom.get((owner.id, region.id)))

    def images_shared_with(self, account: Account, region: Region) -> Iterator[Image]:
        return self._resolve(self._shared_in.get((account.id, region.id)))

    def count_custom_images(self, owner: Account, region: Region) -> int:
        return len(self._custom.get((owner.id, region.id), ()))

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        image_id = self._names.get((owner.id, region.id, name))
        return None if image_id is None else self._images[image_id]

    def _resolve(self, ids: dict[str, None] | None) -> Iterator[Image]:
        if not ids:
            return iter(())
        with self._lock:
            images = self._images
            return iter([images[image_id] for image_id in ids])

    def _insert(self, image: Image) -> None:
        self._images[image.id] = image
        region = image.region.id
        if image.owner is None:
            self._public.setdefault(region, {})[image.id] = None
            return
        self._custom.setdefault((image.owner.id, region), {})[image.id] = None
        self._names[(image.owner.id, region, image.name)] = image.id
        for account_id in image.shared_account_ids:
            self._shared_in.setdefault((account_id, region), {})[image.id] = None

    def _delete(self, image: Image) -> None:
        del self._images[image.id]
        region = image.region.id
        if image.owner is None:
            _discard(self._public, region, image.id)
            return
        _discard(self._custom, (image.owner.id, region), image.id)
        del self._names[(image.owner.id, region, image.name)]
        for account_id in image.shared_account_ids:
            _discard(self._shared_in, (account_id, region), image.id)

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


def _discard(index: dict[_K, dict[str, None]], key: _K, image_id: str) -> None:
    ids = index[key]
    del ids[image_id]
    if not ids:
        del index[key]
