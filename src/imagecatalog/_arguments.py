"""Arguments of the service's methods: what callers may pass, turned into values.

Each function takes what a caller gave (a value or its ID string, a list) and
returns the value, or raises :class:`~imagecatalog.InvalidParameterError`
naming the parameter.  The service calls these before it opens a unit of work,
so a bad argument never reaches the store.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import Image, ImageState, check_image, check_image_id
from imagecatalog.instances import Instance, check_instance_id
from imagecatalog.query import ImageQuery
from imagecatalog.regions import Region

__all__ = [
    "batch",
    "image_id_of",
    "instance_id_of",
    "keyword_query",
    "page_query",
    "public_image",
]

_T = TypeVar("_T")


def image_id_of(value: object, parameter: str = "image_id") -> str:
    """The ID of an :class:`~imagecatalog.Image`, or a well-formed image ID string."""
    if type(value) is not str and isinstance(value, Image):
        return value.id
    return check_image_id(value, parameter)


def instance_id_of(value: object, parameter: str = "instance_id") -> str:
    """The ID of an :class:`~imagecatalog.Instance`, or a well-formed instance ID string."""
    if isinstance(value, Instance):
        return value.id
    return check_instance_id(value, parameter)


def batch(
    values: object, parameter: str, parse: Callable[[Any], _T], *, allow_empty: bool = False
) -> tuple[_T, ...]:
    """A list of distinct items, each checked by *parse*; empty only if allowed."""
    if not isinstance(values, (list, tuple, set, frozenset)) and (
        isinstance(values, (str, bytes)) or not isinstance(values, Iterable)
    ):
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


def public_image(value: object) -> Image:
    """A ready-made public image: no owner, ``NORMAL``, in a known region."""
    if not isinstance(value, Image) or not value.is_public:
        raise InvalidParameterError(
            f"{value!r} is not a public image; public images have no owner",
            parameter="images",
            value=value,
            code=ErrorCode.INVALID_PARAMETER,
        )
    check_image(value, "images")
    if value.state is not ImageState.NORMAL:
        raise InvalidParameterError(
            f"public image {value.id} is {value.state.value}; publish NORMAL images only",
            parameter="images",
            value=value,
        )
    Region.of(value.region)
    return value


# describe_images' keywords, as ImageQuery values --------------------------------------


def page_query(offset: object, limit: object) -> ImageQuery:
    """The query of one page, no filter: one cached value per page (the common call)."""
    if type(offset) is int and type(limit) is int:
        return _cached_page(offset, limit)
    return ImageQuery(offset=offset, limit=limit)  # type: ignore[arg-type]  # it refuses them


@functools.lru_cache(maxsize=1024)
def _cached_page(offset: int, limit: int) -> ImageQuery:
    return ImageQuery(offset=offset, limit=limit)


def keyword_query(
    image_ids: object,
    kinds: object,
    name: object,
    platform: object,
    os_type: object,
    architecture: object,
    offset: object,
    limit: object,
) -> ImageQuery:
    """describe_images' keywords, as an ImageQuery (whose fields check them).

    Queries are values: the same keywords give one cached query (a paged listing
    asks the same filters page after page)."""
    key = _keywords_key((image_ids, kinds, name, platform, os_type, architecture, offset, limit))
    if key is not None:
        cached = _QUERIES.get(key)
        if cached is not None:
            return cached
    if (
        image_ids is not None
        and isinstance(image_ids, Iterable)
        and not isinstance(image_ids, (str, bytes))
    ):
        image_ids = [image_id_of(item, "image_ids") for item in image_ids]
    fields: dict[str, Any] = {
        "image_ids": image_ids,
        "kinds": kinds,
        "names": None if name is None else [name],
        "platforms": None if platform is None else [platform],
        "os_types": None if os_type is None else [os_type],
        "architectures": None if architecture is None else [architecture],
        "offset": offset,
        "limit": limit,
    }
    query = ImageQuery(**fields)
    if key is not None:
        if len(_QUERIES) >= 4096:
            _QUERIES.clear()
        _QUERIES[key] = query
    return query


_QUERIES: dict[tuple[object, ...], ImageQuery] = {}
_KEYABLE = (str, int, bool, type(None))


def _keywords_key(keywords: tuple[object, ...]) -> tuple[object, ...] | None:
    """A key for *keywords* that tells apart what ImageQuery tells apart (each
    value with its type, lists as tuples), or None when a value is not plain."""
    key: list[object] = []
    for value in keywords:
        if isinstance(value, (list, tuple)):
            if not all(type(item) in _KEYABLE or isinstance(item, Enum) for item in value):
                return None
            key.append((type(value), tuple((type(item), item) for item in value)))
        elif type(value) in _KEYABLE or isinstance(value, Enum):
            key.append((type(value), value))
        else:
            return None
    return tuple(key)
