"""Limits as dated data (the provider's profiles), and the quota rule.

The rules of the provider's image-types page (10 custom images per account and
region, 50 accounts per shared image, a shared image is launch-only) are the
default; what the provider documented later are named, dated profiles
(:data:`PROFILES`), the newest of which is what the live API does today.
Limits are values handed to the service, never globals.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterable, Mapping

import attrs

from imagecatalog._deprecation import deprecated
from imagecatalog._validation import require_bool, require_int, require_str
from imagecatalog.accounts import Account
from imagecatalog.exceptions import ErrorCode, InvalidParameterError, QuotaExceededError
from imagecatalog.regions import Region

__all__ = ["NEWEST_PROFILE", "PROFILES", "Limits", "Quota", "check_image_quota"]


def _non_negative(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    """A limit is a count from 0 (an account with a quota of 0 may create no image)."""
    require_int(value, attribute.name, minimum=0)


def _overrides(
    value: Mapping[str, int] | Iterable[tuple[str, int]],
) -> tuple[tuple[str, int], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    checked = {
        Account.of(account).id: require_int(limit, "quota override", minimum=0)
        for account, limit in pairs
    }
    return tuple(sorted(checked.items()))


def _flag(_: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    require_bool(value, attribute.name)


@attrs.frozen(kw_only=True)
class Limits:
    """The numbers and dated rules the catalog enforces: a provider profile.

    ``Limits()`` holds the rules of the provider's image-types page (the seed):
    10 custom images per account per region, 50 accounts per shared image, and
    an image shared with you is launch-only.  :meth:`profile` names the later
    ones; ``Limits.newest()`` is the live API of today (500 images, 500
    accounts, and a receiver may copy a shared image into the image's own
    region as a custom image of its own).  ``quota_overrides`` raises (or
    lowers) one account's custom-image quota, as the provider may do.

    >>> Limits().custom_images_per_region, Limits().accounts_per_shared_image
    (10, 50)
    >>> Limits.newest().custom_images_per_region, Limits.newest().receivers_may_copy
    (500, True)
    >>> Limits().with_quota("100000000001", 25).image_quota_for("100000000001")
    25
    """

    custom_images_per_region: int = attrs.field(default=10, validator=_non_negative)
    accounts_per_shared_image: int = attrs.field(default=50, validator=_non_negative)
    quota_overrides: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_overrides)
    #: A receiver may copy an image shared with it (SyncImages) into the image's
    #: own region, as a custom image of its own; else shared images are launch-only.
    receivers_may_copy: bool = attrs.field(default=False, validator=_flag)

    @classmethod
    def profile(cls, name: str) -> Limits:
        """The provider profile *name*: ``"seed"``, a date of :data:`PROFILES`
        (``"2023-08"``, ``"2024-02"``) or ``"newest"``."""
        key = NEWEST_PROFILE if name == "newest" else require_str(name, "profile")
        if key not in PROFILES:
            raise InvalidParameterError(
                f"there is no provider profile {name!r}; choose one of "
                f"{', '.join(['newest', *PROFILES])}",
                parameter="profile",
                value=name,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        return PROFILES[key]

    @classmethod
    def newest(cls) -> Limits:
        """The newest documented profile: what the live API does today."""
        return PROFILES[NEWEST_PROFILE]

    @classmethod
    def seed(cls) -> Limits:
        """Deprecated: ``Limits()`` (the default) holds these figures."""
        deprecated("Limits.seed()", "use Limits(), which holds the same figures")
        return cls()

    @classmethod
    def provider_2023(cls) -> Limits:
        """The provider's documented figures from 2023-08: 50 images, 50 accounts."""
        return cls(custom_images_per_region=50, accounts_per_shared_image=50)

    @classmethod
    def provider_2024(cls) -> Limits:
        """The provider's documented rules from 2024-02 on: 500 images, 500
        accounts, and a receiver may copy a shared image into its own region."""
        return cls(
            custom_images_per_region=500, accounts_per_shared_image=500, receivers_may_copy=True
        )

    @functools.cached_property
    def _override_map(self) -> dict[str, int]:
        return dict(self.quota_overrides)

    def with_quota(self, account: Account | str, limit: int) -> Limits:
        """These limits with *account*'s custom-image quota set to *limit*."""
        overrides = dict(self.quota_overrides)
        overrides[Account.of(account).id] = limit
        return attrs.evolve(self, quota_overrides=overrides)

    def image_quota_for(self, account: Account | str) -> int:
        """The custom-image quota per region of *account*."""
        account_id = account.id if isinstance(account, Account) else account
        return self._override_map.get(account_id, self.custom_images_per_region)


@attrs.frozen(kw_only=True)
class Quota:
    """Custom images an account has (``used``) and may have (``limit``) in a region."""

    used: int
    limit: int

    @property
    def available(self) -> int:
        """How many more custom images fit (never negative)."""
        return max(self.limit - self.used, 0)


def check_image_quota(account: Account, region: Region, quota: Quota, adding: int = 1) -> None:
    """The quota rule: *adding* more custom images must keep ``used <= limit``
    (``adding=0`` checks that a state already keeps it).

    Raises :class:`~imagecatalog.QuotaExceededError` otherwise.
    """
    if quota.used + adding > quota.limit:
        raise QuotaExceededError(account=account, region=region, limit=quota.limit, used=quota.used)


#: The provider's profiles by the date they were documented, oldest first.
#: ``"seed"``: the image-types page (10 images, 50 accounts, shared images
#: launch-only).  ``"2023-08"``: 50 images, 50 accounts.  ``"2024-02"``: 500
#: images and 500 accounts (the SDK's DescribeImageQuota and
#: ModifyImageSharePermission docstrings), and the SyncImages rule that a
#: shared image may be copied into its source region ("如果是共享镜像，则目的同步
#: 地域仅支持源地域", the DestinationRegions docstring).
PROFILES: Mapping[str, Limits] = types.MappingProxyType(
    {
        "seed": Limits(),
        "2023-08": Limits.provider_2023(),
        "2024-02": Limits.provider_2024(),
    }
)
#: The profile the live API follows today: the default of everything that emulates it.
NEWEST_PROFILE = "2024-02"
