"""One query value for image listings, and the provider's filter names mapped onto it.

:class:`ImageQuery` is what DescribeImages asks: either some image IDs, or
filters (kinds, IDs, names, platforms, OS types, architectures), and a page.
:meth:`ImageService.describe_images <imagecatalog.ImageService.describe_images>`
answers one, and so does the SDK fake; the provider's ``Filters`` map onto it
through one table, :data:`PROVIDER_FILTERS`, read by :meth:`ImageQuery.from_provider`.

:class:`ImageGroup` names one of the three groups a store indexes (public images
of a region, an account's own custom images in a region, the images shared with
an account in a region); :meth:`ImageGroup.visible_to` is the visibility rule of
:meth:`Image.kind_for <imagecatalog.Image.kind_for>`, said as groups.

>>> query = ImageQuery(kinds=["custom"], names=["web"], limit=5)
>>> sorted(query.kinds), query.names, query.limit
([<ImageKind.CUSTOM: 'PRIVATE_IMAGE'>], ('web',), 5)
>>> ImageQuery.from_provider(filters=[{"Name": "image-type", "Values": ["SHARED_IMAGE"]}]).kinds
frozenset({<ImageKind.SHARED: 'SHARED_IMAGE'>})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from imagecatalog._validation import parse_enum, require_int, require_str
from imagecatalog.accounts import Account
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import Architecture, Image, ImageKind, OsType, check_image_id
from imagecatalog.regions import Region

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "FILTER_FIELDS",
    "KIND_ORDER",
    "MAX_FILTERS",
    "MAX_FILTER_VALUES",
    "MAX_PAGE_SIZE",
    "PROVIDER_FILTERS",
    "TAG_PAIR_FILTER",
    "ImageGroup",
    "ImageQuery",
]

#: Largest ``limit`` DescribeImages accepts.
MAX_PAGE_SIZE = 100
#: DescribeImages' ``Limit`` when none is given.
DEFAULT_PAGE_SIZE = 20
#: At most this many ``Filters`` in one DescribeImages request ...
MAX_FILTERS = 10
#: ... and at most this many ``Values`` in each.
MAX_FILTER_VALUES = 5

_T = TypeVar("_T")
_COLLECTIONS = (list, tuple, set, frozenset)


def _items(values: object, parameter: str, parse: Callable[[Any], _T]) -> tuple[_T, ...] | None:
    """None, or a non-empty list of items each checked by *parse*."""
    if values is None:
        return None
    if not isinstance(values, _COLLECTIONS) and (
        isinstance(values, (str, bytes)) or not isinstance(values, Iterable)
    ):
        raise InvalidParameterError(
            f"{parameter} must be a list, not {type(values).__name__} {values!r}; "
            "wrap a single item in a list",
            parameter=parameter,
            value=values,
            code=ErrorCode.INVALID_PARAMETER,
        )
    items = tuple(parse(value) for value in values)
    if not items:
        raise InvalidParameterError(
            f"{parameter} must not be empty; leave it out to match everything",
            parameter=parameter,
            value=values,
        )
    return items


def _image_ids(values: object) -> tuple[str, ...] | None:
    items = _items(values, "image_ids", check_image_id)
    if items is not None and len(set(items)) != len(items):
        repeated = sorted({item for item in items if items.count(item) > 1})
        raise InvalidParameterError(
            f"image_ids names {', '.join(repeated)} more than once; name each once",
            parameter="image_ids",
            value=values,
        )
    return items


def _kinds(values: object) -> frozenset[ImageKind] | None:
    items = _items(values, "kinds", lambda value: parse_enum(ImageKind, value, "kinds"))
    return None if items is None else frozenset(items)


def _ids(values: object) -> frozenset[str] | None:
    items = _items(values, "ids", check_image_id)
    return None if items is None else frozenset(items)


def _texts(values: object, parameter: str) -> tuple[str, ...] | None:
    def parse(value: object) -> str:
        text = require_str(value, parameter)
        if not text:
            raise InvalidParameterError(
                f"a {parameter} filter value must not be empty; leave the filter out to "
                "match everything",
                parameter=parameter,
                value=value,
            )
        return text

    items = _items(values, parameter, parse)
    return None if items is None else tuple(dict.fromkeys(items))


def _names(values: object) -> tuple[str, ...] | None:
    return _texts(values, "names")


def _platforms(values: object) -> tuple[str, ...] | None:
    return _texts(values, "platforms")


def _os_types(values: object) -> frozenset[OsType] | None:
    items = _items(values, "os_types", lambda value: parse_enum(OsType, value, "os_types"))
    return None if items is None else frozenset(items)


def _architectures(values: object) -> frozenset[Architecture] | None:
    items = _items(values, "architectures", Architecture.parse)
    return None if items is None else frozenset(items)


def _tag_texts(values: object, parameter: str) -> tuple[str, ...] | None:
    items = _items(values, parameter, lambda value: require_str(value, parameter))
    return None if items is None else tuple(dict.fromkeys(items))


def _tag_keys(values: object) -> tuple[str, ...] | None:
    return _tag_texts(values, "tag_keys")


def _tag_values(values: object) -> tuple[str, ...] | None:
    return _tag_texts(values, "tag_values")


def _tag_pairs(values: object) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """``tags``: a mapping (or pairs) of tag key to the values accepted for it."""
    if values is None:
        return None
    pairs = values.items() if isinstance(values, Mapping) else values
    items = _items(pairs, "tags", lambda pair: pair)
    if items is None:
        return None
    checked: dict[str, tuple[str, ...]] = {}
    for pair in items:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidParameterError(
                f"tags maps each tag key to its accepted values, not {pair!r}",
                parameter="tags",
                value=values,
                code=ErrorCode.INVALID_PARAMETER,
            )
        key, accepted = pair
        key = require_str(key, "tags")
        if key in checked:
            raise InvalidParameterError(
                f"tag key {key!r} is given twice in tags; give all its values once",
                parameter="tags",
                value=values,
            )
        accepted_values = _tag_texts(accepted, f"tags[{key!r}]")
        assert accepted_values is not None or accepted is None
        if accepted_values is None:
            raise InvalidParameterError(
                f"tags[{key!r}] needs at least one value",
                parameter="tags",
                value=values,
            )
        checked[key] = accepted_values
    return tuple(checked.items())


def _families(values: object) -> tuple[str, ...] | None:
    items = _items(values, "families", lambda value: require_str(value, "families"))
    return None if items is None else tuple(dict.fromkeys(items))


def _offset(_: object, __: attrs.Attribute[int], value: object) -> None:
    require_int(value, "offset", minimum=0)


def _limit(_: object, __: attrs.Attribute[int], value: object) -> None:
    require_int(
        value,
        "limit",
        minimum=1,
        maximum=MAX_PAGE_SIZE,
        code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT,
    )


#: The query's filter fields: ``kinds`` (about the viewer), then those that look at
#: each image (:meth:`ImageQuery.matches`).  A new filter is added here too.
FILTER_FIELDS = (
    "kinds",
    "ids",
    "names",
    "platforms",
    "os_types",
    "architectures",
    "tag_keys",
    "tag_values",
    "tags",
    "families",
)


@attrs.frozen(kw_only=True)
class ImageQuery:
    """What to list: some images by ID, or every visible image that passes the filters;
    and which page.

    * ``image_ids``: exactly these images (those the caller cannot see, or that
      are in another region, are left out); cannot be combined with a filter.
    * Filters, each a list of accepted values (any of them matches), all of
      which must match: ``kinds`` (what the image is to the caller:
      ``PUBLIC_IMAGE``, ``PRIVATE_IMAGE``, ``SHARED_IMAGE``, or the members'
      names in any case), ``ids``, ``names`` and ``platforms`` (case-insensitive
      substrings), ``os_types``, ``architectures``, ``tag_keys`` (the image has
      a tag with one of these keys), ``tag_values`` (a tag with one of these
      values), ``tags`` (a mapping of tag key to values: for each key, the image
      has that tag with one of its values; tags match exactly, case
      included), ``families`` (the image is in one of these image families).
    * ``offset`` (from 0) and ``limit`` (1 to 100, default 20).

    Every field checks what it is given and raises
    :class:`~imagecatalog.InvalidParameterError` naming it.
    """

    image_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_image_ids)
    kinds: frozenset[ImageKind] | None = attrs.field(default=None, converter=_kinds)
    ids: frozenset[str] | None = attrs.field(default=None, converter=_ids)
    names: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    platforms: tuple[str, ...] | None = attrs.field(default=None, converter=_platforms)
    os_types: frozenset[OsType] | None = attrs.field(default=None, converter=_os_types)
    architectures: frozenset[Architecture] | None = attrs.field(
        default=None, converter=_architectures
    )
    tag_keys: tuple[str, ...] | None = attrs.field(default=None, converter=_tag_keys)
    tag_values: tuple[str, ...] | None = attrs.field(default=None, converter=_tag_values)
    tags: tuple[tuple[str, tuple[str, ...]], ...] | None = attrs.field(
        default=None, converter=_tag_pairs
    )
    families: tuple[str, ...] | None = attrs.field(default=None, converter=_families)
    offset: int = attrs.field(default=0, validator=_offset)
    limit: int = attrs.field(default=DEFAULT_PAGE_SIZE, validator=_limit)
    _folded_names: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)
    _folded_platforms: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)
    #: True if a filter other than ``kinds`` is set: one that looks at each image.
    filters_images: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        names, platforms = self.names, self.platforms
        object.__setattr__(
            self,
            "filters_images",
            any(getattr(self, name) is not None for name in FILTER_FIELDS[1:]),
        )
        if self.image_ids is not None and self.has_filters:
            raise InvalidParameterError(
                "image_ids and filters cannot be combined: either name the images or "
                "filter, not both",
                parameter="image_ids",
                value=self.image_ids,
                code=ErrorCode.INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS,
            )
        object.__setattr__(
            self, "_folded_names", () if names is None else tuple(n.casefold() for n in names)
        )
        object.__setattr__(
            self,
            "_folded_platforms",
            () if platforms is None else tuple(p.casefold() for p in platforms),
        )

    @property
    def has_filters(self) -> bool:
        """True if any filter is set (kinds included)."""
        return self.kinds is not None or self.filters_images

    def matches(self, image: Image) -> bool:
        """True if *image* passes every filter but ``kinds`` (which is about the
        viewer, not the image: the read side picks the groups it lists)."""
        return (
            (self.ids is None or image.id in self.ids)
            and (
                self.names is None
                or any(name in image.name.casefold() for name in self._folded_names)
            )
            and (
                self.platforms is None
                or any(part in image.platform.casefold() for part in self._folded_platforms)
            )
            and (self.os_types is None or image.os_type in self.os_types)
            and (self.architectures is None or image.architecture in self.architectures)
            and (self.families is None or image.family in self.families)
            and (
                (self.tag_keys is None and self.tag_values is None and self.tags is None)
                or self._matches_tags(image)
            )
        )

    def _matches_tags(self, image: Image) -> bool:
        tags = image.tags
        if self.tag_keys is not None and not any(tag.key in self.tag_keys for tag in tags):
            return False
        if self.tag_values is not None and not any(tag.value in self.tag_values for tag in tags):
            return False
        if self.tags is not None:
            held = {tag.key: tag.value for tag in tags}
            return all(held.get(key) in accepted for key, accepted in self.tags)
        return True

    @classmethod
    def from_provider(
        cls,
        *,
        image_ids: object = None,
        filters: object = None,
        offset: object = 0,
        limit: object = DEFAULT_PAGE_SIZE,
    ) -> ImageQuery:
        """The query a DescribeImages request asks: ``ImageIds``, ``Filters``
        (``[{"Name": ..., "Values": [...]}, ...]``, names from
        :data:`PROVIDER_FILTERS`), ``Offset`` and ``Limit``, with the provider's
        error codes (``InvalidFilter``, ``InvalidFilterValue.LimitExceeded``, ...)."""
        fields: dict[str, Any] = {}
        pairs: dict[str, list[Any]] = {}
        for name, values in _provider_filters(filters):
            if name.startswith(TAG_PAIR_FILTER) and name not in PROVIDER_FILTERS:
                key = name[len(TAG_PAIR_FILTER) :]
                if key in pairs:
                    raise InvalidParameterError(
                        f"filter {name} is given twice; put all its values in one Values list",
                        parameter="Filters",
                        value=filters,
                        code=ErrorCode.INVALID_FILTER,
                    )
                pairs[key] = values
                continue
            field, code = PROVIDER_FILTERS[name]
            if field in fields:
                raise InvalidParameterError(
                    f"filter {name} is given twice; put all its values in one Values list",
                    parameter="Filters",
                    value=filters,
                    code=ErrorCode.INVALID_FILTER,
                )
            if field == "kinds":  # the provider's spellings only, as the live API takes
                values = [
                    parse_enum(
                        ImageKind, value, "image-type", code=ErrorCode.INVALID_FILTER, exact=True
                    )
                    for value in values
                ]
            fields[field] = values
            if code is not None:
                alone: dict[str, Any] = {field: values}
                try:
                    cls(**alone)
                except InvalidParameterError as error:
                    raise InvalidParameterError(
                        f"filter {name}: {error.message}",
                        parameter="Filters",
                        value=values,
                        code=code,
                    ) from None
        if pairs:
            fields["tags"] = pairs
        if image_ids == []:
            image_ids = None  # the SDK sends an empty list for "no IDs"
        fields.update(image_ids=image_ids, offset=offset, limit=limit)
        return cls(**fields)  # every field checks what it is given


#: DescribeImages' filter names, the :class:`ImageQuery` field each fills, and the
#: code for a bad value (None: the field's own code, such as
#: ``InvalidImageId.Malformed`` for a malformed ``image-id``).
PROVIDER_FILTERS: Mapping[str, tuple[str, ErrorCode | None]] = {
    "image-id": ("ids", None),
    "image-type": ("kinds", ErrorCode.INVALID_FILTER),
    "image-name": ("names", ErrorCode.INVALID_FILTER),
    "platform": ("platforms", ErrorCode.INVALID_FILTER),
    "tag-key": ("tag_keys", ErrorCode.INVALID_FILTER),
    "tag-value": ("tag_values", ErrorCode.INVALID_FILTER),
}
#: The filter ``tag:<key>``: images with tag *key* of one of the values (``tags``).
TAG_PAIR_FILTER = "tag:"


def _provider_filters(filters: object) -> list[tuple[str, list[Any]]]:
    """``Filters`` as (name, values) pairs, checked for shape and the provider's limits."""
    if filters is None:
        return []
    if not isinstance(filters, Sequence) or isinstance(filters, (str, bytes)):
        raise InvalidParameterError(
            f"Filters must be a list of filters, not {type(filters).__name__}",
            parameter="Filters",
            value=filters,
            code=ErrorCode.INVALID_PARAMETER,
        )
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterError(
            f"a request takes at most {MAX_FILTERS} filters, not {len(filters)}",
            parameter="Filters",
            value=filters,
            code=ErrorCode.INVALID_FILTER_VALUE_LIMIT_EXCEEDED,
        )
    pairs = []
    for index, item in enumerate(filters):
        if not isinstance(item, Mapping):
            raise InvalidParameterError(
                f"Filters.{index} is not a filter ({{'Name': ..., 'Values': [...]}})",
                parameter="Filters",
                value=item,
                code=ErrorCode.INVALID_FILTER,
            )
        name, values = item.get("Name"), item.get("Values")
        is_pair = isinstance(name, str) and name.startswith(TAG_PAIR_FILTER) and len(name) > 4
        if not isinstance(name, str) or (name not in PROVIDER_FILTERS and not is_pair):
            raise InvalidParameterError(
                f"filter {name!r} is not supported; use one of {', '.join(PROVIDER_FILTERS)} "
                "or tag:<tag key>",
                parameter="Filters",
                value=name,
                code=ErrorCode.INVALID_FILTER,
            )
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidParameterError(
                f"filter {name} needs a list of strings as its Values",
                parameter="Filters",
                value=values,
                code=ErrorCode.INVALID_FILTER,
            )
        if not values:
            raise InvalidParameterError(
                f"filter {name} needs at least one value",
                parameter="Filters",
                value=values,
                code=ErrorCode.INVALID_FILTER,
            )
        if len(values) > MAX_FILTER_VALUES:
            raise InvalidParameterError(
                f"filter {name} has {len(values)} values; a filter takes at most "
                f"{MAX_FILTER_VALUES}",
                parameter="Filters",
                value=values,
                code=ErrorCode.INVALID_FILTER_VALUE_LIMIT_EXCEEDED,
            )
        pairs.append((str(name), values))
    return pairs


