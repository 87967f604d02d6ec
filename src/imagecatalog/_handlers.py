"""The service's use cases, one short function each (the write side).

Each handler runs inside the unit of work the service opened: it loads what it
needs from the store, asks the rule modules whether the change is allowed
(:mod:`~imagecatalog.lifecycle`, :mod:`~imagecatalog.sharing`,
:mod:`~imagecatalog.limits`), stores the result and returns it.  Arguments
arrive checked (:mod:`imagecatalog._arguments`); a rule that says no raises,
and the unit of work undoes whatever the call had written.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from imagecatalog._ids import IdGenerator
from imagecatalog.accounts import Account, AccountProfile
from imagecatalog.clocks import Clock
from imagecatalog.contents import CatalogContents
from imagecatalog.exceptions import (
    AccountAlreadyExistsError,
    AccountNotFoundError,
    ErrorCode,
    ImageNotFoundError,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
    SnapshotError,
)
from imagecatalog.images import Image, ImageKind, ImageOrigin, ImageState
from imagecatalog.instances import Instance
from imagecatalog.invariants import catalog_violations
from imagecatalog.lifecycle import (
    Operation,
    check_deletable,
    check_launchable,
    check_name_free,
    check_state,
    require_owner,
    require_visible,
)
from imagecatalog.limits import Limits, Quota, check_image_quota
from imagecatalog.pricing import launch_charges
from imagecatalog.query import _GROUPS, ImageQuery, _group
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogStore
from imagecatalog.sharing import check_share, check_unshare, share, unshare
from imagecatalog.tags import Tag

_FAILED = {
    ImageState.CREATING: ImageState.CREATEFAILED,
    ImageState.IMPORTING: ImageState.IMPORTFAILED,
}
_EVERYTHING = ImageQuery()
_CUSTOM_KIND, _SHARED_KIND = ImageKind.CUSTOM, ImageKind.SHARED
# Members looked up once: an enum's attribute costs a descriptor call on every read.
_NORMAL, _CREATING, _IMPORTING, _SYNCING = (
    ImageState.NORMAL,
    ImageState.CREATING,
    ImageState.IMPORTING,
    ImageState.SYNCING,
)
_COPY, _MODIFY, _DELETE, _SHARE, _UNSHARE, _COMPLETE, _FAIL = (
    Operation.COPY,
    Operation.MODIFY,
    Operation.DELETE,
    Operation.SHARE,
    Operation.UNSHARE,
    Operation.COMPLETE,
    Operation.FAIL,
)


class LastTime:
    """The last time the catalog handed out, so that each is later than the last."""

    __slots__ = ("_last", "_lock")

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def after(self, now: datetime) -> datetime:
        """*now*, or a microsecond after the last time handed out if *now* is not later."""
        with self._lock:
            last = self._last
            if last is not None and now <= last:
                now = last + _MICROSECOND
            self._last = now
            return now


_MICROSECOND = timedelta(microseconds=1)


@attrs.frozen(kw_only=True)
class Encryption:
    """An encrypted copy's key: *kms_key_id*, or None for the provider's default key."""

    kms_key_id: str | None = None


@attrs.frozen(kw_only=True)
class Catalog:
    """What every handler works with: the store, the limits, the clock, the
    ID generator, and whether the provider's work finishes at once."""

    store: CatalogStore
    limits: Limits
    clock: Clock
    ids: IdGenerator
    instant: bool
    #: Only registered accounts exist (the seed's rule); else every well-formed
    #: account ID does, as on the live API, and is registered when a write names it.
    strict_accounts: bool = True
    last_time: LastTime = attrs.Factory(lambda: LastTime())

    def now(self) -> datetime:
        """The clock's time, which must be timezone-aware (it orders listings).

        Never the time of an earlier call, or earlier: when the clock has not
        moved on, a microsecond is added, so that what is made later is newer
        (DescribeImageFromFamily picks the newest image)."""
        now: object = self.clock()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise InvalidParameterError(
                f"the service's clock returned {now!r}; it must return timezone-aware "
                "datetimes, such as datetime.now(UTC)",
                parameter="clock",
                value=now,
                code=ErrorCode.INVALID_PARAMETER,
            )
        return self.last_time.after(now)

    def new_image_id(self) -> str:
        return self.ids.new("img", lambda i: self.store.get_image(i) is not None)

    def new_instance_id(self) -> str:
        return self.ids.new("ins", lambda i: self.store.get_instance(i) is not None)

    def caller(self, account: Account) -> AccountProfile:
        """*account*'s profile, for a write that names it (as the caller, or any
        account named): it must be registered, or, with open accounts, it is
        registered now (in the call's unit of work: a refused call undoes it)."""
        profile = self.store.get_account(account.id)
        if profile is None:
            if self.strict_accounts:
                raise AccountNotFoundError(account)
            profile = AccountProfile(account=account)
            self.store.add_account(profile)
        return profile

    def viewer(self, account: Account) -> AccountProfile:
        """*account*'s profile, for a read: it must be registered, or, with open
        accounts, an account never seen has a new profile (nothing is written)."""
        profile = self.store.get_account(account.id)
        if profile is None:
            if self.strict_accounts:
                raise AccountNotFoundError(account)
            return AccountProfile(account=account)
        return profile

    def check_reader(self, account: Account) -> None:
        """*account* may read: it is registered, or accounts are open (then an
        account never seen reads as a new one)."""
        if self.strict_accounts and not self.exists(account.id):
            raise AccountNotFoundError(account)

    def exists(self, account_id: str) -> bool:
        """Whether the account is registered (asked of the store in one question
        when it can answer it alone)."""
        account_exists = getattr(self.store, "account_exists", None)
        if account_exists is not None:
            found: bool = account_exists(account_id)
            return found
        return self.store.get_account(account_id) is not None

    def is_registered_id(self, account_id: str) -> bool:
        return not self.strict_accounts or self.exists(account_id)

    def visible(
        self, viewer: Account, image_id: str, region: Region | None = None
    ) -> tuple[Image, ImageKind]:
        return require_visible(self.store.get_image(image_id), image_id, viewer, region)

    def owned(
        self, owner: Account, image_id: str, operation: Operation, region: Region | None = None
    ) -> Image:
        image, kind = self.visible(owner, image_id, region)
        require_owner(image, kind, owner, operation)
        return image

    def owned_instance(
        self, owner: Account, instance_id: str, region: Region | None = None
    ) -> Instance:
        instance = self.store.get_instance(instance_id)
        if (
            instance is None
            or instance.owner != owner
            or (region is not None and instance.region != region)
        ):
            raise InstanceNotFoundError(instance_id, account=owner, region=region)
        return instance

    def quota(self, account: Account, region: Region) -> Quota:
        # ImageGroup.owned(account, region), looked up inline: quotas are on every write.
        group = _GROUPS.get((_CUSTOM_KIND, region.id, account.id)) or _group(
            _CUSTOM_KIND, region, account
        )
        used, _ = self.store.select_images(group, _EVERYTHING, 0, 0)
        return Quota(used=used, limit=self.limits.image_quota_for(account))

    def check_room(self, owner: Account, region: Region, name: str) -> None:
        """A new custom image named *name* fits in *region*: name free, quota left."""
        check_name_free(name, owner, region, self.store.find_custom_image(owner, region, name))
        check_image_quota(owner, region, self.quota(owner, region))


