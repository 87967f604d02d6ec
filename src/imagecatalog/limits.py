"""Limits as dated data, and the quota rule.

The figures of the provider's image-types page (10 custom images per account
and region, 50 accounts per shared image) are the default; the figures the
provider documented later are named profiles.  Limits are values handed to the
service, never globals.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import attrs

from imagecatalog._deprecation import deprecated
from imagecatalog._validation import require_int
from imagecatalog.accounts import Account
from imagecatalog.exceptions import QuotaExceededError
from imagecatalog.regions import Region

__all__ = ["Limits", "Quota", "check_image_quota"]


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


@attrs.frozen(kw_only=True)
class Limits:
    """The numbers the rules use.

    ``Limits()`` holds the figures of the provider's image-types page: 10
    custom images per account per region and 50 accounts per shared image.
    ``quota_overrides`` raises (or lowers) one account's custom-image quota, as
    the provider may do.

    >>> Limits().custom_images_per_region, Limits().accounts_per_shared_image
    (10, 50)
    >>> Limits().with_quota("100000000001", 25).image_quota_for("100000000001")
    25
    """

    custom_images_per_region: int = attrs.field(default=10, validator=_non_negative)
    accounts_per_shared_image: int = attrs.field(default=50, validator=_non_negative)
    quota_overrides: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_overrides)

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
        """The provider's documented figures from 2024-02 on: 500 images, 500 accounts."""
        return cls(custom_images_per_region=500, accounts_per_shared_image=500)

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