#: Listing order of the kinds: public images, then the caller's own, then shared.
KIND_ORDER: Mapping[ImageKind, int] = {
    ImageKind.PUBLIC: 0,
    ImageKind.CUSTOM: 1,
    ImageKind.SHARED: 2,
}


@attrs.frozen
class ImageGroup:
    """One group of images a store indexes, in listing order.

    * ``ImageGroup.public(region)``: the public images of *region*;
    * ``ImageGroup.owned(account, region)``: *account*'s custom images there;
    * ``ImageGroup.shared_with(account, region)``: the custom images of other
      accounts shared with *account* there.
    """

    kind: ImageKind
    region: Region
    account: Account | None = None
    #: ``(kind's value, region ID, account ID or None)``: what a store indexes by.
    key: tuple[str, str, str | None] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.account is None) != (self.kind is ImageKind.PUBLIC):
            raise InvalidParameterError(
                f"a group of {self.kind.value} images "
                f"{'has no account' if self.kind is ImageKind.PUBLIC else 'needs an account'}",
                parameter="account",
                value=self.account,
                code=ErrorCode.INVALID_PARAMETER,
            )
        account_id = None if self.account is None else self.account.id
        object.__setattr__(self, "key", (self.kind.value, self.region.id, account_id))

    @classmethod
    def public(cls, region: Region) -> ImageGroup:
        """The public images of *region*."""
        return _group(_PUBLIC, region, None)

    @classmethod
    def owned(cls, account: Account, region: Region) -> ImageGroup:
        """*account*'s own custom images in *region*."""
        return _group(_CUSTOM, region, account)

    @classmethod
    def shared_with(cls, account: Account, region: Region) -> ImageGroup:
        """The images other accounts share with *account* in *region*."""
        return _group(_SHARED, region, account)

    @classmethod
    def visible_to(
        cls, viewer: Account, region: Region, kinds: frozenset[ImageKind] | None = None
    ) -> tuple[ImageGroup, ...]:
        """The visibility rule, as groups: what *viewer* sees in *region* is the
        public images, its own custom images, and the images shared with it there
        (the same rule as :meth:`Image.kind_for <imagecatalog.Image.kind_for>`), in
        that listing order; *kinds* keeps only some of them."""
        return _visible(viewer, region, kinds)

    def holds(self, image: Image) -> bool:
        """True if *image* belongs to this group (the definition stores index by)."""
        if image.region != self.region:
            return False
        if self.kind is ImageKind.PUBLIC:
            return image.owner is None
        assert self.account is not None
        if self.kind is ImageKind.CUSTOM:
            return image.owner == self.account
        return self.account.id in image.shared_account_ids and image.owner != self.account


