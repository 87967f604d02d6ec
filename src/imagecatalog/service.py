"""The service: the catalog's actions, one provider action each.

A facade, thin on purpose: each method turns its arguments into values
(:mod:`imagecatalog._arguments`), opens one unit of work on the store, and
hands over to a handler (:mod:`imagecatalog._handlers`) for a change or to the
read side (:mod:`imagecatalog.views`) for a question.  A call that raises leaves
the store as it was.

The provider's own operations, which no account calls (publishing public
images, finishing or failing the provider's work on an image, loading a whole
catalog), are apart, on :attr:`ImageService.provider`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType

from imagecatalog import _handlers as handlers
from imagecatalog import views
from imagecatalog._arguments import (
    batch,
    image_id_of,
    instance_id_of,
    keyword_query,
    page_query,
    public_image,
)
from imagecatalog._deprecation import deprecated, replaced_argument
from imagecatalog._ids import IdGenerator
from imagecatalog._validation import parse_enum, require_bool, require_int, require_str
from imagecatalog.accounts import Account
from imagecatalog.clocks import utc_now
from imagecatalog.contents import CatalogContents
from imagecatalog.exceptions import (
    ErrorCode,
    ImageNotFoundError,
    InstanceNotFoundError,
    InvalidParameterError,
)
from imagecatalog.images import (
    Architecture,
    BootMode,
    Image,
    ImageOrigin,
    ImagePage,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
    Support,
    check_description,
    check_family,
    check_image_name,
    check_text,
)
from imagecatalog.importing import check_image_url, check_os_version, importable_platform
from imagecatalog.instances import Instance, InstancePage, check_zone
from imagecatalog.lifecycle import Operation
from imagecatalog.limits import Limits, Quota
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.public_catalog import builtin_public_images
from imagecatalog.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogStore, ConcurrentCatalogStore, adapt_store
from imagecatalog.tags import Tag, check_tags

__all__ = ["MAX_PAGE_SIZE", "ImageService", "ProviderOperations", "UnitOfWork"]


#: A placeholder ID and time for drafts that a handler completes.
_DRAFT_ID = "img-00000000"


class _RolledBack(Exception):  # noqa: N818 - a signal, not an error
    """Raised into a unit of work to undo it without an error of the caller's."""


class UnitOfWork:
    """A block of calls that succeed or fail together (see :meth:`ImageService.unit_of_work`)."""

    __slots__ = ("_accounts", "_block", "_outer", "_rollback", "_service")

    def __init__(self, service: ImageService, accounts: frozenset[str] | None) -> None:
        self._service = service
        self._accounts = accounts
        self._block: AbstractContextManager[object] | None = None
        self._rollback = False
        self._outer: frozenset[str] | _NoUnit | None = _NO_UNIT

    def rollback(self) -> None:
        """Undo everything this block did when it ends, though nothing raised
        (a dry run).  Calls made after this one still see the block's writes."""
        self._rollback = True

    def __enter__(self) -> UnitOfWork:
        service = self._service
        outer = service._open_scope()
        scope = self._accounts
        if not isinstance(outer, _NoUnit):
            scope = service._inner_scope(outer, scope)
        # A new block each time: reusable.
        self._block = service._unit(scope)
        self._rollback = False
        self._block.__enter__()
        self._outer = outer
        service._set_scope(scope)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        block, self._block = self._block, None
        assert block is not None, "UnitOfWork.__exit__ without __enter__"
        self._service._set_scope(self._outer)
        if kind is None and self._rollback:
            try:
                raise _RolledBack
            except _RolledBack as signal:
                block.__exit__(_RolledBack, signal, signal.__traceback__)
            return
        block.__exit__(kind, error, trace)


class _NoUnit:
    """No unit of work is open on this thread."""


_NO_UNIT = _NoUnit()