# Accounts -------------------------------------------------------------------------------


def register_account(catalog: Catalog, account: Account, *, exist_ok: bool) -> Account:
    if catalog.store.get_account(account.id) is not None:
        if exist_ok:
            return account
        raise AccountAlreadyExistsError(account)
    catalog.store.add_account(AccountProfile(account=account))
    return account


def set_trusted_sharers(
    catalog: Catalog, caller: Account, sharers: Sequence[Account] | None
) -> frozenset[Account] | None:
    profile = catalog.caller(caller)
    for sharer in sharers or ():
        catalog.caller(sharer)
    trusted = None if sharers is None else frozenset(sharers)
    catalog.store.replace_account(attrs.evolve(profile, trusted_sharers=trusted))
    return trusted


# Instances and custom images ------------------------------------------------------------


def launch_instance(
    catalog: Catalog,
    caller: Account,
    image_id: str,
    region: Region | None = None,
    zone: str | None = None,
) -> Instance:
    profile = catalog.caller(caller)
    image, kind = catalog.visible(caller, image_id, region)
    check_launchable(image, kind, caller, profile.trusted_sharers)
    instance = Instance(
        id=catalog.new_instance_id(),
        owner=caller,
        region=image.region,
        image_id=image.id,
        os_type=image.os_type,
        platform=image.platform,
        os_name=image.os_name,
        architecture=image.architecture,
        system_disk_gb=image.size_gb,
        licence_type=image.licence_type,
        boot_mode=image.boot_mode,
        launched_at=catalog.now(),
        charges=launch_charges(image),
        zone=zone,
    )
    catalog.store.add_instance(instance)
    return instance


