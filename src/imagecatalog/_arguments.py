"""Arguments of the service's methods: what callers may pass, turned into values.

Each function takes what a caller gave (a value or its ID string, a list) and
returns the value, or raises :class:`~imagecatalog.InvalidParameterError`
naming the parameter.  The service calls these before it opens a unit of work,
so a bad argument never reaches the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import Image, ImageState, check_image, check_image_id
from imagecatalog.instances import Instance, check_instance_id
from imagecatalog.regions import Region

__all__ = ["batch", "image_id_of", "instance_id_of", "public_image"]

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
