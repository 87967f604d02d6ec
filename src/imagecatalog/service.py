"""The service: the catalog's operations, one provider action each.

Thin on purpose: every method checks its arguments, then inside one unit of
work of the repository loads what it needs, asks the domain rules
(:mod:`~imagecatalog.lifecycle`, :mod:`~imagecatalog.sharing`,
:mod:`~imagecatalog.limits`) whether the operation is allowed, stores the
result and returns it.  A call that raises leaves the repository as it was.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from imagecatalog._ids import IdGenerator
from imagecatalog._validation import require_int, require_str
from imagecatalog.accounts import Account
from imagecatalog.exceptions import (
    AccountNotFoundError,
    ErrorCode,
    ImageNotFoundError,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
)
from imagecatalog.images import (
    Architecture,
    Image,
    ImageKind,
    ImageOrigin,
    ImagePage,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
    Support,
    check_description,
    check_image_id,
    check_image_name,
    replace_checked_fields,
)
from imagecatalog.importing import (
    check_image_url,
    check_os_version,
    importable_platform,
)
from imagecatalog.instances import Instance, check_instance_id
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
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.pricing import launch_charges
from imagecatalog.public_catalog import builtin_public_images
from imagecatalog.regions import Region
from imagecatalog.repository import ImageRepository
from imagecatalog.sharing import check_share, check_unshare, share, unshare

__all__ = ["MAX_PAGE_SIZE", "ImageService"]

#: Largest ``limit`` DescribeImages accepts.
MAX_PAGE_SIZE = 100

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)

#: Listing order: public images, then the caller's own, then those shared with it.
_KIND_ORDER = {ImageKind.PUBLIC: 0, ImageKind.CUSTOM: 1, ImageKind.SHARED: 2}

_FAILED = {
    ImageState.CREATING: ImageState.CREATEFAILED,
    ImageState.IMPORTING: ImageState.IMPORTFAILED,
}


#: Reads positions *start* to *stop* of one group of a listing.
_Fetch = Callable[[int, "int | None"], Iterator[Image]]


def _page(groups: list[tuple[int, _Fetch]], offset: int, limit: int) -> tuple[int, list[Image]]:
    """The total size of *groups* and the *limit* images from *offset* on,
    reading only the groups the page touches."""
    total = sum(count for count, _ in groups)
    page: list[Image] = []
    for count, fetch in groups:
        if len(page) == limit:
            break
        if offset >= count:
            offset -= count
            continue
        stop = min(count, offset + limit - len(page))
        page.extend(fetch(offset, stop))
        offset = 0
    return total, page


def _utc_now() -> datetime:
    """The default clock: now, in UTC, to the microsecond (listings order by it)."""
    return datetime.now(UTC)


def _batch(
    values: object, parameter: str, parse: Callable[[Any], _T], *, allow_empty: bool = False
) -> tuple[_T, ...]:
    """A list of distinct items, each checked by *parse*; empty only if allowed."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidParameterError(
            f"{parameter} must be a list, not {type(values).__name__} {values!r}; "
            f"wrap a single item in a list",
            parameter=parameter,
            value=values,
            code=ErrorCode.INVALID_PARAMETER,
        )
    items = tuple(map(parse, values))
    if not items and not allow_empty:
        raise InvalidParameterError(
            f"{parameter} must not be empty; name at least one",
            parameter=parameter,
            value=values,
        )
    if len(set(items)) != len(items):
        repeated = [item for item, count in Counter(items).items() if count > 1]
        raise InvalidParameterError(
            f"{parameter} names {', '.join(map(str, repeated))} more than once; name each once",
            parameter=parameter,
            value=values,
        )
    return items


def _public_image(value: object) -> Image:
    if not isinstance(value, Image) or not value.is_public:
        raise InvalidParameterError(
            f"{value!r} is not a public image; public images have no owner",
            parameter="images",
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )
    if value.state is not ImageState.NORMAL:
        raise InvalidParameterError(
            f"public image {value.id} is {value.state.value}; publish NORMAL images only",
            parameter="images",
            value=value,
        )
    Region.of(value.region)
    return value