def create_image(
    catalog: Catalog,
    caller: Account,
    instance_id: str,
    *,
    name: str,
    description: str,
    region: Region | None = None,
    tags: tuple[Tag, ...] = (),
    family: str | None = None,
) -> Image:
    catalog.caller(caller)
    instance = catalog.owned_instance(caller, instance_id, region)
    catalog.check_room(caller, instance.region, name)
    image = Image(
        id=catalog.new_image_id(),
        name=name,
        description=description,
        region=instance.region,
        owner=caller,
        os_type=instance.os_type,
        platform=instance.platform,
        os_name=instance.os_name,
        architecture=instance.architecture,
        size_gb=instance.system_disk_gb,
        state=_NORMAL if catalog.instant else _CREATING,
        origin=ImageOrigin.CREATE_IMAGE,
        created_at=catalog.now(),
        licence_type=instance.licence_type,
        boot_mode=instance.boot_mode,
        tags=tags,
        family=family,
    )
    catalog.store.add_image(image)
    return image


def import_image(catalog: Catalog, caller: Account, draft: Image) -> Image:
    """*draft* (checked, with a placeholder ID and time) imported for *caller*."""
    catalog.caller(caller)
    catalog.check_room(caller, draft.region, draft.name)
    image = draft.issued(
        id=catalog.new_image_id(),
        created_at=catalog.now(),
        state=_NORMAL if catalog.instant else _IMPORTING,
    )
    catalog.store.add_image(image)
    return image


def copy_image(
    catalog: Catalog,
    caller: Account,
    image_id: str,
    destinations: Sequence[Region],
    name: str | None,
    region: Region | None = None,
    encryption: Encryption | None = None,
) -> tuple[Image, ...]:
    profile = catalog.caller(caller)
    source, kind = catalog.visible(caller, image_id, region)
    if kind is _SHARED_KIND and catalog.limits.receivers_may_copy:
        if encryption is not None:
            raise InvalidParameterError(
                f"image {source.id} is shared with you, and an encrypted copy can be made "
                "only of an image of your own: copy it unencrypted into its region, then "
                "make an encrypted copy of your copy",
                parameter="encrypt",
                value=True,
                code=ErrorCode.SYNC_ENCRYPT_IMAGE_NOT_SUPPORT,
            )
        return _copy_shared_image(catalog, profile, source, kind, destinations, name)
    require_owner(source, kind, caller, _COPY)
    check_state(source, _COPY)
    if source.encrypted:
        raise InvalidParameterError(
            f"image {source.id} is encrypted, and encrypted images are not copied; copy "
            "the unencrypted image it was copied from",
            parameter="image_id",
            value=source.id,
            code=ErrorCode.ENCRYPTED_IMAGES_NOT_SUPPORTED,
        )
    if encryption is not None:
        return _copy_encrypted(catalog, caller, source, destinations, name, encryption)
    if source.region in destinations:
        raise InvalidParameterError(
            f"cannot copy image {source.id} to {source.region.id}: that is the "
            "region it is in; choose other destination regions",
            parameter="destination_regions",
            value=[region.id for region in destinations],
            code=ErrorCode.INVALID_PARAMETER_VALUE_INVALID_REGION,
        )
    copy_name = source.name if name is None else name
    for destination in destinations:
        catalog.check_room(caller, destination, copy_name)
    copies = tuple(
        source.copied(
            id=catalog.new_image_id(),
            region=destination,
            name=copy_name,
            state=_NORMAL if catalog.instant else _SYNCING,
            created_at=catalog.now(),
        )
        for destination in destinations
    )
    for copy in copies:
        catalog.store.add_image(copy)
    _mark_copying(catalog, source, copies)
    return copies


def _copy_encrypted(
    catalog: Catalog,
    caller: Account,
    source: Image,
    destinations: Sequence[Region],
    name: str | None,
    encryption: Encryption,
) -> tuple[Image, ...]:
    """An encrypted copy of *caller*'s image, in the image's own region only
    (SyncImages' Encrypt: "复制加密自定义镜像仅支持同地域")."""
    copy = _copy_in_place(
        catalog,
        caller,
        source,
        destinations,
        name,
        why=f"an encrypted copy of image {source.id} can be made only in its own region",
        way_out="make it there, or copy unencrypted to other regions",
        encrypted=True,
        kms_key_id=encryption.kms_key_id,
    )
    _mark_copying(catalog, source, (copy,))
    return (copy,)


