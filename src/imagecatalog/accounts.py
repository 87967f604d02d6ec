"""Accounts: who owns, shares and launches images, and what the catalog keeps about them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import attrs

from imagecatalog._validation import require_identifier
from imagecatalog.exceptions import ErrorCode

__all__ = ["Account", "AccountProfile"]

_ACCOUNT_ID = re.compile(r"[0-9]{1,20}")


def _check_account_id(_: object, __: attrs.Attribute[str], value: str) -> None:
    require_identifier(
        value,
        "account ID",
        _ACCOUNT_ID,
        "a root account ID of 1 to 20 digits, such as '100000000001'",
        ErrorCode.INVALID_ACCOUNT_ID_MALFORMED,
    )


@attrs.frozen(kw_only=True)
class Account:
    """A root account, identified by its numeric ID string (``"100000000001"``)."""

    id: str = attrs.field(validator=_check_account_id)

    @classmethod
    def of(cls, account: Account | str) -> Account:
        """Return *account* itself, or the account with that ID.

        A malformed ID raises :class:`~imagecatalog.InvalidParameterError`.
        """
        if isinstance(account, Account):
            return account
        if isinstance(account, str):
            return _account(account)
        return cls(id=account)

    def __str__(self) -> str:
        return self.id


@functools.lru_cache(maxsize=65536)
def _account(account_id: str) -> Account:
    """Accounts are values: the same ID gives one shared instance (saves memory
    and validation at scale; the cache is bounded)."""
    return Account(id=account_id)


def _trusted(values: Iterable[Account] | None) -> frozenset[Account] | None:
    return None if values is None else frozenset(values)


@attrs.frozen(kw_only=True)
class AccountProfile:
    """What the catalog keeps about one account: the account and its trust list.

    ``trusted_sharers`` is None when the account keeps no trust list (it
    trusts every sharer), else the accounts whose shared images it launches
    (empty: nobody's).
    """

    account: Account
    trusted_sharers: frozenset[Account] | None = attrs.field(default=None, converter=_trusted)

    @property
    def id(self) -> str:
        """The account's ID."""
        return self.account.id