def _enum_arg(
    enum_type: type[_E],
    value: object,
    parameter: str,
    code: str = ErrorCode.INVALID_PARAMETER_VALUE,
) -> _E:
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum_type)
        raise InvalidParameterError(
            f"{parameter} {value!r} is not one of {choices}",
            parameter=parameter,
            value=value,
            code=code,
        ) from None


def _filter_text(value: object, parameter: str) -> str:
    text = require_str(value, parameter)
    if not text:
        raise InvalidParameterError(
            f"{parameter} filter must not be empty; leave it out to match everything",
            parameter=parameter,
            value=value,
        )
    return text.casefold()


def _require_bool(value: object, parameter: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameterError(
            f"{parameter} must be True or False, not {value!r}",
            parameter=parameter,
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )
    return value


class ImageService:
    """The image catalog: public, custom and shared images, with every rule.

    *repository* defaults to a fresh :class:`~imagecatalog.InMemoryImageRepository`.
    *limits* holds the quotas (the seed's figures by default).  *clock* returns
    the current time as an aware UTC datetime.  With ``instant=False``, created,
    imported and copied images stay ``CREATING``/``IMPORTING``/``SYNCING`` until
    :meth:`complete` or :meth:`fail`.  *id_seed* makes new IDs repeatable.

    Account and region arguments accept the value or its ID string.  Every
    method is atomic and safe to call from several threads.
    """

    def __init__(
        self,
        repository: ImageRepository | None = None,
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] | None = None,
        instant: bool = True,
        id_seed: int | None = None,
    ) -> None:
        self._repository: ImageRepository = (
            InMemoryImageRepository() if repository is None else repository
        )
        if limits is not None and not isinstance(limits, Limits):
            raise InvalidParameterError(
                f"limits must be a Limits value, not {limits!r}",
                parameter="limits",
                value=limits,
                code=ErrorCode.INVALID_PARAMETER,
            )
        self._limits = Limits() if limits is None else limits
        self._clock = _utc_now if clock is None else clock
        self._instant = _require_bool(instant, "instant")
        self._ids = IdGenerator(id_seed)

    @property
    def repository(self) -> ImageRepository:
        """The store behind this service."""
        return self._repository

    @property
    def limits(self) -> Limits:
        """The limits this service enforces."""
        return self._limits

    # Accounts -------------------------------------------------------------------

    def register_account(self, account_id: Account | str) -> Account:
        """Create an account so it can own images and be shared with."""
        account = Account.of(account_id)
        with self._repository.transaction():
            if self._repository.has_account(account.id):
                raise InvalidParameterError(
                    f"account {account.id} is already registered; use it as it is",
                    parameter="account_id",
                    value=account_id,
                    code=ErrorCode.INVALID_ACCOUNT_ID_DUPLICATE,
                )
            self._repository.add_account(account)
        return account

    def set_trusted_sharers(
        self, caller: Account | str, account_ids: Iterable[Account | str] | None
    ) -> None:
        """Keep a trust list: launch shared images only from these owners.

        ``None`` removes the list (every sharer is trusted again); an empty
        list trusts nobody.  The seed warns that shared images are not audited
        by the provider; this is the way to heed it.
        """
        account = Account.of(caller)
        sharers = (
            None
            if account_ids is None
            else _batch(account_ids, "account_ids", Account.of, allow_empty=True)
        )
        with self._repository.transaction():
            self._caller(account)
            if sharers is not None:
                for sharer in sharers:
                    self._caller(sharer)
            self._repository.set_trusted_sharers(
                account.id,
                None if sharers is None else frozenset(sharer.id for sharer in sharers),
            )

    def trusted_sharers(self, caller: Account | str) -> frozenset[Account] | None:
        """The accounts whose shared images *caller* trusts, or None if it
        keeps no trust list."""
        account = Account.of(caller)
        with self._repository.transaction():
            self._caller(account)
            trusted = self._repository.trusted_sharers(account.id)
        return None if trusted is None else frozenset(Account(id=item) for item in trusted)

    # The provider's side --------------------------------------------------------

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
    ) -> Image:
        """Add a public image to *region*, as the provider does.

        *support* defaults to the provider for TencentOS and to the community
        or vendor for every other platform.
        """
        place = Region.of(region)
        platform = require_str(platform, "platform")
        bundled = _batch(
            software, "software", lambda item: require_str(item, "software"), allow_empty=True
        )
        if support is None:
            support = Support.PROVIDER if platform == "TencentOS" else Support.COMMUNITY
        # Build once to validate every field before touching the repository.
        draft = Image(
            id="img-00000000",
            name=check_image_name(name),
            description=check_description(description),
            region=place,
            owner=None,
            os_type=_enum_arg(OsType, os_type, "os_type"),
            platform=platform,
            os_name=require_str(os_name, "os_name"),
            architecture=Architecture.parse(architecture),
            size_gb=require_int(size_gb, "size_gb", minimum=1),
            state=ImageState.NORMAL,
            origin=ImageOrigin.OFFICIAL,
            created_at=_utc_now(),
            licence_type=_enum_arg(LicenceType, licence_type, "licence_type"),
            software=bundled,
            support=_enum_arg(Support, support, "support"),
        )
        with self._repository.transaction():
            image = attrs.evolve(draft, id=self._new_image_id(), created_at=self._now())
            self._repository.add_image(image)
        return image

    def add_public_images(self, images: Iterable[Image]) -> tuple[Image, ...]:
        """Add ready-made public images (the provider's side), all or none.

        Each must be a public ``NORMAL`` image in a known region, with an ID
        no other image has.
        """
        batch = _batch(images, "images", _public_image)
        with self._repository.transaction():
            for image in batch:
                if self._repository.get_image(image.id) is not None:
                    raise InvalidParameterError(
                        f"image ID {image.id} is already taken; public images need fresh IDs",
                        parameter="images",
                        value=image.id,
                    )
                self._repository.add_image(image)
        return batch

    @classmethod
    def with_public_catalog(
        cls,
        repository: ImageRepository | None = None,
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] | None = None,
        instant: bool = True,
        id_seed: int | None = None,
    ) -> ImageService:
        """A service that starts with the built-in public image catalog
        (:mod:`imagecatalog.public_catalog`) in every region."""
        service = cls(repository, limits=limits, clock=clock, instant=instant, id_seed=id_seed)
        service.add_public_images(builtin_public_images())
        return service

    def complete(self, image_id: str) -> Image:
        """Finish the provider's work on an image: it becomes ``NORMAL``."""
        finished = self._finish(image_id, succeeded=True)
        assert finished is not None  # only a failed copy disappears
        return finished

    def fail(self, image_id: str) -> Image | None:
        """Fail the provider's work on an image: a created or imported image
        becomes ``CREATEFAILED`` or ``IMPORTFAILED`` (and still counts against
        quota until deleted); a failed copy is removed, and None is returned."""
        return self._finish(image_id, succeeded=False)

    def _finish(self, image_id: str, *, succeeded: bool) -> Image | None:
        image_id = check_image_id(image_id)
        with self._repository.transaction():
            image = self._repository.get_image(image_id)
            if image is None:
                raise ImageNotFoundError(image_id)
            if not image.state.in_progress:
                raise InvalidImageStateError(
                    image_id=image_id,
                    state=image.state.value,
                    operation="complete" if succeeded else "fail",
                    allowed=("CREATING", "IMPORTING", "SYNCING"),
                )
            if not succeeded and image.state is ImageState.SYNCING:
                self._repository.remove_image(image_id)
                return None
            state = ImageState.NORMAL if succeeded else _FAILED[image.state]
            finished = replace_checked_fields(image, state=state)
            self._repository.replace_image(finished)
        return finished

    # Reading --------------------------------------------------------------------

    def describe_images(
        self,
        caller: Account | str,
        region: Region | str,
        *,
        image_ids: Iterable[str] | None = None,
        kinds: Iterable[ImageKind | str] | None = None,
        name: str | None = None,
        platform: str | None = None,
        os_type: OsType | str | None = None,
        architecture: Architecture | str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> ImagePage:
        """List the images *caller* can see in *region* (DescribeImages).

        That is the public images, the caller's own custom images and the images
        shared with it there.  Either name *image_ids* (unknown or invisible IDs
        are left out) or filter: *kinds*, *name* and *platform* (case-insensitive
        substrings), *os_type*, *architecture*.  Results come public first, then
        custom, then shared, each oldest first; the page holds at most *limit*
        (1 to 100) from *offset* on, and ``total_count`` counts every match.
        """
        viewer = Account.of(caller)
        place = Region.of(region)
        wanted_ids = None if image_ids is None else _batch(image_ids, "image_ids", check_image_id)
        wanted_kinds = (
            None
            if kinds is None
            else frozenset(_batch(kinds, "kinds", lambda k: _enum_arg(ImageKind, k, "kinds")))
        )
        name_part = None if name is None else _filter_text(name, "name")
        platform_part = None if platform is None else _filter_text(platform, "platform")
        wanted_os = None if os_type is None else _enum_arg(OsType, os_type, "os_type")
        wanted_arch = None if architecture is None else Architecture.parse(architecture)
        require_int(offset, "offset", minimum=0)
        require_int(
            limit,
            "limit",
            minimum=1,
            maximum=MAX_PAGE_SIZE,
            code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT,
        )
        filters = (wanted_kinds, name_part, platform_part, wanted_os, wanted_arch)
        if wanted_ids is not None and any(f is not None for f in filters):
            raise InvalidParameterError(
                "image_ids and filters cannot be combined: either name the images or "
                "filter, not both",
                parameter="image_ids",
                value=image_ids,
                code=ErrorCode.INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS,
            )

        filtered = any(f is not None for f in (name_part, platform_part, wanted_os, wanted_arch))

        def matches(image: Image) -> bool:
            return (
                (name_part is None or name_part in image.name.casefold())
                and (platform_part is None or platform_part in image.platform.casefold())
                and (wanted_os is None or image.os_type is wanted_os)
                and (wanted_arch is None or image.architecture is wanted_arch)
            )

        with self._repository.transaction():
            self._caller(viewer)
            if wanted_ids is not None:
                found = (self._repository.get_image(image_id) for image_id in wanted_ids)
                pairs = [
                    (_KIND_ORDER[kind], image.created_at, image.id, image)
                    for image in found
                    if image is not None
                    and image.region == place
                    and (kind := image.kind_for(viewer)) is not None
                ]
                seen = [pair[3] for pair in sorted(pairs, key=lambda pair: pair[:3])]
                total, page = len(seen), seen[offset : offset + limit]
            elif filtered:
                seen = [
                    image
                    for _, fetch in self._visible_groups(viewer, place, wanted_kinds)
                    for image in filter(matches, fetch(0, None))
                ]
                total, page = len(seen), seen[offset : offset + limit]
            else:  # no filter: read the counts, then only the page
                total, page = _page(
                    self._visible_groups(viewer, place, wanted_kinds), offset, limit
                )
        return ImagePage(
            items=tuple(image.as_seen_by(viewer) for image in page),
            total_count=total,
            offset=offset,
            limit=limit,
        )

    def _visible_groups(
        self, viewer: Account, region: Region, kinds: frozenset[ImageKind] | None
    ) -> list[tuple[int, _Fetch]]:
        """The caller's visible images in *region*, group by group in listing
        order (public, custom, shared): each group's size and a way to read a
        range of it."""
        repository = self._repository
        groups: list[tuple[int, _Fetch]] = []
        if kinds is None or ImageKind.PUBLIC in kinds:
            groups.append(
                (
                    repository.count_public_images(region),
                    lambda start, stop: repository.public_images(region, start, stop),
                )
            )
        if kinds is None or ImageKind.CUSTOM in kinds:
            groups.append(
                (
                    repository.count_custom_images(viewer, region),
                    lambda start, stop: repository.custom_images(viewer, region, start, stop),
                )
            )
        if kinds is None or ImageKind.SHARED in kinds:
            groups.append(
                (
                    repository.count_images_shared_with(viewer, region),
                    lambda start, stop: repository.images_shared_with(viewer, region, start, stop),
                )
            )
        return groups

    def get_image(self, caller: Account | str, image_id: str) -> Image:
        """The image *image_id* as *caller* sees it, in any region."""
        viewer = Account.of(caller)
        image_id = check_image_id(image_id)
        with self._repository.transaction():
            self._caller(viewer)
            image, _ = self._visible(viewer, image_id)
        return image.as_seen_by(viewer)

    def get_instance(self, caller: Account | str, instance_id: str) -> Instance:
        """The instance *instance_id*, if *caller* owns it."""
        owner = Account.of(caller)
        instance_id = check_instance_id(instance_id)
        with self._repository.transaction():
            self._caller(owner)
            return self._owned_instance(owner, instance_id)

    def image_quota(self, caller: Account | str, region: Region | str) -> Quota:
        """How many custom images *caller* has and may have in *region*."""
        account = Account.of(caller)
        place = Region.of(region)
        with self._repository.transaction():
            self._caller(account)
            return self._quota(account, place)

    def share_permissions(
        self, caller: Account | str, image_id: str
    ) -> tuple[SharePermission, ...]:
        """Who *caller*'s image is shared with, and since when (owner only)."""
        owner = Account.of(caller)
        image_id = check_image_id(image_id)
        with self._repository.transaction():
            self._caller(owner)
            image = self._owned(owner, image_id, Operation.DESCRIBE_SHARES)
        return image.shared_with

    # Instances ------------------------------------------------------------------

    def launch_instance(self, caller: Account | str, image_id: str) -> Instance:
        """Launch an instance from a public, own or shared ``NORMAL`` image.

        The instance runs in the image's region; its ``charges`` say what it
        adds to the bill (:func:`imagecatalog.pricing.launch_charges`).  If the caller keeps a trust
        list, a shared image must come from a trusted owner.
        """
        owner = Account.of(caller)
        image_id = check_image_id(image_id)
        with self._repository.transaction():
            self._caller(owner)
            image, kind = self._visible(owner, image_id)
            check_launchable(image, kind, owner, self._repository.trusted_sharers(owner.id))
            instance = Instance(
                id=self._ids.new("ins", lambda i: self._repository.get_instance(i) is not None),
                owner=owner,
                region=image.region,
                image_id=image.id,
                os_type=image.os_type,
                platform=image.platform,
                os_name=image.os_name,
                architecture=image.architecture,
                system_disk_gb=image.size_gb,
                licence_type=image.licence_type,
                launched_at=self._now(),
                charges=launch_charges(image),
            )
            self._repository.add_instance(instance)
        return instance

    # Custom images --------------------------------------------------------------

    def create_image(
        self, caller: Account | str, instance_id: str, *, name: str, description: str = ""
    ) -> Image:
        """Make a custom image from an instance *caller* owns (CreateImage).

        The image lands in the instance's region with its OS, platform,
        architecture and system-disk size, and counts against the quota there.
        """
        owner = Account.of(caller)
        instance_id = check_instance_id(instance_id)
        name = check_image_name(name)
        description = check_description(description)
        with self._repository.transaction():
            self._caller(owner)
            instance = self._owned_instance(owner, instance_id)
            self._check_room(owner, instance.region, name)
            image = Image(
                id=self._new_image_id(),
                name=name,
                description=description,
                region=instance.region,
                owner=owner,
                os_type=instance.os_type,
                platform=instance.platform,
                os_name=instance.os_name,
                architecture=instance.architecture,
                size_gb=instance.system_disk_gb,
                state=ImageState.NORMAL if self._instant else ImageState.CREATING,
                origin=ImageOrigin.CREATE_IMAGE,
                created_at=self._now(),
                licence_type=instance.licence_type,
            )
            self._repository.add_image(image)
        return image

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
    ) -> Image:
        """Import an image file from object storage into *region* (ImportImage).

        *platform* is one of :data:`~imagecatalog.importing.IMPORTABLE_PLATFORMS`
        and decides the OS type; *architecture* accepts ``arm_64``.  ISO files
        need ``force=True``.  The image counts against the quota in *region*.
        """
        owner = Account.of(caller)
        place = Region.of(region)
        name = check_image_name(name)
        description = check_description(description)
        check_image_url(image_url, force=_require_bool(force, "force"))
        image_platform, os_type = importable_platform(platform)
        version = check_os_version(os_version)
        arch = Architecture.parse(architecture)
        licence = _enum_arg(
            LicenceType,
            licence_type,
            "licence_type",
            ErrorCode.INVALID_PARAMETER_VALUE_INVALID_LICENSE_TYPE,
        )
        size = require_int(size_gb, "size_gb", minimum=1)
        with self._repository.transaction():
            self._caller(owner)
            self._check_room(owner, place, name)
            image = Image(
                id=self._new_image_id(),
                name=name,
                description=description,
                region=place,
                owner=owner,
                os_type=os_type,
                platform=image_platform,
                os_name=f"{platform} {version} {arch.bits}bit",
                architecture=arch,
                size_gb=size,
                state=ImageState.NORMAL if self._instant else ImageState.IMPORTING,
                origin=ImageOrigin.EXTERNAL_IMPORT,
                created_at=self._now(),
                licence_type=licence,
            )
            self._repository.add_image(image)
        return image

    def copy_image(
        self,
        caller: Account | str,
        image_id: str,
        destination_regions: Iterable[Region | str],
        *,
        name: str | None = None,
    ) -> tuple[Image, ...]:
        """Copy *caller*'s ``NORMAL`` custom image to other regions (SyncImages).

        Each destination gets a new custom image with the same OS, architecture
        and size, named *name* or like the source, counted against the quota
        there.  Shares are not copied.  All destinations succeed or none does.
        """
        owner = Account.of(caller)
        image_id = check_image_id(image_id)
        destinations = _batch(destination_regions, "destination_regions", Region.of)
        new_name = None if name is None else check_image_name(name)
        with self._repository.transaction():
            self._caller(owner)
            source = self._owned(owner, image_id, Operation.COPY)
            check_state(source, Operation.COPY)
            if source.region in destinations:
                raise InvalidParameterError(
                    f"cannot copy image {source.id} to {source.region.id}: that is the "
                    "region it is in; choose other destination regions",
                    parameter="destination_regions",
                    value=destination_regions,
                    code=ErrorCode.INVALID_PARAMETER_VALUE_INVALID_REGION,
                )
            copy_name = source.name if new_name is None else new_name
            for destination in destinations:
                self._check_room(owner, destination, copy_name)
            copies = tuple(
                replace_checked_fields(
                    source,
                    id=self._new_image_id(),
                    name=copy_name,
                    region=destination,
                    state=ImageState.NORMAL if self._instant else ImageState.SYNCING,
                    created_at=self._now(),
                    copied_from=source.id,
                    shared_with=(),
                )
                for destination in destinations
            )
            for copy in copies:
                self._repository.add_image(copy)
        return copies

    def modify_image(
        self,
        caller: Account | str,
        image_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Image:
        """Rename or re-describe *caller*'s custom image (ModifyImageAttribute)."""
        owner = Account.of(caller)
        image_id = check_image_id(image_id)
        if name is None and description is None:
            raise InvalidParameterError(
                "modify_image needs a new name, a new description, or both",
                parameter="name",
                value=None,
                code=ErrorCode.INVALID_PARAMETER,
            )
        new_name = None if name is None else check_image_name(name)
        new_description = None if description is None else check_description(description)
        with self._repository.transaction():
            self._caller(owner)
            image = self._owned(owner, image_id, Operation.MODIFY)
            check_state(image, Operation.MODIFY)
            if new_name is not None:
                check_name_free(
                    new_name,
                    owner,
                    image.region.id,
                    self._repository.find_custom_image(owner, image.region, new_name),
                    ignoring=(image.id,),
                )
            changed = replace_checked_fields(
                image,
                name=image.name if new_name is None else new_name,
                description=image.description if new_description is None else new_description,
            )
            self._repository.replace_image(changed)
        return changed

    def delete_images(self, caller: Account | str, image_ids: Iterable[str]) -> None:
        """Delete *caller*'s custom images (DeleteImages): all of them or none.

        Not while in progress, not while shared with anyone; deleting frees quota.
        """
        owner = Account.of(caller)
        ids = _batch(image_ids, "image_ids", check_image_id)
        with self._repository.transaction():
            self._caller(owner)
            for image_id in ids:
                check_deletable(self._owned(owner, image_id, Operation.DELETE))
            for image_id in ids:
                self._repository.remove_image(image_id)

    # Sharing --------------------------------------------------------------------

    def share_image(
        self, caller: Account | str, image_id: str, account_ids: Iterable[Account | str]
    ) -> Image:
        """Share *caller*'s ``NORMAL`` custom image with other accounts, in its
        region only (ModifyImageSharePermission SHARE).  All or none."""
        owner = Account.of(caller)
        image_id = check_image_id(image_id)
        accounts = _batch(account_ids, "account_ids", Account.of)
        with self._repository.transaction():
            self._caller(owner)
            image = self._owned(owner, image_id, Operation.SHARE)
            check_share(
                image,
                owner,
                accounts,
                limit=self._limits.accounts_per_shared_image,
                is_registered=self._repository.has_account,
            )
            shared = share(image, accounts, self._now())
            self._repository.replace_image(shared)
        return shared

    def unshare_image(
        self, caller: Account | str, image_id: str, account_ids: Iterable[Account | str]
    ) -> Image:
        """Cancel shares of *caller*'s image, at once (ModifyImageSharePermission
        CANCEL).  All or none."""
        owner = Account.of(caller)
        image_id = check_image_id(image_id)
        accounts = _batch(account_ids, "account_ids", Account.of)
        with self._repository.transaction():
            self._caller(owner)
            image = self._owned(owner, image_id, Operation.UNSHARE)
            check_unshare(image, owner, accounts)
            remaining = unshare(image, accounts)
            self._repository.replace_image(remaining)
        return remaining

    # Helpers --------------------------------------------------------------------

    def _now(self) -> datetime:
        """The clock's time, which must be timezone-aware (it orders listings)."""
        now: object = self._clock()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise InvalidParameterError(
                f"the service's clock returned {now!r}; it must return timezone-aware "
                "datetimes, such as datetime.now(UTC)",
                parameter="clock",
                value=now,
                code=ErrorCode.INVALID_PARAMETER,
            )
        return now

    def _caller(self, account: Account) -> Account:
        """*account*, which must be registered (as a caller, or as any account named)."""
        if not self._repository.has_account(account.id):
            raise AccountNotFoundError(account.id)
        return account

    def _visible(self, viewer: Account, image_id: str) -> tuple[Image, ImageKind]:
        return require_visible(self._repository.get_image(image_id), image_id, viewer)

    def _owned(self, owner: Account, image_id: str, operation: Operation) -> Image:
        image, kind = self._visible(owner, image_id)
        require_owner(image, kind, owner, operation)
        return image

    def _owned_instance(self, owner: Account, instance_id: str) -> Instance:
        instance = self._repository.get_instance(instance_id)
        if instance is None or instance.owner != owner:
            raise InstanceNotFoundError(instance_id, account=owner.id)
        return instance

    def _quota(self, account: Account, region: Region) -> Quota:
        return Quota(
            used=self._repository.count_custom_images(account, region),
            limit=self._limits.image_quota_for(account),
        )

    def _check_room(self, owner: Account, region: Region, name: str) -> None:
        """A new custom image named *name* fits in *region*: name free, quota left."""
        check_name_free(
            name, owner, region.id, self._repository.find_custom_image(owner, region, name)
        )
        check_image_quota(owner, region, self._quota(owner, region))

    def _new_image_id(self) -> str:
        return self._ids.new("img", lambda i: self._repository.get_image(i) is not None)
