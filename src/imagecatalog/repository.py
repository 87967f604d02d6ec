"""Where the catalog keeps its state: the repository protocol.

A repository stores values and keeps the indexes that make every service call
cost what the caller can see, not what the catalog holds.  It knows no rules:
the service asks the domain what is allowed and tells the repository what to
store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

from imagecatalog.accounts import Account
from imagecatalog.images import Image
from imagecatalog.instances import Instance
from imagecatalog.regions import Region

__all__ = ["ImageRepository"]


class ImageRepository(Protocol):
    """**Protocol:** storage for accounts, images and instances.

    Stores need not inherit from this class; ``mypy`` checks that they conform.
    :class:`~imagecatalog.InMemoryImageRepository` is the reference store.

    **Unit of work.** The service wraps every call in :meth:`transaction`.
    Inside it, reads see the call's own writes; when the block raises, every
    write made inside it is undone, and when it returns they are kept, all at
    once.  Transactions of concurrent calls must not interleave (a store may
    serialise them).  A database store maps this to one database transaction.

    **Order.** ``public_images``, ``custom_images`` and ``images_shared_with``
    yield their images in listing order: by ``created_at``, then by ``id``; their
    *start* and *stop* select positions in that order, so the service fetches
    one page without reading the rest.

    **Costs.** ``get_*``, ``has_account``, the ``count_*`` methods and
    ``find_custom_image`` answer in O(1); the ``*_images`` listings cost in
    proportion to what they return.
    """

    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work: all writes inside it are kept, or none is."""
        ...

    # Accounts ---------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        """Store a new account (the caller checked it is new)."""
        ...

    def has_account(self, account_id: str) -> bool:
        """True if an account with this ID is stored."""
        ...

    def accounts(self) -> Iterator[Account]:
        """Every stored account, in the order they were added."""
        ...

    def trusted_sharers(self, account_id: str) -> frozenset[str] | None:
        """The IDs of the accounts whose shared images *account_id* trusts, or
        None if it keeps no trust list (then it trusts every sharer)."""
        ...

    def set_trusted_sharers(self, account_id: str, sharers: frozenset[str] | None) -> None:
        """Replace *account_id*'s trust list (None removes it)."""
        ...

    # Images -----------------------------------------------------------------

    def get_image(self, image_id: str) -> Image | None:
        """The image with this ID, or None."""
        ...

    def add_image(self, image: Image) -> None:
        """Store a new image (the caller checked its ID is free)."""
        ...

    def replace_image(self, image: Image) -> None:
        """Store a new version of a stored image (same ID), updating indexes."""
        ...

    def remove_image(self, image_id: str) -> None:
        """Forget a stored image."""
        ...

    def images(self) -> Iterator[Image]:
        """Every stored image (for snapshots and audits; costs the whole catalog)."""
        ...

    def public_images(
        self, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        """The public images of *region*, positions *start* to *stop* (excluded)."""
        ...

    def custom_images(
        self, owner: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        """The custom images *owner* owns in *region*, positions *start* to *stop*."""
        ...

    def images_shared_with(
        self, account: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        """The custom images of other accounts shared with *account* in *region*,
        positions *start* to *stop*.  A store may yield each as *account* sees it
        (:meth:`Image.as_seen_by <imagecatalog.Image.as_seen_by>`)."""
        ...

    def count_public_images(self, region: Region) -> int:
        """How many public images *region* has."""
        ...

    def count_custom_images(self, owner: Account, region: Region) -> int:
        """How many custom images *owner* owns in *region*, in any state."""
        ...

    def count_images_shared_with(self, account: Account, region: Region) -> int:
        """How many images are shared with *account* in *region*."""
        ...

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        """*owner*'s custom image named *name* in *region*, or None."""
        ...

    # Instances --------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        """The instance with this ID, or None."""
        ...

    def add_instance(self, instance: Instance) -> None:
        """Store a new instance (the caller checked its ID is free)."""
        ...

    def instances(self) -> Iterator[Instance]:
        """Every stored instance."""
        ...
