"""Images and the closed sets that describe them.

An :class:`Image` is an immutable value.  What kind of image it is depends on
who looks: the same custom image is ``PRIVATE_IMAGE`` to its owner and
``SHARED_IMAGE`` to the accounts it is shared with (:meth:`Image.kind_for`).
"""

from __future__ import annotations

import enum
import functools
import operator
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import attrs

from imagecatalog._validation import parse_enum, require_identifier, require_int, require_str
from imagecatalog.accounts import Account
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.regions import Region
from imagecatalog.tags import Tag, check_tags

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "Architecture",
    "BootMode",
    "Image",
    "ImageKind",
    "ImageOrigin",
    "ImagePage",
    "ImageState",
    "LicenceType",
    "OsType",
    "SharePermission",
    "Support",
    "check_description",
    "check_family",
    "check_image",
    "check_image_id",
    "check_image_name",
    "check_text",
    "image_problems",
]

#: Longest image name the provider accepts.
MAX_NAME_LENGTH = 60
#: Longest image description the provider accepts.
MAX_DESCRIPTION_LENGTH = 256
#: Longest platform and OS name the catalog keeps (the SQL store's columns).
MAX_PLATFORM_LENGTH = 64
MAX_OS_NAME_LENGTH = 128
#: Largest image size, in GiB, the catalog keeps (a 32-bit column).
MAX_SIZE_GB = 2**31 - 1
#: Longest image family name (ours: the provider documents no rule, see check_family).
MAX_FAMILY_LENGTH = 60
#: Longest KMS key ID the catalog keeps.
MAX_KMS_KEY_ID_LENGTH = 128
_FAMILY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

_IMAGE_ID = re.compile(r"img-[a-z0-9]{8}")


class Architecture(enum.StrEnum):
    """CPU architecture of an image; values are the provider's spellings."""

    X86_64 = "x86_64"
    I386 = "i386"
    ARM64 = "arm"

    @property
    def bits(self) -> int:
        """64 or 32: how the provider's image-types page names an architecture."""
        return 32 if self is Architecture.I386 else 64

    @classmethod
    def parse(cls, value: Architecture | str) -> Architecture:
        """Accept a member, its value or name in any case, or ImportImage's
        ``arm_64`` spelling."""
        return parse_enum(cls, value, "architecture", aliases={"arm_64": cls.ARM64})


class OsType(enum.StrEnum):
    """Operating-system family."""

    LINUX = "Linux"
    WINDOWS = "Windows"


class ImageKind(enum.StrEnum):
    """What an image is *to one viewer*; values are the provider's ``ImageType``."""

    PUBLIC = "PUBLIC_IMAGE"
    CUSTOM = "PRIVATE_IMAGE"
    SHARED = "SHARED_IMAGE"


class ImageState(enum.StrEnum):
    """Lifecycle state of an image."""

    CREATING = "CREATING"
    NORMAL = "NORMAL"
    CREATEFAILED = "CREATEFAILED"
    SYNCING = "SYNCING"
    IMPORTING = "IMPORTING"
    IMPORTFAILED = "IMPORTFAILED"

    @property
    def in_progress(self) -> bool:
        """True while the provider is still working on the image."""
        return self in _IN_PROGRESS


_IN_PROGRESS = frozenset({ImageState.CREATING, ImageState.SYNCING, ImageState.IMPORTING})
# Members looked up once: an enum's attribute costs a descriptor call on every read.
_PUBLIC, _CUSTOM, _SHARED = ImageKind.PUBLIC, ImageKind.CUSTOM, ImageKind.SHARED


class ImageOrigin(enum.StrEnum):
    """Where an image came from (the provider's ``ImageSource``)."""

    OFFICIAL = "OFFICIAL"
    CREATE_IMAGE = "CREATE_IMAGE"
    EXTERNAL_IMPORT = "EXTERNAL_IMPORT"


_OFFICIAL = ImageOrigin.OFFICIAL


class LicenceType(enum.StrEnum):
    """Who licenses the operating system (the provider's ``LicenseType``)."""

    TENCENT_CLOUD = "TencentCloud"
    BYOL = "BYOL"


