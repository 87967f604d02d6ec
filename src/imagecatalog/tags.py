"""Tags: key-value pairs bound to an image, with the tag service's rules.

The rules are the tag service's documented limits ("使用限制", Tag product
page 651/13354): at most 50 tags per resource; a key of 1 to 127 characters
and a value of 1 to 255; letters (Chinese or English, case-sensitive), digits,
spaces inside (not at either end), and the special characters
``+ - = . _ : / @ ( ) [ ] , ; > <`` and their full-width forms
``＋ － ＝ ／ ＠ （ ） 【 】 ：``; one value per key.  Keys beginning with
``qcs:``, ``project`` or ``项目`` (the Tag product page) or ``qcloud`` or
``tencent`` (the tag API's own message for ``ReservedTagKey``) are the
system's, and cannot be created; the two sources disagree, so all five are
refused.

>>> check_tags([{"Key": "env", "Value": "prod"}])
(Tag(key='env', value='prod'),)
>>> try:
...     check_tags([("qcloud:owner", "me")])
... except InvalidParameterError as error:
...     print(error.code)
FailedOperation.TagKeyReserved
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import attrs

from imagecatalog._validation import require_str
from imagecatalog.exceptions import ErrorCode, InvalidParameterError

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_TAGS",
    "MAX_VALUE_LENGTH",
    "RESERVED_KEY_PREFIXES",
    "Tag",
    "check_tags",
]

#: At most this many tags on one resource ("1个资源最多可以绑定50个标签").
MAX_TAGS = 50
#: Longest tag key ("标签键必须最少为1，最多为127个 Unicode 字符").
MAX_KEY_LENGTH = 127
#: Longest tag value ("标签值必须最少为1，最多为255个 Unicode 字符").
MAX_VALUE_LENGTH = 255
#: Key prefixes the system reserves (matched as written: tag keys are case-sensitive).
RESERVED_KEY_PREFIXES = ("qcs:", "qcloud", "tencent", "project", "项目")

#: Letters of any script and digits (``\w`` less ``_``, which is listed anyway),
#: spaces, and the documented special characters, half- and full-width.
_ALLOWED = re.compile(r"(?:[^\W]|[ +\-=._:/@()\[\],;><＋－＝／＠（）【】：])+")


def _valid_key(_: object, __: attrs.Attribute[str], value: object) -> None:
    _check_text(value, "key", MAX_KEY_LENGTH)


def _valid_value(_: object, __: attrs.Attribute[str], value: object) -> None:
    _check_text(value, "value", MAX_VALUE_LENGTH)


@attrs.frozen
class Tag:
    """One tag: a key and its value (the provider's ``{"Key": ..., "Value": ...}``),
    each checked against the tag service's length and character rules when the
    tag is made.  Reserved keys are refused where tags are put on an image
    (:func:`check_tags`), not here: the provider's own system tags are tags too."""

    key: str = attrs.field(validator=_valid_key)
    value: str = attrs.field(validator=_valid_value)

    @classmethod
    def of(cls, value: object) -> Tag:
        """A tag from a :class:`Tag`, the API's ``{"Key", "Value"}`` or a pair,
        checked against the tag service's rules."""
        key: object
        text: object
        if isinstance(value, Tag):
            return value
        if isinstance(value, Mapping):
            key, text = value.get("Key"), value.get("Value")
        elif isinstance(value, tuple) and len(value) == 2:
            key, text = value
        else:
            raise InvalidParameterError(
                f"a tag is a Tag, a (key, value) pair or {{'Key': ..., 'Value': ...}}, "
                f"not {value!r}",
                parameter="tags",
                value=value,
                code=ErrorCode.INVALID_PARAMETER,
            )
        return cls(key, text)  # type: ignore[arg-type]  # the validators check them


def _check_text(value: object, part: str, maximum: int) -> str:
    text = require_str(value, f"tag {part}")
    code = ErrorCode.ILLEGAL_TAG_KEY if part == "key" else ErrorCode.ILLEGAL_TAG_VALUE
    if not 1 <= len(text) <= maximum:
        raise InvalidParameterError(
            f"tag {part} {text!r} has {len(text)} characters; a tag {part} has 1 to {maximum}",
            parameter=f"tag {part}",
            value=text,
            code=code,
        )
    if text != text.strip(" ") or _ALLOWED.fullmatch(text) is None:
        raise InvalidParameterError(
            f"tag {part} {text!r} holds a character tags do not allow, or begins or ends "
            "with a space; use letters, digits, inner spaces and + - = . _ : / @ ( ) [ ] , ; > <",
            parameter=f"tag {part}",
            value=text,
            code=code,
        )
    return text


def _check_not_reserved(key: str) -> None:
    for prefix in RESERVED_KEY_PREFIXES:
        if key.startswith(prefix):
            raise InvalidParameterError(
                f"tag key {key!r} begins with {prefix!r}, which the system reserves; "
                "choose another key",
                parameter="tag key",
                value=key,
                code=ErrorCode.TAG_KEY_RESERVED,
            )


def check_tags(values: object, *, creating: bool = True) -> tuple[Tag, ...]:
    """*values* as tags, each checked, at most :data:`MAX_TAGS`, each key once.

    *creating*: the tags are being put on a resource, so the system's reserved
    keys are refused too; tags read back (the provider's own system tags, such as
    ``qcs:project``) pass with ``creating=False``."""
    if isinstance(values, tuple | list) and not values:  # the usual case: no tags
        return ()
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidParameterError(
            f"tags must be a list of tags, not {type(values).__name__} {values!r}",
            parameter="tags",
            value=values,
            code=ErrorCode.INVALID_PARAMETER,
        )
    tags = tuple(Tag.of(value) for value in values)
    if len(tags) > MAX_TAGS:
        raise InvalidParameterError(
            f"{len(tags)} tags is too many: a resource has at most {MAX_TAGS}",
            parameter="tags",
            value=len(tags),
            code=ErrorCode.TAG_QUOTA_LIMIT_EXCEEDED,
        )
    keys = [tag.key for tag in tags]
    if creating:
        for key in keys:
            _check_not_reserved(key)
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InvalidParameterError(
            f"tag key {', '.join(map(repr, repeated))} is given more than once; a key has "
            "one value",
            parameter="tags",
            value=repeated,
            code=ErrorCode.DUPLICATE_TAGS,
        )
    return tags