def _copy_shared_image(
    catalog: Catalog,
    profile: AccountProfile,
    source: Image,
    kind: ImageKind,
    destinations: Sequence[Region],
    name: str | None,
) -> tuple[Image, ...]:
    """A receiver's copy of an image shared with it: one custom image of its own,
    in the image's own region (the newest profile's SyncImages rule).  The
    owner's image does not change (ours: no source says a receiver's copy makes
    the owner's image busy, and nothing of the owner's should hang on what
    another account does)."""
    caller = profile.account
    check_state(source, _COPY)
    # A trust list guards copies as it guards launches: a copy of one's own would
    # otherwise launder an untrusted image.
    check_launchable(source, kind, caller, profile.trusted_sharers)
    copy = _copy_in_place(
        catalog,
        caller,
        source,
        destinations,
        name,
        why=f"image {source.id} is shared with you: it can be copied only into its own region",
        way_out="copy it there, then copy your copy to other regions",
        owner=caller,
    )
    return (copy,)


def _copy_in_place(
    catalog: Catalog,
    caller: Account,
    source: Image,
    destinations: Sequence[Region],
    name: str | None,
    *,
    why: str,
    way_out: str,
    owner: Account | None = None,
    encrypted: bool = False,
    kms_key_id: str | None = None,
) -> Image:
    """One copy of *source* into its own region, the one destination allowed
    (*why* says why, *way_out* what to do instead): owned by *owner* (None: the
    source's owner), *encrypted* under *kms_key_id*."""
    if tuple(destinations) != (source.region,):
        raise InvalidParameterError(
            f"{why} {source.region.id}, not {', '.join(r.id for r in destinations)}; {way_out}",
            parameter="destination_regions",
            value=[region.id for region in destinations],
            code=ErrorCode.INVALID_PARAMETER_VALUE_INVALID_REGION,
        )
    copy_name = source.name if name is None else name
    catalog.check_room(caller, source.region, copy_name)
    copy = source.copied(
        id=catalog.new_image_id(),
        region=source.region,
        name=copy_name,
        state=_NORMAL if catalog.instant else _SYNCING,
        created_at=catalog.now(),
        owner=owner,
        encrypted=encrypted,
        kms_key_id=kms_key_id,
    )
    catalog.store.add_image(copy)
    return copy


def _mark_copying(catalog: Catalog, source: Image, copies: Sequence[Image]) -> None:
    """While copies of *source* are in progress, the source shows ``SYNCING`` too,
    as on the live API (terraform's sync-image resource waits on the source's
    ID until it is ``NORMAL`` again); :func:`finish` of its last copy ends it."""
    if any(copy.state is _SYNCING for copy in copies):
        catalog.store.replace_image(source.with_state(_SYNCING))


def own_work(catalog: Catalog) -> list[Image]:
    """The images in progress on work of their own (not the sources of running
    copies, which end with their copies); reads the whole store."""
    running = [image for image in catalog.store.all_images() if image.state.in_progress]
    sources = {(image.copied_from, image.owner) for image in running if image.state is _SYNCING}
    return [image for image in running if (image.id, image.owner) not in sources]


def running_copies(catalog: Catalog, source: Image) -> tuple[Image, ...]:
    """The copies *source*'s owner is making of it, still in progress (reads the
    whole store); a receiver's copies do not count (they leave the source as it is)."""
    return tuple(
        image
        for image in catalog.store.all_images()
        if image.copied_from == source.id
        and image.state is _SYNCING
        and image.owner == source.owner
    )


def modify_image(
    catalog: Catalog,
    caller: Account,
    image_id: str,
    *,
    name: str | None,
    description: str | None,
    region: Region | None = None,
    family: str | None = None,
    deprecated: bool | None = None,
) -> Image:
    catalog.caller(caller)
    image = catalog.owned(caller, image_id, _MODIFY, region)
    check_state(image, _MODIFY)
    if name is not None:
        existing = catalog.store.find_custom_image(caller, image.region, name)
        check_name_free(name, caller, image.region, existing, ignoring=(image.id,))
    changed = image.renamed(name=name, description=description)
    if family is not None:  # "" takes the image out of its family
        changed = changed.with_family(family or None)
    if deprecated is not None:
        changed = changed.with_deprecated(deprecated)
    catalog.store.replace_image(changed)
    return changed


def delete_images(
    catalog: Catalog, caller: Account, image_ids: Sequence[str], region: Region | None = None
) -> tuple[Image, ...]:
    catalog.caller(caller)
    doomed = []
    for image_id in image_ids:  # each image passes every rule before the next is looked at
        image = catalog.owned(caller, image_id, _DELETE, region)
        check_deletable(image)
        doomed.append(image)
    for image in doomed:
        catalog.store.remove_image(image.id)
    return tuple(doomed)