class BootMode(enum.StrEnum):
    """How an image's system boots (ImportImage's ``BootMode``)."""

    LEGACY_BIOS = "Legacy BIOS"
    UEFI = "UEFI"


class Support(enum.StrEnum):
    """Who supports a public image's operating system."""

    #: The provider's own Linux (TencentOS): supported by the provider.
    PROVIDER = "provider"
    #: Third-party systems: supported by their community or vendor, the provider helps.
    COMMUNITY = "community"


def check_image_id(value: object, parameter: str = "image ID") -> str:
    """Return *value* if it is a well-formed image ID (``img-`` + 8 of a-z, 0-9)."""
    return require_identifier(
        value,
        parameter,
        _IMAGE_ID,
        "'img-' followed by 8 lowercase letters or digits, such as 'img-9qabwvbn'",
        ErrorCode.INVALID_IMAGE_ID_MALFORMED,
    )


#: Unicode's control characters (category Cc) are exactly these two ranges.
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: What no text of the catalog may hold: NUL, and lone surrogates (no encoding of
#: Unicode, and so no file or database, can hold them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_control_characters(text: str) -> bool:
    return _CONTROL_CHARACTERS.search(text) is not None


def check_image_name(value: object, parameter: str = "name") -> str:
    """Return *value* if it is a valid image name: 1 to 60 characters, not
    blank, no control characters."""
    name = require_str(value, parameter)
    if not name.strip():
        raise InvalidParameterError(
            f"image {parameter} must not be empty or blank; give 1 to {MAX_NAME_LENGTH} characters",
            parameter=parameter,
            value=value,
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidParameterError(
            f"image {parameter} is {len(name)} characters long; the limit is "
            f"{MAX_NAME_LENGTH}: shorten it",
            parameter=parameter,
            value=value,
            code=ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE,
        )
    if _has_control_characters(name):
        raise InvalidParameterError(
            f"image {parameter} {name!r} contains control characters; use printable text",
            parameter=parameter,
            value=value,
        )
    return name


def check_storable(text: str, parameter: str) -> None:
    """Text the catalog keeps holds no NUL and no lone surrogate."""
    if _UNSTORABLE.search(text) is not None:
        raise InvalidParameterError(
            f"{parameter} {text!r} holds a NUL or a lone surrogate, which no file or "
            "database can keep; use printable text",
            parameter=parameter,
            value=text,
        )


def check_text(value: object, parameter: str, maximum: int) -> str:
    """Return *value* if it is text the catalog can keep, at most *maximum* characters."""
    text = require_str(value, parameter)
    check_storable(text, parameter)
    if len(text) > maximum:
        raise InvalidParameterError(
            f"{parameter} is {len(text)} characters long; the limit is {maximum}: shorten it",
            parameter=parameter,
            value=value,
            code=ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE,
        )
    return text


def check_description(value: object) -> str:
    """Return *value* if it is a valid description: at most 256 characters, no
    NUL and no lone surrogate."""
    text = require_str(value, "description")
    check_storable(text, "description")
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameterError(
            f"image description is {len(text)} characters long; the limit is "
            f"{MAX_DESCRIPTION_LENGTH}: shorten it",
            parameter="description",
            value=value,
            code=ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE,
        )
    return text


def check_family(value: object, parameter: str = "family") -> str:
    """Return *value* if it is a valid image family name.

    The provider documents only the code for a bad one
    (``InvalidParameterValue.InvalidImageFamily``, "错误格式的镜像族名称") and the
    example ``business-daily-update``; the rule is ours: 1 to 60 characters,
    letters, digits, ``.``, ``_`` and ``-``, beginning with a letter or digit.
    """
    name = require_str(value, parameter)
    if len(name) > MAX_FAMILY_LENGTH or _FAMILY.fullmatch(name) is None:
        raise InvalidParameterError(
            f"image family {name!r} is not a family name: use 1 to {MAX_FAMILY_LENGTH} "
            "letters, digits, '.', '_' or '-', beginning with a letter or digit, such as "
            "'business-daily-update'",
            parameter=parameter,
            value=value,
            code=ErrorCode.INVALID_IMAGE_FAMILY,
        )
    return name


def _validate_family(_: object, __: attrs.Attribute[str | None], value: object) -> None:
    # The value holds any family name the provider hands back; the name rule
    # (check_family) is for names a caller gives.
    if value is not None:
        name = check_text(value, "family", MAX_FAMILY_LENGTH)
        if not name:
            raise InvalidParameterError(
                "an image's family is None or a name, not ''",
                parameter="family",
                value=value,
                code=ErrorCode.INVALID_IMAGE_FAMILY,
            )


def _validate_flag(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidParameterError(
            f"{attribute.name} must be True or False, not {value!r}",
            parameter=attribute.name,
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )


def _validate_kms_key_id(_: object, __: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        check_text(value, "kms_key_id", MAX_KMS_KEY_ID_LENGTH)


def _validate_tags(_: object, __: attrs.Attribute[tuple[Tag, ...]], value: object) -> None:
    if value:  # the converter made a tuple: an empty one needs no check
        check_tags(value, creating=False)


def _validate_image_id(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    check_image_id(value, attribute.name)


def _validate_name(_: object, __: attrs.Attribute[str], value: str) -> None:
    check_image_name(value)


def _validate_description(_: object, __: attrs.Attribute[str], value: str) -> None:
    check_description(value)


def _validate_size(_: object, __: attrs.Attribute[int], value: int) -> None:
    require_int(value, "size_gb", minimum=1, maximum=MAX_SIZE_GB)


def _validate_utc(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidParameterError(
            f"{attribute.name} must be a timezone-aware datetime, not {value!r}",
            parameter=attribute.name,
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )


@attrs.frozen(kw_only=True)
class SharePermission:
    """One account an image is shared with, and since when."""

    account: Account
    shared_at: datetime = attrs.field(validator=_validate_utc)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _shares(values: Iterable[SharePermission]) -> tuple[SharePermission, ...]:
    return tuple(values)


def _tags(values: Iterable[Tag]) -> tuple[Tag, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True, repr=False)
class Image:
    """A virtual-machine image in one region.

    Public images have no owner and origin ``OFFICIAL``; custom images have an
    owner.  ``shared_with`` lists the accounts a custom image is shared with, in
    the order they were added; it is always empty in the copy of an image handed
    to anyone but its owner (see :meth:`as_seen_by`).  ``tags`` are its tags,
    ``family`` its image family (or None) and ``deprecated`` whether it is
    deprecated (out of its family's choice, see DescribeImageFromFamily);
    ``encrypted`` images were copied encrypted, with ``kms_key_id`` (None: the
    provider's default key).
    """

    id: str = attrs.field(validator=_validate_image_id)
    name: str = attrs.field(validator=_validate_name)
    description: str = attrs.field(default="", validator=_validate_description)
    region: Region
    owner: Account | None
    os_type: OsType
    platform: str
    os_name: str
    architecture: Architecture
    size_gb: int = attrs.field(validator=_validate_size)
    state: ImageState
    origin: ImageOrigin
    created_at: datetime = attrs.field(validator=_validate_utc)
    licence_type: LicenceType = LicenceType.TENCENT_CLOUD
    boot_mode: BootMode = BootMode.LEGACY_BIOS
    software: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    support: Support | None = None
    copied_from: str | None = None
    shared_with: tuple[SharePermission, ...] = attrs.field(default=(), converter=_shares)
    tags: tuple[Tag, ...] = attrs.field(default=(), converter=_tags, validator=_validate_tags)
    family: str | None = attrs.field(default=None, validator=_validate_family)
    deprecated: bool = attrs.field(default=False, validator=_validate_flag)
    encrypted: bool = attrs.field(default=False, validator=_validate_flag)
    kms_key_id: str | None = attrs.field(default=None, validator=_validate_kms_key_id)

    def __attrs_post_init__(self) -> None:
        if (self.owner is None) != (self.origin is _OFFICIAL):
            raise InvalidParameterError(
                f"image {self.id}: public images (origin OFFICIAL) have no owner and "
                "custom images have one",
                parameter="owner",
                value=self.owner,
            )
        if self.owner is None and self.shared_with:
            raise InvalidParameterError(
                f"public image {self.id} cannot be shared: everyone sees it already",
                parameter="shared_with",
                value=self.shared_with,
            )
        if self.kms_key_id is not None and not self.encrypted:
            raise InvalidParameterError(
                f"image {self.id} has a KMS key but is not encrypted",
                parameter="kms_key_id",
                value=self.kms_key_id,
            )

    def __repr__(self) -> str:
        owner = "public" if self.owner is None else f"owner={self.owner.id}"
        return (
            f"<Image {self.id} {self.name!r} {self.region.id} {owner} {self.state.value}"
            f"{f' shared with {len(self.shared_with)}' if self.shared_with else ''}>"
        )

    @property
    def is_public(self) -> bool:
        """True for the provider's public images."""
        return self.owner is None

    @functools.cached_property
    def shared_account_ids(self) -> frozenset[str]:
        """IDs of the accounts this image is shared with."""
        return frozenset(share.account.id for share in self.shared_with)

    def kind_for(self, viewer: Account | str) -> ImageKind | None:
        """What this image is to *viewer*, or None if the viewer cannot see it.

        This is the visibility rule: public images are visible to everyone,
        a custom image to its owner and to the accounts it is shared with.
        """
        if self.owner is None:
            return _PUBLIC
        viewer_id = viewer.id if isinstance(viewer, Account) else viewer
        if self.owner.id == viewer_id:
            return _CUSTOM
        if viewer_id in self.shared_account_ids:
            return _SHARED
        return None

    def as_seen_by(self, viewer: Account | str) -> Image:
        """This image as *viewer* may see it.

        The owner sees every share; an account it is shared with sees only its
        own share (so :meth:`kind_for` still answers for it); anyone else sees
        none.  Nobody but the owner learns who else an image is shared with.
        """
        shares = self.shared_with
        if not shares:
            return self  # nothing to hide (public images are never shared)
        viewer_id = viewer.id if isinstance(viewer, Account) else viewer
        if len(shares) == 1 and shares[0].account.id == viewer_id:
            return self  # shared with the viewer alone
        owner = self.owner
        if owner is not None and owner.id == viewer_id:
            return self
        own = tuple(share for share in shares if share.account.id == viewer_id)
        if len(own) == len(shares):  # shared with the viewer alone
            return self
        return replace_checked_fields(self, shared_with=own)  # fewer shares: nothing to check

    # Changes: each checks what it changes (and the rules across fields), not the rest.

    def with_shares(self, shares: Iterable[SharePermission]) -> Image:
        """This image shared with exactly *shares* (in this order)."""
        return _changed(self, shared_with=tuple(shares))

    def with_state(self, state: ImageState) -> Image:
        """This image in *state*."""
        return _changed(self, state=state)

    def renamed(self, *, name: str | None = None, description: str | None = None) -> Image:
        """This image with a new name, description, or both."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if description is not None:
            changes["description"] = description
        return _changed(self, **changes)

    def with_family(self, family: str | None) -> Image:
        """This image in image family *family* (None: in none)."""
        return _changed(self, family=family)

    def with_deprecated(self, deprecated: bool) -> Image:
        """This image deprecated, or no longer."""
        return _changed(self, deprecated=deprecated)

    def issued(self, *, id: str, created_at: datetime, state: ImageState | None = None) -> Image:
        """This image (a draft) under its own ID and time, in *state* if given."""
        changes: dict[str, Any] = {"id": id, "created_at": created_at}
        if state is not None:
            changes["state"] = state
        return _changed(self, **changes)

    def copied(
        self,
        *,
        id: str,
        region: Region,
        name: str,
        state: ImageState,
        created_at: datetime,
        owner: Account | None = None,
        encrypted: bool = False,
        kms_key_id: str | None = None,
    ) -> Image:
        """A copy of this image in *region*: a new image, unshared, untagged, not
        deprecated, in the same family, recording its source; owned by *owner*
        (a receiver copying a shared image), else by this image's owner;
        *encrypted* with *kms_key_id*, if asked."""
        return _changed(
            self,
            id=id,
            owner=self.owner if owner is None else owner,
            tags=(),
            deprecated=False,
            encrypted=encrypted,
            kms_key_id=kms_key_id,
            region=region,
            name=name,
            state=state,
            created_at=created_at,
            copied_from=self.id,
            shared_with=(),
        )


_ENUM_FIELDS = (
    ("os_type", OsType),
    ("architecture", Architecture),
    ("state", ImageState),
    ("origin", ImageOrigin),
    ("licence_type", LicenceType),
    ("boot_mode", BootMode),
)


def image_problems(image: Image) -> list[str]:
    """What is wrong with *image*'s fields beyond what its constructor checks: each
    field of the right type (a member, not its string), texts the catalog can keep.

    An image the service makes never has any; one made by hand and handed to
    ``provider.add_public_images`` or ``provider.load`` is checked with this first.
    """
    problems: list[str] = []
    if not isinstance(image.region, Region):
        problems.append(f"region {image.region!r} is not a Region (use Region.of)")
    if image.owner is not None and not isinstance(image.owner, Account):
        problems.append(f"owner {image.owner!r} is not an Account (use Account.of)")
    for name, kind in _ENUM_FIELDS:
        if not isinstance(getattr(image, name), kind):
            problems.append(f"{name} {getattr(image, name)!r} is not a {kind.__name__}")
    if image.support is not None and not isinstance(image.support, Support):
        problems.append(f"support {image.support!r} is not a Support")
    for name, maximum in (("platform", MAX_PLATFORM_LENGTH), ("os_name", MAX_OS_NAME_LENGTH)):
        try:
            check_text(getattr(image, name), name, maximum)
        except InvalidParameterError as error:
            problems.append(error.message)
    for item in image.software:
        try:
            check_text(item, "software", MAX_PLATFORM_LENGTH)
        except InvalidParameterError as error:
            problems.append(error.message)
    if image.copied_from is not None:
        try:
            check_image_id(image.copied_from, "copied_from")
        except InvalidParameterError as error:
            problems.append(error.message)
    for share in image.shared_with:
        given: object = share
        if not isinstance(given, SharePermission) or not isinstance(given.account, Account):
            problems.append(f"share {share!r} is not a SharePermission of an Account")
    for tag in image.tags:
        if not isinstance(tag, Tag):
            problems.append(f"tag {tag!r} is not a Tag")
    return problems


def check_image(image: object, parameter: str = "image") -> Image:
    """*image*, if it is an :class:`Image` with nothing :func:`image_problems` finds."""
    if not isinstance(image, Image):
        raise InvalidParameterError(
            f"{image!r} is not an Image",
            parameter=parameter,
            value=image,
            code=ErrorCode.INVALID_PARAMETER,
        )
    problems = image_problems(image)
    if problems:
        raise InvalidParameterError(
            f"image {image.id}: {'; '.join(problems)}",
            parameter=parameter,
            value=image,
            code=ErrorCode.INVALID_PARAMETER,
        )
    return image


def _images(values: Iterable[Image]) -> tuple[Image, ...]:
    return tuple(values)


_IMAGE_FIELDS = tuple(field.name for field in attrs.fields(Image))
_READ_FIELDS = operator.attrgetter(*_IMAGE_FIELDS)
_SHARES_FIELD = _IMAGE_FIELDS.index("shared_with")


def fields_but_shares(image: Image) -> tuple[Any, ...]:
    """Every field of *image* but its share list, as a tuple (cheap to compare)."""
    values: tuple[Any, ...] = _READ_FIELDS(image)
    return values[:_SHARES_FIELD] + values[_SHARES_FIELD + 1 :]


# The slots' own descriptors write a field without the frozen class's __setattr__.
_WRITER = {name: getattr(Image, name).__set__ for name in _IMAGE_FIELDS}


def _make_copier() -> Any:
    """A function that copies an image field by field, as attrs makes its own
    ``__init__``: generated code that writes each slot through the slot's own
    descriptor (the frozen class's ``__setattr__`` refuses), several times
    cheaper than :func:`attrs.evolve`, which validates every field again."""
    namespace: dict[str, Any] = {"new": object.__new__, "Image": Image, "writer": _WRITER}
    lines = ["def copy(image, changes):", "    copy = new(Image)"]
    for name in _IMAGE_FIELDS:
        namespace[f"set_{name}"] = _WRITER[name]
        lines.append(f"    set_{name}(copy, image.{name})")
    lines += [
        "    for name, value in changes.items():",
        "        writer[name](copy, value)",
        "    return copy",
    ]
    exec("\n".join(lines), namespace)
    return namespace["copy"]


_COPY = _make_copier()


def replace_checked_fields(image: Image, **changes: Any) -> Image:
    """A copy of *image* with *changes*, skipping every validator.

    The one unchecked copy of the package: only this module calls it (through
    :func:`_changed` and :meth:`Image.as_seen_by`), and 0.1.0's stores, which
    are adapted for a release.
    """
    try:
        copy: Image = _COPY(image, changes)
    except KeyError as error:
        raise TypeError(f"Image has no field {error}") from None
    return copy


_FIELDS = {field.name: field for field in attrs.fields(Image)}
#: Converters that only make a tuple: a tuple needs no converting.
_TUPLING: frozenset[object] = frozenset({_strings, _shares, _tags})


def _changed(image: Image, **changes: Any) -> Image:
    """A copy of *image* with *changes*: each changed field's own validator runs,
    and so do the rules across fields (``__attrs_post_init__``); the unchanged
    fields, valid already, are not checked again.  Tests hold it to
    :func:`attrs.evolve` on every change the package makes."""
    for name, value in changes.items():
        converter = _FIELDS[name].converter
        if converter is not None and not (converter in _TUPLING and type(value) is tuple):
            changes[name] = converter(value)  # type: ignore[operator]
    copy = replace_checked_fields(image, **changes)
    for name, value in changes.items():
        field = _FIELDS[name]
        if field.validator is not None and value is not getattr(image, name):
            field.validator(copy, field, value)  # (an unchanged value passed already)
    copy.__attrs_post_init__()
    return copy


def _kinds(values: Iterable[ImageKind]) -> tuple[ImageKind, ...]:
    return tuple(values)


def _check_kinds(page: ImagePage, _: attrs.Attribute[tuple[ImageKind, ...]], kinds: object) -> None:
    if page.kinds and len(page.kinds) != len(page.items):
        raise InvalidParameterError(
            f"an ImagePage needs one kind per image: {len(page.items)} images, "
            f"{len(page.kinds)} kinds",
            parameter="kinds",
            value=kinds,
            code=ErrorCode.INVALID_PARAMETER,
        )


@attrs.frozen(kw_only=True)
class ImagePage:
    """One page of a listing: the images on it, what each is to the viewer, and
    how many matched in all.

    A page is a sequence of its images: iterate it, index it, take its ``len``.
    ``kinds`` says, image by image, what each is to the viewer (public, the
    viewer's own custom image, or shared with the viewer); every page the service
    returns has them (a page made by hand may leave them out).
    """

    items: tuple[Image, ...] = attrs.field(converter=_images)
    total_count: int
    offset: int = 0
    limit: int = 20
    kinds: tuple[ImageKind, ...] = attrs.field(default=(), converter=_kinds, validator=_check_kinds)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Image]:
        return iter(self.items)

    def __getitem__(self, index: int) -> Image:
        return self.items[index]

    def kind_of(self, image: Image | str) -> ImageKind:
        """What *image* (on this page) is to the viewer."""
        image_id = image if isinstance(image, str) else image.id
        if not self.kinds and self.items:
            raise LookupError("this page was made without kinds: ask the service for one")
        for item, kind in zip(self.items, self.kinds, strict=True):
            if item.id == image_id:
                return kind
        raise LookupError(f"image {image_id} is not on this page")

    @property
    def has_more(self) -> bool:
        """True if images after this page match too."""
        return self.offset + len(self.items) < self.total_count