# Members looked up once: an enum's attribute costs a descriptor call on every read.
_PUBLIC, _CUSTOM, _SHARED = ImageKind.PUBLIC, ImageKind.CUSTOM, ImageKind.SHARED
_GROUPS: dict[tuple[ImageKind, str, str | None], ImageGroup] = {}
_VISIBLE: dict[tuple[str, str, frozenset[ImageKind] | None], tuple[ImageGroup, ...]] = {}
#: How many groups (and visible sets) are kept before the caches start again.
_CACHED = 65536


def _group(kind: ImageKind, region: Region, account: Account | None) -> ImageGroup:
    """Groups are values: the same group is one shared object, looked up by the
    IDs (calls ask for the same few groups again and again; the cache is bounded)."""
    key = (kind, region.id, None if account is None else account.id)
    group = _GROUPS.get(key)
    if group is None:
        if len(_GROUPS) >= _CACHED:
            _GROUPS.clear()
        group = _GROUPS[key] = ImageGroup(kind, region, account)
    return group


def _visible(
    viewer: Account, region: Region, kinds: frozenset[ImageKind] | None
) -> tuple[ImageGroup, ...]:
    key = (viewer.id, region.id, kinds)
    groups = _VISIBLE.get(key)
    if groups is None:
        every = (
            _group(_PUBLIC, region, None),
            _group(_CUSTOM, region, viewer),
            _group(_SHARED, region, viewer),
        )
        groups = every if kinds is None else tuple(g for g in every if g.kind in kinds)
        if len(_VISIBLE) >= _CACHED:
            _VISIBLE.clear()
        _VISIBLE[key] = groups
    return groups