# Sharing --------------------------------------------------------------------------------


def share_image(
    catalog: Catalog,
    caller: Account,
    image_id: str,
    accounts: Sequence[Account],
    region: Region | None = None,
) -> Image:
    catalog.caller(caller)
    image = catalog.owned(caller, image_id, _SHARE, region)
    check_share(
        image,
        caller,
        accounts,
        limit=catalog.limits.accounts_per_shared_image,
        is_registered=catalog.is_registered_id,
    )
    if not catalog.strict_accounts:
        for account in accounts:
            catalog.caller(account)  # registers an account the catalog has not met
    shared = share(image, accounts, catalog.now())
    catalog.store.replace_image(shared)
    return shared


def unshare_image(
    catalog: Catalog,
    caller: Account,
    image_id: str,
    accounts: Sequence[Account],
    region: Region | None = None,
    missing_ok: bool = False,
) -> Image:
    catalog.caller(caller)
    image = catalog.owned(caller, image_id, _UNSHARE, region)
    check_unshare(image, caller, accounts, missing_ok=missing_ok)
    if not any(account.id in image.shared_account_ids for account in accounts):
        return image  # nothing to cancel
    remaining = unshare(image, accounts)
    catalog.store.replace_image(remaining)
    return remaining


# The provider's side --------------------------------------------------------------------


def publish_public_image(catalog: Catalog, draft: Image) -> Image:
    """*draft* (checked, with a placeholder ID and time) published."""
    image = draft.issued(id=catalog.new_image_id(), created_at=catalog.now())
    catalog.store.add_image(image)
    return image


def add_public_images(catalog: Catalog, images: Sequence[Image]) -> tuple[Image, ...]:
    for image in images:
        if catalog.store.get_image(image.id) is not None:
            raise InvalidParameterError(
                f"image ID {image.id} is already taken; public images need fresh IDs",
                parameter="images",
                value=image.id,
            )
        catalog.store.add_image(image)
    return tuple(images)


def finish(catalog: Catalog, image_id: str, *, succeeded: bool) -> Image | None:
    """The provider's work on *image_id* ends: NORMAL, or failed (a failed copy
    disappears and None is returned)."""
    image = catalog.store.get_image(image_id)
    if image is None:
        raise ImageNotFoundError(image_id)
    check_state(image, _COMPLETE if succeeded else _FAIL)
    if image.state is _SYNCING:
        copies = running_copies(catalog, image)
        if copies:
            raise InvalidImageStateError(
                image_id=image.id,
                state=image.state,
                operation=_COMPLETE if succeeded else _FAIL,
                allowed=(),
                code=ErrorCode.INVALID_IMAGE_STATE,
                reason=(
                    f"it is the source of {len(copies)} copies in progress "
                    f"({', '.join(copy.id for copy in copies)}), and is SYNCING until they "
                    "end: complete or fail those copies instead"
                ),
            )
    if not succeeded and image.state is _SYNCING:
        catalog.store.remove_image(image_id)
        finished: Image | None = None
    else:
        finished = image.with_state(_NORMAL if succeeded else _FAILED[image.state])
        catalog.store.replace_image(finished)
    if image.state is _SYNCING and image.copied_from is not None:
        _copy_ended(catalog, image.copied_from)
    return finished


def _copy_ended(catalog: Catalog, source_id: str) -> None:
    """A copy of *source_id* ended: the source is ``NORMAL`` again once none runs."""
    source = catalog.store.get_image(source_id)
    if source is not None and source.state is _SYNCING and not running_copies(catalog, source):
        catalog.store.replace_image(source.with_state(_NORMAL))


def load(catalog: Catalog, contents: CatalogContents) -> None:
    """Put *contents* into an empty store, after checking every invariant (under
    the catalog's own limits)."""
    problems = catalog_violations(attrs.evolve(contents, limits=catalog.limits))
    if problems:
        raise SnapshotError("; ".join(map(str, problems[:5])))
    store = catalog.store
    if next(store.all_accounts(), None) is not None or next(store.all_images(), None):
        raise SnapshotError("the store to load into is not empty")
    for profile in contents.accounts:
        store.add_account(profile)
    for image in contents.images:
        store.add_image(image)
    for instance in contents.instances:
        store.add_instance(instance)


def contents(catalog: Catalog) -> CatalogContents:
    store = catalog.store
    return CatalogContents(
        accounts=store.all_accounts(),
        images=store.all_images(),
        instances=store.all_instances(),
        limits=catalog.limits,
    )
