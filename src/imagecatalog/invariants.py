"""The catalog's invariants: what every state the service can reach satisfies.

:func:`catalog_violations` checks a whole catalog (a
:class:`~imagecatalog.contents.CatalogContents`) with the same rule functions
the service calls before each change (:mod:`~imagecatalog.lifecycle`,
:mod:`~imagecatalog.sharing`, :mod:`~imagecatalog.limits`), so there is one copy
of each rule.  Snapshots and loads check a catalog with it before they accept
it; the stateful tests check it after every step.

>>> from imagecatalog.testing import CatalogBuilder
>>> service = CatalogBuilder().custom_image("100000000001", "ap-guangzhou", "web").build()
>>> catalog_violations(service.contents())
[]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import partial

import attrs

from imagecatalog.accounts import Account
from imagecatalog.contents import CatalogContents
from imagecatalog.exceptions import ImageCatalogError
from imagecatalog.images import Image, image_problems
from imagecatalog.lifecycle import check_name_free
from imagecatalog.limits import Quota, check_image_quota
from imagecatalog.regions import Region
from imagecatalog.sharing import check_share_limit, check_shareable

__all__ = ["Violation", "catalog_violations"]


@attrs.frozen
class Violation:
    """One broken invariant: where (a path such as ``images[3]``) and what.

    ``error`` is the rule's own error when a rule of the service is broken
    (a duplicate name, a quota, a share of a BYOL image), else None (the
    catalog's structure is broken: an unknown account, a repeated ID).
    """

    where: str
    message: str
    error: ImageCatalogError | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _repeated(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def catalog_violations(contents: CatalogContents) -> list[Violation]:
    """Every invariant *contents* breaks, in a stable order (empty if none)."""
    found: list[Violation] = []

    def rule(where: str, check: Callable[[], None]) -> None:
        try:
            check()
        except ImageCatalogError as error:
            found.append(Violation(where, error.message, error))

    known = {profile.id for profile in contents.accounts}
    for account_id in _repeated(profile.id for profile in contents.accounts):
        found.append(Violation("accounts", f"account {account_id} appears more than once"))
    for index, profile in enumerate(contents.accounts):
        for sharer in sorted(profile.trusted_sharers or (), key=lambda account: account.id):
            if sharer.id not in known:
                found.append(Violation(f"accounts[{index}]", f"trusts unknown account {sharer.id}"))
    for image_id in _repeated(image.id for image in contents.images):
        found.append(Violation("images", f"image {image_id} appears more than once"))

    mine: dict[tuple[Account, Region], list[tuple[int, Image]]] = defaultdict(list)
    for index, image in enumerate(contents.images):
        where = f"images[{index}]"
        problems = image_problems(image)
        if problems:  # a value of the wrong type: the rules below cannot judge it
            found.extend(Violation(where, problem) for problem in problems)
            continue
        if image.owner is None:
            continue
        if image.owner.id not in known:
            found.append(Violation(where, f"belongs to unknown account {image.owner.id}"))
        mine[(image.owner, image.region)].append((index, image))
        if not image.shared_with:
            continue
        rule(where, partial(check_shareable, image, staying=True))
        rule(where, partial(check_share_limit, image, 0, contents.limits.accounts_per_shared_image))
        receivers = [share.account.id for share in image.shared_with]
        for receiver in _repeated(receivers):
            found.append(Violation(where, f"is shared with account {receiver} twice"))
        for receiver in receivers:
            if receiver == image.owner.id:
                found.append(Violation(where, f"is shared with its owner {receiver}"))
            elif receiver not in known:
                found.append(Violation(where, f"is shared with unknown account {receiver}"))

    for (owner, region), owned in mine.items():
        names: dict[str, Image] = {}
        for index, image in owned:
            existing = names.get(image.name)
            rule(f"images[{index}]", partial(check_name_free, image.name, owner, region, existing))
            names.setdefault(image.name, image)
        quota = Quota(used=len(owned), limit=contents.limits.image_quota_for(owner))
        rule(
            f"images of {owner.id} in {region.id}",
            partial(check_image_quota, owner, region, quota, adding=0),
        )

    for instance_id in _repeated(instance.id for instance in contents.instances):
        found.append(Violation("instances", f"instance {instance_id} appears more than once"))
    for index, instance in enumerate(contents.instances):
        if instance.owner.id not in known:
            found.append(
                Violation(f"instances[{index}]", f"belongs to unknown account {instance.owner.id}")
            )
    return found
