"""Where the catalog keeps its state: the store protocols.

A store has two sides.  The **write side**, :class:`CatalogStore`, keeps the
aggregates (accounts with their trust lists, images with their shares,
instances): get, add, replace, remove, inside a unit of work.  The **read side**,
:class:`CatalogReader`, answers listings: the images of one indexed group
(:class:`~imagecatalog.query.ImageGroup`) that pass an
:class:`~imagecatalog.query.ImageQuery`'s filters, one page at a time, and the
instances of an owner.  A store knows no rule, not even who may see what: the
service decides which groups a caller sees and what of each image it may read
(:mod:`imagecatalog.views`), so a store cannot get visibility wrong.

:class:`~imagecatalog.InMemoryImageRepository` is the reference store;
:class:`~imagecatalog.sql.SqlImageRepository` keeps the catalog in a database.
:class:`~imagecatalog.testing.contract.RepositoryContract` proves another store
behaves like them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from imagecatalog._deprecation import deprecated
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import Image
from imagecatalog.instances import Instance
from imagecatalog.query import ImageGroup, ImageQuery
from imagecatalog.regions import Region

__all__ = ["CatalogReader", "CatalogStore", "ConcurrentCatalogStore"]


@runtime_checkable
class CatalogReader(Protocol):
    """**Protocol:** the read side of a store.

    **Order.** Listings come in listing order: by ``created_at``, then by ``id``.

    **Costs.** ``get_*`` answer in O(1); :meth:`select_images` and
    :meth:`select_instances` cost in proportion to the page they return when
    the query filters nothing but the group, and may read the whole group when
    it filters more; the ``all_*`` scans cost the whole catalog.
    """

    def get_image(self, image_id: str) -> Image | None:
        """The image with this ID, or None."""
        ...

    def get_instance(self, instance_id: str) -> Instance | None:
        """The instance with this ID, or None."""
        ...

    def get_account(self, account_id: str) -> AccountProfile | None:
        """The account with this ID and its trust list, or None."""
        ...

    def select_images(
        self, group: ImageGroup, query: ImageQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[Image]]:
        """How many images of *group* pass *query*'s filters
        (:meth:`ImageQuery.matches <imagecatalog.query.ImageQuery.matches>`; its
        ``kinds``, ``image_ids``, ``offset`` and ``limit`` are the read side's
        business, not the store's), and those from position *offset* on, at most
        *limit* of them (*limit* may be 0: then only the count), in listing order.

        Images are returned as stored (with all their shares).
        """
        ...

    def select_instances(
        self, owner: Account, region: Region | None, offset: int, limit: int
    ) -> tuple[int, Sequence[Instance]]:
        """How many instances *owner* has (in *region*, unless None), and those
        from *offset* on, at most *limit*, in launch order (``launched_at``, ``id``)."""
        ...

    def all_accounts(self) -> Iterator[AccountProfile]:
        """Every account with its trust list, in the order they were added."""
        ...

    def all_images(self) -> Iterator[Image]:
        """Every image, in listing order (for snapshots and audits)."""
        ...

    def all_instances(self) -> Iterator[Instance]:
        """Every instance, in launch order."""
        ...


@runtime_checkable
class CatalogStore(CatalogReader, Protocol):
    """**Protocol:** a store of the catalog's aggregates, and its read side.

    Stores need not inherit from this class; ``mypy`` checks that they conform.

    **Unit of work.** The service wraps every call in :meth:`transaction`.
    Inside it, reads see the block's own writes; when the block raises, every
    write made inside it is undone, and when it returns they are kept, all at
    once.  A nested :meth:`transaction` is a savepoint: when it raises, only its
    own writes are undone, and the outer block goes on.  Transactions of
    concurrent callers must not interleave (a store may serialise them).  A
    database store maps this to one database transaction, and nested blocks to
    ``SAVEPOINT``.

    The caller (the service) has checked every rule before it writes: a store
    stores what it is given.
    """

    def transaction(self) -> AbstractContextManager[object]:
        """A unit of work: all writes inside it are kept, or none is."""
        ...

    def add_account(self, profile: AccountProfile) -> None:
        """Store a new account (the caller checked it is new)."""
        ...

    def replace_account(self, profile: AccountProfile) -> None:
        """Store a new version of a stored account (its trust list)."""
        ...

    def add_image(self, image: Image) -> None:
        """Store a new image (the caller checked its ID is free)."""
        ...

    def replace_image(self, image: Image) -> None:
        """Store a new version of a stored image (same ID)."""
        ...

    def remove_image(self, image_id: str) -> None:
        """Forget a stored image."""
        ...

    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None:
        """*owner*'s custom image named exactly *name* in *region*, or None (the
        name rule's lookup; O(1))."""
        ...

    def add_instance(self, instance: Instance) -> None:
        """Store a new instance (the caller checked its ID is free)."""
        ...


@runtime_checkable
class ConcurrentCatalogStore(CatalogStore, Protocol):
    """**Protocol:** a store that lets calls run beside each other.

    Optional.  The service opens its units of work with :meth:`read_transaction`
    and :meth:`write_transaction` when a store has all four methods (it is a
    ``ConcurrentCatalogStore``), else with :meth:`CatalogStore.transaction` for
    everything; it asks :meth:`account_exists` and :meth:`select_image_groups`
    of any store that has them.  The in-memory store and
    :class:`~imagecatalog.sql.SqlImageRepository` have all four.

    * :meth:`read_transaction` wraps every read: it need not exclude anything,
      and with ``snapshot=True`` (an export of the whole catalog) all its reads
      see one state; without, each answer of :meth:`select_image_groups`,
      :meth:`~CatalogReader.select_images` and
      :meth:`~CatalogReader.select_instances` (a page and its count) must come
      from one consistent state.
    * :meth:`write_transaction` wraps a call whose rules read the state of the
      accounts named only (every rule of the catalog is per owner account, or
      per receiver for its trust list): units of work for accounts apart may run
      at once; those sharing an account, or beside :meth:`transaction` (the
      whole catalog, for the provider's work), must not interleave.
    * :meth:`select_image_groups` answers a listing of several groups at once,
      and :meth:`account_exists` whether an account is registered.
    """

    def read_transaction(self, *, snapshot: bool = False) -> AbstractContextManager[object]:
        """A block of reads (inside a unit of work: the unit's own reads); with
        *snapshot*, every read of the block sees one state of the catalog."""
        ...

    def write_transaction(
        self, account_ids: Iterable[str], *, prefetch_image_ids: Iterable[str] = ()
    ) -> AbstractContextManager[object]:
        """A unit of work for a call whose rules read only these accounts' state;
        nested, a savepoint of the enclosing unit.  *prefetch_image_ids* is a hint,
        not part of the scope: images the call will read, which a store may read
        as the unit begins."""
        ...

    def account_exists(self, account_id: str) -> bool:
        """Whether the account is registered (``get_account(id) is not None``; an
        account is never removed, so a store may remember the answer True)."""
        ...

    def select_image_groups(
        self, groups: Sequence[ImageGroup], query: ImageQuery, offset: int, limit: int
    ) -> list[tuple[int, Sequence[Image]]]:
        """*groups* listed one after the other as one listing: for each group, how
        many of its images pass *query* (as :meth:`~CatalogReader.select_images`
        counts) and those on the page from *offset*, at most *limit* in all."""
        ...


# The 0.1.0 protocol, kept for a release -------------------------------------------------


class _LegacyImageRepository(Protocol):
    """**Protocol:** the store protocol of imagecatalog 0.1.0 (deprecated).

    Deprecated: write stores to :class:`CatalogStore`.  An
    :class:`~imagecatalog.ImageService` given a store of this protocol still
    works for this release (it adapts it, with a :class:`DeprecationWarning`).
    """

    def transaction(self) -> AbstractContextManager[None]: ...
    def add_account(self, account: Account) -> None: ...
    def has_account(self, account_id: str) -> bool: ...
    def accounts(self) -> Iterator[Account]: ...
    def trusted_sharers(self, account_id: str) -> frozenset[str] | None: ...
    def set_trusted_sharers(self, account_id: str, sharers: frozenset[str] | None) -> None: ...
    def get_image(self, image_id: str) -> Image | None: ...
    def add_image(self, image: Image) -> None: ...
    def replace_image(self, image: Image) -> None: ...
    def remove_image(self, image_id: str) -> None: ...
    def images(self) -> Iterator[Image]: ...
    def public_images(
        self, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]: ...
    def custom_images(
        self, owner: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]: ...
    def images_shared_with(
        self, account: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]: ...
    def count_public_images(self, region: Region) -> int: ...
    def count_custom_images(self, owner: Account, region: Region) -> int: ...
    def count_images_shared_with(self, account: Account, region: Region) -> int: ...
    def find_custom_image(self, owner: Account, region: Region, name: str) -> Image | None: ...
    def get_instance(self, instance_id: str) -> Instance | None: ...
    def add_instance(self, instance: Instance) -> None: ...
    def instances(self) -> Iterator[Instance]: ...


class LegacyRepositoryMethods:
    """The 0.1.0 store methods on the built-in stores, each deprecated and built
    on the new protocol, so that code written for 0.1.0 keeps working a release."""

    def has_account(self: CatalogStore, account_id: str) -> bool:
        """Deprecated: ``get_account(account_id) is not None``."""
        deprecated("store.has_account()", "use store.get_account(id) is not None")
        return self.get_account(account_id) is not None

    def accounts(self: CatalogStore) -> Iterator[Account]:
        """Deprecated: the accounts of :meth:`all_accounts`."""
        deprecated("store.accounts()", "use store.all_accounts() or ImageService.contents()")
        return iter([profile.account for profile in self.all_accounts()])

    def images(self: CatalogStore) -> Iterator[Image]:
        """Deprecated: :meth:`all_images`."""
        deprecated("store.images()", "use store.all_images() or ImageService.contents()")
        return self.all_images()

    def instances(self: CatalogStore) -> Iterator[Instance]:
        """Deprecated: :meth:`all_instances`."""
        deprecated("store.instances()", "use store.all_instances() or ImageService.contents()")
        return self.all_instances()

    def trusted_sharers(self: CatalogStore, account_id: str) -> frozenset[str] | None:
        """Deprecated: the IDs of ``get_account(account_id).trusted_sharers``."""
        deprecated("store.trusted_sharers()", "use ImageService.trusted_sharers()")
        profile = self.get_account(account_id)
        if profile is None or profile.trusted_sharers is None:
            return None
        return frozenset(account.id for account in profile.trusted_sharers)

    def set_trusted_sharers(
        self: CatalogStore, account_id: str, sharers: frozenset[str] | None
    ) -> None:
        """Deprecated: :meth:`replace_account` with a new trust list."""
        deprecated("store.set_trusted_sharers()", "use ImageService.set_trusted_sharers()")
        profile = self.get_account(account_id)
        if profile is None:
            raise LookupError(f"account {account_id} is not stored")
        trusted = None if sharers is None else frozenset(Account.of(s) for s in sharers)
        with self.transaction():
            self.replace_account(AccountProfile(account=profile.account, trusted_sharers=trusted))

    def public_images(
        self: CatalogStore, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        """Deprecated: :meth:`select_images` of ``ImageGroup.public(region)``."""
        deprecated("store.public_images()", "use ImageService.describe_images()")
        return iter(_legacy_listing(self, ImageGroup.public(region), start, stop))

    def custom_images(
        self: CatalogStore, owner: Account, region: Region, start: int = 0, stop: int | None = None
    ) -> Iterator[Image]:
        """Deprecated: :meth:`select_images` of ``ImageGroup.owned(owner, region)``."""
        deprecated("store.custom_images()", "use ImageService.describe_images()")
        return iter(_legacy_listing(self, ImageGroup.owned(owner, region), start, stop))

    def images_shared_with(
        self: CatalogStore,
        account: Account,
        region: Region,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[Image]:
        """Deprecated: :meth:`select_images` of ``ImageGroup.shared_with(account, region)``,
        each image as *account* sees it."""
        deprecated("store.images_shared_with()", "use ImageService.describe_images()")
        group = ImageGroup.shared_with(account, region)
        listed = _legacy_listing(self, group, start, stop)
        return iter([image.as_seen_by(account) for image in listed])

    def count_public_images(self: CatalogStore, region: Region) -> int:
        """Deprecated: the count of :meth:`select_images`."""
        deprecated("store.count_public_images()", "use ImageService.describe_images()")
        return self.select_images(ImageGroup.public(region), _EVERYTHING, 0, 0)[0]

    def count_custom_images(self: CatalogStore, owner: Account, region: Region) -> int:
        """Deprecated: the count of :meth:`select_images`."""
        deprecated("store.count_custom_images()", "use ImageService.image_quota()")
        return self.select_images(ImageGroup.owned(owner, region), _EVERYTHING, 0, 0)[0]

    def count_images_shared_with(self: CatalogStore, account: Account, region: Region) -> int:
        """Deprecated: the count of :meth:`select_images`."""
        deprecated("store.count_images_shared_with()", "use ImageService.describe_images()")
        group = ImageGroup.shared_with(account, region)
        return self.select_images(group, _EVERYTHING, 0, 0)[0]


_EVERYTHING = ImageQuery()


def _legacy_listing(
    store: CatalogStore, group: ImageGroup, start: int, stop: int | None
) -> Sequence[Image]:
    limit = 2**62 if stop is None else max(stop - start, 0)
    return store.select_images(group, _EVERYTHING, start, limit)[1]


def adapt_store(store: object) -> CatalogStore:
    """*store*, or an adapter around a store written to 0.1.0's protocol (with a
    :class:`DeprecationWarning`); anything else is refused."""
    if isinstance(store, CatalogStore):
        return store
    from imagecatalog._legacy import LegacyStoreAdapter, looks_like_legacy_store

    if looks_like_legacy_store(store):
        deprecated(
            f"a store written to 0.1.0's ImageRepository protocol ({type(store).__name__})",
            "implement imagecatalog.CatalogStore (see the CHANGELOG); it is adapted for now",
        )
        return LegacyStoreAdapter(store)
    raise InvalidParameterError(
        f"{type(store).__name__} is not a store: it lacks some of the methods of "
        "imagecatalog.CatalogStore",
        parameter="store",
        value=store,
        code=ErrorCode.INVALID_PARAMETER,
    )


def __getattr__(name: str) -> Any:
    if name == "ImageRepository":
        deprecated(
            "imagecatalog.repository.ImageRepository",
            "write stores to imagecatalog.CatalogStore",
        )
        return _LegacyImageRepository
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