class ImageService:
    """The image catalog: public, custom and shared images, with every rule.

    The one way to make a catalog.  *store* is where it lives: a fresh
    :class:`~imagecatalog.InMemoryImageRepository` by default, or a
    :class:`~imagecatalog.sql.SqlImageRepository`.  *limits* holds the quotas
    and dated rules (by default the provider's image-types page's: 10 custom
    images per account and region, 50 accounts per shared image, shared images
    launch-only; ``Limits.newest()`` is the live API of today).  *clock* returns the current time
    as an aware datetime (:func:`~imagecatalog.clocks.utc_now` by default).  With
    ``instant=False``, created, imported and copied images stay
    ``CREATING``/``IMPORTING``/``SYNCING`` until the provider finishes them
    (:meth:`ProviderOperations.complete`, :meth:`ProviderOperations.fail`).
    *id_seed* makes new IDs repeatable.  With ``public_catalog=True`` the
    catalog starts with the built-in public images of every region (a store that
    already holds them is left as it is).  With ``strict_accounts=False`` every
    well-formed account ID exists, as on the live API (which knows every
    account): an account is registered the first time a call that changes the
    catalog names it (as the caller, a share's receiver or a trusted sharer),
    and reads by an account never seen answer as for a new one.  By default only
    registered accounts exist (:meth:`register_account`), and naming another is
    :class:`~imagecatalog.AccountNotFoundError`.

    Wherever an account, a region, an image or an instance is asked for, the
    value or its ID string will do; enum arguments take the member, the
    provider's value or the member's name in any case.  Every method that acts
    on an image or an instance takes ``region=``: given, the call is scoped to
    that region as every call of the provider's API is, so an image or instance
    of another region is not found.  Every method is atomic and safe to call
    from several threads.
    """

    def __init__(
        self,
        store: CatalogStore | None = None,
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] | None = None,
        instant: bool = True,
        id_seed: int | None = None,
        public_catalog: bool = False,
        repository: CatalogStore | None = None,
        strict_accounts: bool = True,
    ) -> None:
        store = replaced_argument(
            store, repository, where="ImageService", new_name="store", old_name="repository"
        )
        if limits is not None and not isinstance(limits, Limits):
            raise InvalidParameterError(
                f"limits must be a Limits value, not {limits!r}",
                parameter="limits",
                value=limits,
                code=ErrorCode.INVALID_PARAMETER,
            )
        given = InMemoryImageRepository() if store is None else store
        self._given_store = given  # what ImageService.repository (deprecated) hands back
        self._store = adapt_store(given)
        # A store that lets calls run beside each other gets each call's scope.
        self._concurrent: ConcurrentCatalogStore | None = (
            self._store if isinstance(self._store, ConcurrentCatalogStore) else None
        )
        self._scopes = threading.local()
        self._catalog = handlers.Catalog(
            store=self._store,
            limits=Limits() if limits is None else limits,
            clock=utc_now if clock is None else clock,
            ids=IdGenerator(id_seed),
            instant=require_bool(instant, "instant"),
            strict_accounts=require_bool(strict_accounts, "strict_accounts"),
        )
        self._provider = ProviderOperations(self)
        if require_bool(public_catalog, "public_catalog"):
            self._provider.add_builtin_public_images()

    @property
    def store(self) -> CatalogStore:
        """The store behind this service (to close it, or hand it to another
        service).  Change the catalog through the service, not the store."""
        return self._store

    @property
    def limits(self) -> Limits:
        """The limits this service enforces."""
        return self._catalog.limits

    @property
    def strict_accounts(self) -> bool:
        """True when only registered accounts exist (see the class's docstring)."""
        return self._catalog.strict_accounts

    @property
    def clock(self) -> Callable[[], datetime]:
        """Where this service's times come from."""
        return self._catalog.clock

    @property
    def instant(self) -> bool:
        """True when the provider's work (creating, importing, copying an image)
        finishes at once; False when it stays in progress until
        :meth:`ProviderOperations.complete` or :meth:`ProviderOperations.fail`."""
        return self._catalog.instant

    @property
    def provider(self) -> ProviderOperations:
        """The provider's own operations: publish public images, finish or fail
        work on an image, load a whole catalog."""
        return self._provider

    def unit_of_work(self, *, accounts: Iterable[Account | str] | None = None) -> UnitOfWork:
        """A block of calls that succeed or fail together.

        Inside ``with service.unit_of_work():`` the calls commit together when
        the block ends; an exception undoes all of them.  A nested block is a
        savepoint: its exception undoes only its own calls.  ``uow.rollback()``
        undoes the block without an exception (a dry run).

        Other calls that change the catalog wait until the block ends.  Name
        *accounts* to let the calls of other accounts run meanwhile (on a store
        that allows it, such as the SQL store on PostgreSQL): then every call
        inside must change the catalog for these accounts only (as its caller,
        and, with open accounts, every account it names), else it raises
        :class:`~imagecatalog.InvalidParameterError` and the block goes on.

        >>> service = ImageService()
        >>> with service.unit_of_work() as uow:
        ...     _ = service.register_account("100000000001")
        ...     uow.rollback()
        >>> service.contents().accounts
        ()
        """
        scope = (
            None
            if accounts is None
            else frozenset(account.id for account in batch(accounts, "accounts", Account.of))
        )
        return UnitOfWork(self, scope)

    # Units of work: reads take no lock, a write locks the accounts its rules read

    def _reading(self, *, snapshot: bool = False) -> AbstractContextManager[object]:
        """A block of reads (with *snapshot*, all of one state of the catalog)."""
        concurrent = self._concurrent
        if concurrent is None:
            return self._store.transaction()
        return concurrent.read_transaction(snapshot=snapshot)

    def _writing(
        self, *accounts: Account, images: Sequence[str] = ()
    ) -> AbstractContextManager[object]:
        """A unit of work for a call whose rules read only *accounts*' state (the
        caller's, and the accounts it registers), and that reads *images*."""
        scope = frozenset(account.id for account in accounts)
        outer = self._open_scope()
        if not isinstance(outer, _NoUnit):
            self._inner_scope(outer, scope)
        return self._unit(scope, images)

    def _unit(
        self, scope: frozenset[str] | None, images: Sequence[str] = ()
    ) -> AbstractContextManager[object]:
        concurrent = self._concurrent
        if scope is None or concurrent is None:
            return self._store.transaction()
        return concurrent.write_transaction(scope, prefetch_image_ids=images)

    def _whole_catalog(self) -> AbstractContextManager[object]:
        """A unit of work for the provider's operations, which may change any
        account's images: over the whole catalog."""
        outer = self._open_scope()
        if isinstance(outer, frozenset):
            raise InvalidParameterError(
                f"this unit of work was opened for accounts {', '.join(sorted(outer))}, and "
                "the provider's operations may change any account's images; open the unit "
                "of work with no accounts (the whole catalog) for them",
                parameter="accounts",
                value=sorted(outer),
                code=ErrorCode.INVALID_PARAMETER,
            )
        return self._store.transaction()

    def _registered(self, accounts: Iterable[Account]) -> tuple[Account, ...]:
        """Of the accounts a call names besides its caller, those it may register
        (and so must lock): with open accounts, all; else none (it only checks
        that they are registered, and a registered account stays registered)."""
        return () if self._catalog.strict_accounts else tuple(accounts)

    def _open_scope(self) -> frozenset[str] | _NoUnit | None:
        """The accounts of the unit of work open on this thread (None: the whole
        catalog), or :data:`_NO_UNIT`."""
        scope: frozenset[str] | _NoUnit | None = getattr(self._scopes, "scope", _NO_UNIT)
        return scope

    def _set_scope(self, scope: frozenset[str] | _NoUnit | None) -> None:
        self._scopes.scope = scope

    @staticmethod
    def _inner_scope(
        outer: frozenset[str] | None, inner: frozenset[str] | None
    ) -> frozenset[str] | None:
        """The scope of a block inside a unit of work for *outer*: within it."""
        if outer is None:
            return inner
        if inner is None:
            return outer
        beyond = inner - outer
        if beyond:
            raise InvalidParameterError(
                f"this unit of work was opened for accounts {', '.join(sorted(outer))}, and "
                f"this call changes the catalog for {', '.join(sorted(beyond))} too; open "
                "the unit of work with those accounts as well, or with no accounts (the "
                "whole catalog)",
                parameter="accounts",
                value=sorted(beyond),
                code=ErrorCode.INVALID_PARAMETER,
            )
        return inner

    # Accounts -------------------------------------------------------------------

    def register_account(self, account_id: Account | str, *, exist_ok: bool = False) -> Account:
        """Create an account so it can own images and be shared with.

        An account already registered raises
        :class:`~imagecatalog.AccountAlreadyExistsError`, unless *exist_ok*.
        """
        value = Account.of(account_id)
        exist_ok = require_bool(exist_ok, "exist_ok")
        catalog = self._catalog
        with self._writing(value):
            return handlers.register_account(catalog, value, exist_ok=exist_ok)

    def set_trusted_sharers(
        self, caller: Account | str, account_ids: Iterable[Account | str] | None
    ) -> frozenset[Account] | None:
        """Keep a trust list: launch shared images only from these owners.

        ``None`` removes the list (every sharer is trusted again); an empty
        list trusts nobody.  The provider warns that shared images are not
        audited; this is the way to heed it.  Returns the new list.
        """
        account = Account.of(caller)
        sharers = (
            None
            if account_ids is None
            else batch(account_ids, "account_ids", Account.of, allow_empty=True)
        )
        catalog = self._catalog
        with self._writing(account, *self._registered(sharers or ())):
            return handlers.set_trusted_sharers(catalog, account, sharers)

    def trusted_sharers(self, caller: Account | str) -> frozenset[Account] | None:
        """The accounts whose shared images *caller* trusts, or None if it
        keeps no trust list."""
        account = Account.of(caller)
        catalog = self._catalog
        with self._reading():
            return catalog.viewer(account).trusted_sharers

    # Reading --------------------------------------------------------------------

    def describe_images(
        self,
        caller: Account | str,
        region: Region | str,
        query: ImageQuery | None = None,
        *,
        image_ids: Iterable[Image | str] | None = None,
        kinds: Iterable[object] | None = None,
        name: str | None = None,
        platform: str | None = None,
        os_type: OsType | str | None = None,
        architecture: Architecture | str | None = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> ImagePage:
        """List the images *caller* can see in *region* (DescribeImages).

        That is the public images, the caller's own custom images and the images
        shared with it there.  Ask with an :class:`~imagecatalog.ImageQuery`, or
        with the keywords: either name *image_ids* (unknown or invisible IDs, and
        those of other regions, are left out) or filter: *kinds*, *name* and
        *platform* (case-insensitive substrings), *os_type*, *architecture*.
        Results come public first, then custom, then shared, each oldest first;
        the page holds at most *limit* (1 to 100, default 20) from *offset* (default 0) on,
        ``total_count`` counts every match, and ``page.kinds`` says what each
        image is to the caller.
        """
        viewer = Account.of(caller)
        place = Region.of(region)
        keywords = (image_ids, kinds, name, platform, os_type, architecture)
        filtered = any(keyword is not None for keyword in keywords)
        if query is None:
            offset = 0 if offset is None else offset
            limit = DEFAULT_PAGE_SIZE if limit is None else limit
            if filtered:
                query = keyword_query(*keywords, offset, limit)
            else:
                query = page_query(offset, limit)
        elif (
            filtered or offset is not None or limit is not None or not isinstance(query, ImageQuery)
        ):
            raise InvalidParameterError(
                "describe_images takes an ImageQuery or filter keywords, not both",
                parameter="query",
                value=query,
                code=ErrorCode.INVALID_PARAMETER,
            )
        catalog = self._catalog
        with self._reading():
            catalog.check_reader(viewer)
            return views.describe_images(catalog.store, viewer, place, query)

    def get_image(
        self, caller: Account | str, image_id: Image | str, *, region: Region | str | None = None
    ) -> Image:
        """The image as *caller* sees it, in any region (or only in *region*)."""
        viewer = Account.of(caller)
        image_id = image_id_of(image_id)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._reading():
            catalog.check_reader(viewer)
            found = views.visible_image(catalog.store, viewer, image_id, place)
        if found is None:
            raise ImageNotFoundError(image_id, account=viewer, region=place)
        return found

    def describe_image_from_family(
        self, caller: Account | str, region: Region | str, family: str
    ) -> Image | None:
        """The image of image *family* to launch now (DescribeImageFromFamily):
        of the images *caller* may launch in *region* (a shared image only if
        its owner is on *caller*'s trust list, when it keeps one), the newest
        ``NORMAL`` image of the family that is not deprecated, or None."""
        viewer = Account.of(caller)
        place = Region.of(region)
        name = require_str(family, "family")
        catalog = self._catalog
        with self._reading():
            profile = catalog.viewer(viewer)
            found = views.image_from_family(
                catalog.store, viewer, place, name, profile.trusted_sharers
            )
        return None if found is None else found[0]

    def get_instance(
        self,
        caller: Account | str,
        instance_id: Instance | str,
        *,
        region: Region | str | None = None,
    ) -> Instance:
        """The instance, if *caller* owns it (and it is in *region*, if given)."""
        owner = Account.of(caller)
        instance_id = instance_id_of(instance_id)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._reading():
            catalog.check_reader(owner)
            found = views.owned_instance(catalog.store, owner, instance_id, place)
        if found is None:
            raise InstanceNotFoundError(instance_id, account=owner, region=place)
        return found

    def describe_instances(
        self,
        caller: Account | str,
        region: Region | str | None = None,
        *,
        instance_ids: Iterable[Instance | str] | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> InstancePage:
        """The instances *caller* owns (in *region*, unless None; with
        *instance_ids*, only those, unknown IDs left out), in launch order: at
        most *limit* (1 to 100) from *offset* on, and how many in all."""
        owner = Account.of(caller)
        place = None if region is None else Region.of(region)
        ids = (
            None
            if instance_ids is None
            else batch(instance_ids, "instance_ids", instance_id_of, allow_empty=True)
        )
        require_int(offset, "offset", minimum=0)
        require_int(
            limit,
            "limit",
            minimum=1,
            maximum=MAX_PAGE_SIZE,
            code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT,
        )
        catalog = self._catalog
        with self._reading():
            catalog.check_reader(owner)
            return views.describe_instances(catalog.store, owner, place, offset, limit, ids)

    def image_quota(self, caller: Account | str, region: Region | str) -> Quota:
        """How many custom images *caller* has and may have in *region*."""
        account = Account.of(caller)
        place = Region.of(region)
        catalog = self._catalog
        with self._reading():
            catalog.check_reader(account)
            return catalog.quota(account, place)

    def share_permissions(
        self, caller: Account | str, image_id: Image | str, *, region: Region | str | None = None
    ) -> tuple[SharePermission, ...]:
        """Who *caller*'s image is shared with, and since when (owner only)."""
        owner = Account.of(caller)
        image_id = image_id_of(image_id)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._reading():
            catalog.check_reader(owner)
            found = catalog.owned(owner, image_id, Operation.DESCRIBE_SHARES, place)
        return found.shared_with

    def contents(self) -> CatalogContents:
        """The whole catalog, as it stood at one moment (for snapshots, audits and
        tests: it reads everything, and waits for no write)."""
        catalog = self._catalog
        with self._reading(snapshot=True):
            return handlers.contents(catalog)

    # Instances and custom images ------------------------------------------------

    def launch_instance(
        self,
        caller: Account | str,
        image_id: Image | str,
        *,
        region: Region | str | None = None,
        zone: str | None = None,
    ) -> Instance:
        """Launch an instance from a public, own or shared ``NORMAL`` image.

        The instance runs in the image's region; its ``charges`` say what it
        adds to the bill (:func:`imagecatalog.pricing.launch_charges`).  If the
        caller keeps a trust list, a shared image must come from a trusted owner.
        *zone* (``<region>-<number>``) is the zone it runs in; it needs *region*,
        the region the zone is in (by default, the region's first zone).
        """
        owner = Account.of(caller)
        image_id = image_id_of(image_id)
        place = _region_or_none(region)
        if zone is not None:
            if place is None:
                raise InvalidParameterError(
                    "a zone needs the region it is in: pass region= too",
                    parameter="zone",
                    value=zone,
                )
            zone = check_zone(zone, place)
        catalog = self._catalog
        with self._writing(owner, images=[image_id]):
            return handlers.launch_instance(catalog, owner, image_id, place, zone)

    def create_image(
        self,
        caller: Account | str,
        instance_id: Instance | str,
        *,
        name: str,
        description: str = "",
        region: Region | str | None = None,
        tags: Iterable[Tag | tuple[str, str]] = (),
        family: str | None = None,
    ) -> Image:
        """Make a custom image from an instance *caller* owns (CreateImage).

        The image lands in the instance's region with its OS, platform,
        architecture and system-disk size, and counts against the quota there.
        It carries *tags* (:class:`~imagecatalog.tags.Tag` or ``(key, value)``
        pairs, the tag service's rules) and joins image *family*, if given.
        """
        owner = Account.of(caller)
        instance_id = instance_id_of(instance_id)
        name = check_image_name(name)
        description = check_description(description)
        place = _region_or_none(region)
        checked_tags = check_tags(tags)
        checked_family = None if family is None else check_family(family)
        catalog = self._catalog
        with self._writing(owner):
            return handlers.create_image(
                catalog,
                owner,
                instance_id,
                name=name,
                description=description,
                region=place,
                tags=checked_tags,
                family=checked_family,
            )

    def import_image(
        self,
        caller: Account | str,
        region: Region | str,
        *,
        name: str,
        image_url: str,
        platform: str,
        os_version: str,
        architecture: Architecture | str,
        description: str = "",
        licence_type: LicenceType | str = LicenceType.TENCENT_CLOUD,
        force: bool = False,
        size_gb: int = 50,
        boot_mode: BootMode | str = BootMode.LEGACY_BIOS,
        tags: Iterable[Tag | tuple[str, str]] = (),
        family: str | None = None,
    ) -> Image:
        """Import an image file from object storage into *region* (ImportImage).

        *platform* is one of :data:`~imagecatalog.importing.IMPORTABLE_PLATFORMS`
        and decides the OS type; *architecture* accepts ``arm_64``.  ISO files
        need ``force=True``.  *boot_mode* is ``Legacy BIOS`` (the default) or
        ``UEFI``.  *tags* and *family* as for :meth:`create_image`.  The image
        counts against the quota in *region*.
        """
        owner = Account.of(caller)
        check_image_url(image_url, force=require_bool(force, "force"))
        image_platform, os_type = importable_platform(platform)
        version = check_os_version(os_version)
        arch = Architecture.parse(architecture)
        draft = Image(
            id=_DRAFT_ID,
            name=check_image_name(name),
            description=check_description(description),
            region=Region.of(region),
            owner=owner,
            os_type=os_type,
            platform=image_platform,
            os_name=f"{platform} {version} {arch.bits}bit",
            architecture=arch,
            size_gb=require_int(size_gb, "size_gb", minimum=1),
            state=ImageState.IMPORTING,
            origin=ImageOrigin.EXTERNAL_IMPORT,
            created_at=_DRAFT_TIME,
            licence_type=parse_enum(
                LicenceType,
                licence_type,
                "licence_type",
                code=ErrorCode.INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE,
            ),
            boot_mode=parse_enum(
                BootMode, boot_mode, "boot_mode", code=ErrorCode.INVALID_BOOT_MODE
            ),
            tags=check_tags(tags),
            family=None if family is None else check_family(family),
        )
        catalog = self._catalog
        with self._writing(owner):
            return handlers.import_image(catalog, owner, draft)

    def copy_image(
        self,
        caller: Account | str,
        image_id: Image | str,
        destination_regions: Iterable[Region | str],
        *,
        name: str | None = None,
        region: Region | str | None = None,
        encrypt: bool = False,
        kms_key_id: str | None = None,
    ) -> tuple[Image, ...]:
        """Copy *caller*'s ``NORMAL`` custom image to other regions (SyncImages).

        Each destination gets a new custom image with the same OS, architecture
        and size, named *name* or like the source, counted against the quota
        there.  Shares are not copied.  All destinations succeed or none does.

        Under a profile with ``receivers_may_copy`` (:meth:`Limits.newest`), an
        account an image is shared with may copy it too, into the image's own
        region only: the copy is a custom image of the caller's own.

        With *encrypt*, the copy is an encrypted custom image in the image's own
        region (the one destination allowed), under *kms_key_id* (None: the
        provider's default key); encrypted images are neither copied nor shared.
        """
        owner = Account.of(caller)
        image_id = image_id_of(image_id)
        destinations = batch(destination_regions, "destination_regions", Region.of)
        new_name = None if name is None else check_image_name(name)
        place = _region_or_none(region)
        encryption = None
        if require_bool(encrypt, "encrypt"):
            key = None if kms_key_id is None else _kms_key_id(kms_key_id)
            encryption = handlers.Encryption(kms_key_id=key)
        elif kms_key_id is not None:
            raise InvalidParameterError(
                "kms_key_id is the key of an encrypted copy: pass encrypt=True with it",
                parameter="kms_key_id",
                value=kms_key_id,
            )
        catalog = self._catalog
        with self._writing(owner, images=[image_id]):
            return handlers.copy_image(
                catalog, owner, image_id, destinations, new_name, place, encryption
            )

    def modify_image(
        self,
        caller: Account | str,
        image_id: Image | str,
        *,
        name: str | None = None,
        description: str | None = None,
        region: Region | str | None = None,
        family: str | None = None,
        deprecated: bool | None = None,
    ) -> Image:
        """Change *caller*'s custom image (ModifyImageAttribute): its name,
        description, image *family* (``""`` takes it out of its family) or
        whether it is *deprecated*; any one of them, or several."""
        owner = Account.of(caller)
        image_id = image_id_of(image_id)
        if name is None and description is None and family is None and deprecated is None:
            raise InvalidParameterError(
                "modify_image needs a new name, description, family or deprecation",
                parameter="name",
                value=None,
                code=ErrorCode.INVALID_PARAMETER,
            )
        new_name = None if name is None else check_image_name(name)
        new_description = None if description is None else check_description(description)
        new_family = None if family is None or family == "" else check_family(family)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._writing(owner, images=[image_id]):
            return handlers.modify_image(
                catalog,
                owner,
                image_id,
                name=new_name,
                description=new_description,
                region=place,
                family="" if family == "" else new_family,
                deprecated=None if deprecated is None else require_bool(deprecated, "deprecated"),
            )

    def delete_images(
        self,
        caller: Account | str,
        image_ids: Iterable[Image | str],
        *,
        region: Region | str | None = None,
    ) -> tuple[Image, ...]:
        """Delete *caller*'s custom images (DeleteImages): all of them or none.

        Not while in progress, not while shared with anyone; deleting frees
        quota.  Returns the deleted images, as they were.
        """
        owner = Account.of(caller)
        ids = batch(image_ids, "image_ids", image_id_of)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._writing(owner, images=ids):
            return handlers.delete_images(catalog, owner, ids, place)

    # Sharing --------------------------------------------------------------------

    def share_image(
        self,
        caller: Account | str,
        image_id: Image | str,
        account_ids: Iterable[Account | str],
        *,
        region: Region | str | None = None,
    ) -> Image:
        """Share *caller*'s ``NORMAL`` custom image with other accounts, in its
        region only (ModifyImageSharePermission SHARE).  All or none."""
        owner = Account.of(caller)
        image_id = image_id_of(image_id)
        accounts = batch(account_ids, "account_ids", Account.of)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._writing(owner, *self._registered(accounts), images=[image_id]):
            return handlers.share_image(catalog, owner, image_id, accounts, place)

    def unshare_image(
        self,
        caller: Account | str,
        image_id: Image | str,
        account_ids: Iterable[Account | str],
        *,
        region: Region | str | None = None,
        missing_ok: bool = False,
    ) -> Image:
        """Cancel shares of *caller*'s image, at once (ModifyImageSharePermission
        CANCEL).  All or none.  An account that holds no share is
        :class:`~imagecatalog.SharingError` (``FailedOperation.AccountNotShared``),
        unless *missing_ok*: then it is passed over, as the live API's CANCEL
        does (and an empty list cancels nothing)."""
        owner = Account.of(caller)
        image_id = image_id_of(image_id)
        missing_ok = require_bool(missing_ok, "missing_ok")
        accounts = batch(account_ids, "account_ids", Account.of, allow_empty=missing_ok)
        place = _region_or_none(region)
        catalog = self._catalog
        with self._writing(owner, images=[image_id]):
            return handlers.unshare_image(
                catalog, owner, image_id, accounts, place, missing_ok=missing_ok
            )

    # Deprecated: the provider's side moved to ``service.provider`` --------------

    @property
    def repository(self) -> CatalogStore:
        """Deprecated: :attr:`store` (and change the catalog through the service)."""
        deprecated("ImageService.repository", "use ImageService.store, or unit_of_work()")
        return self._given_store

    def publish_public_image(self, *args: object, **kwargs: object) -> Image:
        """Deprecated: :meth:`ProviderOperations.publish_public_image`."""
        deprecated(
            "ImageService.publish_public_image()", "use service.provider.publish_public_image()"
        )
        return self._provider.publish_public_image(*args, **kwargs)  # type: ignore[arg-type]

    def add_public_images(self, images: Iterable[Image]) -> tuple[Image, ...]:
        """Deprecated: :meth:`ProviderOperations.add_public_images`."""
        deprecated("ImageService.add_public_images()", "use service.provider.add_public_images()")
        return self._provider.add_public_images(images)

    def complete(self, image_id: Image | str) -> Image:
        """Deprecated: :meth:`ProviderOperations.complete`."""
        deprecated("ImageService.complete()", "use service.provider.complete()")
        return self._provider.complete(image_id)

    def fail(self, image_id: Image | str) -> Image | None:
        """Deprecated: :meth:`ProviderOperations.fail`."""
        deprecated("ImageService.fail()", "use service.provider.fail()")
        return self._provider.fail(image_id)

    @classmethod
    def with_public_catalog(
        cls,
        repository: CatalogStore | None = None,
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] | None = None,
        instant: bool = True,
        id_seed: int | None = None,
    ) -> ImageService:
        """Deprecated: ``ImageService(store, public_catalog=True, ...)``."""
        deprecated(
            "ImageService.with_public_catalog()", "use ImageService(store, public_catalog=True)"
        )
        return cls(
            repository,
            limits=limits,
            clock=clock,
            instant=instant,
            id_seed=id_seed,
            public_catalog=True,
        )


class ProviderOperations:
    """The provider's side of a catalog: what no account calls.

    Reached as :attr:`ImageService.provider`; each call is one unit of work.
    """

    def __init__(self, service: ImageService) -> None:
        self._service = service

    def publish_public_image(
        self,
        region: Region | str,
        *,
        name: str,
        os_type: OsType | str,
        platform: str,
        os_name: str,
        architecture: Architecture | str,
        size_gb: int,
        software: Iterable[str] = (),
        support: Support | str | None = None,
        description: str = "",
        licence_type: LicenceType | str = LicenceType.TENCENT_CLOUD,
        boot_mode: BootMode | str = BootMode.LEGACY_BIOS,
    ) -> Image:
        """Add a public image to *region*, as the provider does.

        *support* defaults to the provider for TencentOS and to the community
        or vendor for every other platform.
        """
        platform = require_str(platform, "platform")
        if support is None:
            support = Support.PROVIDER if platform == "TencentOS" else Support.COMMUNITY
        draft = Image(
            id=_DRAFT_ID,
            name=check_image_name(name),
            description=check_description(description),
            region=Region.of(region),
            owner=None,
            os_type=parse_enum(OsType, os_type, "os_type"),
            platform=platform,
            os_name=require_str(os_name, "os_name"),
            architecture=Architecture.parse(architecture),
            size_gb=require_int(size_gb, "size_gb", minimum=1),
            state=ImageState.NORMAL,
            origin=ImageOrigin.OFFICIAL,
            created_at=_DRAFT_TIME,
            licence_type=parse_enum(LicenceType, licence_type, "licence_type"),
            software=batch(
                software, "software", lambda item: require_str(item, "software"), allow_empty=True
            ),
            support=parse_enum(Support, support, "support"),
            boot_mode=parse_enum(BootMode, boot_mode, "boot_mode"),
        )
        catalog = self._service._catalog
        with self._service._whole_catalog():
            return handlers.publish_public_image(catalog, draft)

    def add_public_images(self, images: Iterable[Image]) -> tuple[Image, ...]:
        """Add ready-made public images, all or none.

        Each must be a public ``NORMAL`` image in a known region, with an ID
        no other image has.
        """
        checked = batch(images, "images", public_image)
        catalog = self._service._catalog
        with self._service._whole_catalog():
            return handlers.add_public_images(catalog, checked)

    def add_builtin_public_images(self) -> tuple[Image, ...]:
        """Add the built-in public image catalog (:mod:`imagecatalog.public_catalog`),
        unless the catalog already holds it (then nothing changes)."""
        images = builtin_public_images()
        catalog = self._service._catalog
        with self._service._reading():  # usually there already: then no lock is taken
            if catalog.store.get_image(images[0].id) is not None:
                return ()
        with self._service._whole_catalog():
            if catalog.store.get_image(images[0].id) is not None:
                return ()
            return handlers.add_public_images(catalog, images)

    def complete(self, image_id: Image | str) -> Image:
        """Finish the provider's work on an image: it becomes ``NORMAL``.  When
        it is a copy and the last of its source's copies in progress, the
        source, ``SYNCING`` while they ran, is ``NORMAL`` again.  The source
        itself cannot be completed: complete its copies."""
        image_id = image_id_of(image_id)
        catalog = self._service._catalog
        with self._service._whole_catalog():
            finished = handlers.finish(catalog, image_id, succeeded=True)
        assert finished is not None  # only a failed copy disappears
        return finished

    def fail(self, image_id: Image | str) -> Image | None:
        """Fail the provider's work on an image: a created or imported image
        becomes ``CREATEFAILED`` or ``IMPORTFAILED`` (and still counts against
        quota until deleted); a failed copy is removed, and None is returned
        (its source is ``NORMAL`` again when no other copy of it runs)."""
        image_id = image_id_of(image_id)
        catalog = self._service._catalog
        with self._service._whole_catalog():
            return handlers.finish(catalog, image_id, succeeded=False)

    def work_in_progress(self) -> tuple[Image, ...]:
        """Every image the provider is still working on (``CREATING``,
        ``IMPORTING`` or ``SYNCING``), oldest first: what :meth:`complete` and
        :meth:`fail` may end.  The source of copies in progress, ``SYNCING``
        too, is not among them: it is ``NORMAL`` again when its last copy
        ends.  Reads the whole store."""
        with self._service._reading():
            found = handlers.own_work(self._service._catalog)
        return tuple(sorted(found, key=lambda image: (image.created_at, image.id)))

    def copies_in_progress(self, image_id: Image | str) -> tuple[Image, ...]:
        """The copies of an image its owner is making, still ``SYNCING`` (while
        there are any, the image shows ``SYNCING`` too; a receiver's copies
        leave the image as it is).  Reads the whole store."""
        image_id = image_id_of(image_id)
        with self._service._reading():
            source = self._service.store.get_image(image_id)
            if source is None:
                raise ImageNotFoundError(image_id)
            return handlers.running_copies(self._service._catalog, source)

    def load(self, contents: CatalogContents) -> None:
        """Put a whole catalog into this service's empty store, all or nothing.

        *contents* must keep every invariant of the catalog under this service's
        limits (:func:`~imagecatalog.invariants.catalog_violations`), else
        :class:`~imagecatalog.SnapshotError` says which it breaks.
        """
        if not isinstance(contents, CatalogContents):
            raise InvalidParameterError(
                f"load takes CatalogContents, not {type(contents).__name__}",
                parameter="contents",
                value=contents,
                code=ErrorCode.INVALID_PARAMETER,
            )
        catalog = self._service._catalog
        with self._service._whole_catalog():
            handlers.load(catalog, contents)


_DRAFT_TIME = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def _kms_key_id(value: object) -> str:
    """A KMS key ID, as SyncImages' KmsKeyId takes it (at most 128 characters),
    else SyncImages' own code for a bad key (InvalidParameter.InvalidKmsKeyId)."""
    try:
        return check_text(value, "kms_key_id", 128)
    except InvalidParameterError as error:
        error.code = ErrorCode.INVALID_KMS_KEY_ID
        raise


def _region_or_none(region: Region | str | None) -> Region | None:
    """The region a call is scoped to, or None (any region)."""
    return None if region is None else Region.of(region)
