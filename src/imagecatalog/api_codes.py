"""The provider's documented error codes, as data.

Two sources, kept in ``data/error_codes.json`` with where each came from: the
API 3.0 common codes (``RequestLimitExceeded``, ``InternalError``,
``AuthFailure.*``, ...), which every action may answer, and the CVM API's own
codes with their descriptions and, per action, the codes its documentation
lists (tencentcloud-sdk-go's ``errors.go`` and the "可能返回的错误码" block of
each action in ``client.go``).  The SDK fake answers only documented codes, and
faults a test injects must be documented codes too (a typo is refused).

>>> is_documented("RequestLimitExceeded"), is_documented("RequestLimitExceded")
(True, False)
>>> "MutexOperation.TaskRunning" in ACTION_CODES["DeleteImages"]
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

__all__ = [
    "ACTION_CODES",
    "COMMON_CODES",
    "CVM_ACTIONS",
    "CVM_CODES",
    "description",
    "is_documented",
]

_DATA = json.loads(
    (resources.files("imagecatalog") / "data" / "error_codes.json").read_text("utf-8")
)

#: The API 3.0 common error codes: any action may answer them.
COMMON_CODES: frozenset[str] = frozenset(_DATA["common"])

#: Every CVM error code, with the description its SDK gives it.
CVM_CODES: Mapping[str, str] = MappingProxyType(_DATA["codes"])

#: For each CVM action, the codes its documentation lists.
ACTION_CODES: Mapping[str, frozenset[str]] = MappingProxyType(
    {action: frozenset(codes) for action, codes in _DATA["actions"].items()}
)


#: Every action of the CVM API (modelled here or not).
CVM_ACTIONS: frozenset[str] = frozenset(_DATA["all_actions"])


def is_documented(code: str, action: str | None = None) -> bool:
    """True when *code* is a common code or a CVM code (with *action*: one that
    action's documentation lists)."""
    if code in COMMON_CODES:
        return True
    if action is None:
        return code in CVM_CODES
    return code in ACTION_CODES.get(action, frozenset())


def description(code: str) -> str | None:
    """The SDK's description of a CVM code, or None (common codes have none here)."""
    return CVM_CODES.get(code)
