"""The checked mock every fidelity test runs under."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from imagecatalog.tencentcloud import MockCvm, mock_cvm
from tests.sdk import SECRET_IDS, response_keys


@pytest.fixture
def cvm(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockCvm]:
    """``mock_cvm()`` as a user makes it (the newest profile), with Alice, Bob
    and Carol; every body it sends must load into the SDK's response model
    without unknown keys (the SDK's top-level models do not warn of them)."""
    sent: list[tuple[str, dict[str, Any]]] = []
    answer = MockCvm.answer

    def recording(self: MockCvm, client: Any, action: str, params: Any) -> str:
        body = answer(self, client, action, params)
        sent.append((action, json.loads(body)["Response"]))
        return body

    monkeypatch.setattr(MockCvm, "answer", recording)
    with mock_cvm(credentials=SECRET_IDS) as mock:
        yield mock
    for action, response in sent:
        assert "RequestId" in response, action
        assert set(response) <= response_keys(action), (action, set(response))
