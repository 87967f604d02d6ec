"""Activating the fake: nesting, start and stop, decorating functions and classes.

Modelled on moto's mocks (``moto/core/models.py``: activations are counted, ``stop()``
before ``start()`` is refused, classes are decorated), so the fake never leaks into
the tests that follow.
"""

from __future__ import annotations

import asyncio
import sys
import unittest
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.cvm.v20170312 import cvm_client, models

from imagecatalog.tencentcloud import MockCvm, mock_cvm


def count_images() -> int:
    client = cvm_client.CvmClient(credential.Credential("id", "key"), "ap-guangzhou")
    return int(client.DescribeImages(models.DescribeImagesRequest()).TotalCount)


try:
    from tencentcloud.common.abstract_client_async import (
        AbstractClient as AsyncAbstractClient,
    )
except ImportError:  # an SDK before 3.0.1492, or without httpx (its "async" extra)
    AsyncAbstractClient = None

#: The SDK's own methods where the mock answers, as installed: the client's
#: ``_call`` and ``_call_with_region_breaker``, and the asyncio client's
#: ``_inter_build_request`` where the SDK has one.
SEAMS = [(AbstractClient, "_call"), (AbstractClient, "_call_with_region_breaker")]
if AsyncAbstractClient is not None:
    SEAMS.append((AsyncAbstractClient, "_inter_build_request"))
ORIGINAL = {(owner, name): vars(owner)[name] for owner, name in SEAMS}


def sdk_is_untouched() -> bool:
    """The SDK's ``AbstractClient`` classes have their own seams (where the mock
    answers), and ``CvmClient`` defines none of them, as installed."""
    return all(
        vars(owner).get(name) is method and name not in vars(cvm_client.CvmClient)
        for (owner, name), method in ORIGINAL.items()
    )


def test_the_sdk_is_untouched_before_and_after() -> None:
    assert sdk_is_untouched()
    with mock_cvm(public_catalog=False):
        assert not sdk_is_untouched()
        assert count_images() == 0
    assert sdk_is_untouched()


def test_entering_the_same_mock_twice_nests() -> None:
    """``with m: with m:`` works, and only the last exit restores the SDK
    (0.1.0 raised AttributeError here and left the SDK patched)."""
    mock = mock_cvm(public_catalog=False)
    with mock:
        with mock:
            assert mock.active
        assert mock.active
        assert count_images() == 0
    assert not mock.active
    assert sdk_is_untouched()


def test_start_and_stop_pair_up() -> None:
    mock = mock_cvm(public_catalog=False)
    with pytest.raises(RuntimeError, match="before start"):
        mock.stop()
    assert mock.start() is mock
    mock.start()
    mock.stop()
    assert count_images() == 0
    mock.stop()
    assert sdk_is_untouched()
    with pytest.raises(RuntimeError, match="before start"):
        mock.stop()


def test_an_error_inside_restores_the_sdk() -> None:
    mock = mock_cvm(public_catalog=False)
    with pytest.raises(ZeroDivisionError), mock:
        _ = 1 / 0
    assert sdk_is_untouched()


def test_two_mocks_stack() -> None:
    outer, inner = mock_cvm(public_catalog=False), mock_cvm()
    with outer:
        with inner:
            assert count_images() > 0  # the inner mock (with public images) answers
        assert count_images() == 0  # the outer one answers again
    assert sdk_is_untouched()


def test_a_decorated_function_runs_inside_the_mock() -> None:
    mock = mock_cvm(public_catalog=False)

    @mock
    def inside(extra: int) -> int:
        assert mock.active
        return count_images() + extra

    assert inside(2) == 2
    assert inside.__name__ == "inside"
    assert sdk_is_untouched()


def test_a_decorated_coroutine_function_runs_inside_the_mock() -> None:
    mock = mock_cvm(public_catalog=False)

    @mock
    async def inside() -> int:
        await asyncio.sleep(0)
        return count_images()

    assert asyncio.run(inside()) == 0
    assert sdk_is_untouched()


_PLAIN_MOCK = mock_cvm(public_catalog=False)


@_PLAIN_MOCK
class TestADecoratedClass:
    """Each test method runs inside the mock; other methods do not."""

    def helper(self) -> bool:
        return _PLAIN_MOCK.active

    def test_runs_inside(self) -> None:
        assert _PLAIN_MOCK.active
        assert count_images() == 0


def test_a_decorated_class_leaves_other_methods_alone() -> None:
    assert not TestADecoratedClass().helper()
    TestADecoratedClass().test_runs_inside()
    assert sdk_is_untouched()


_CASE_MOCK = mock_cvm(public_catalog=False)


@_CASE_MOCK
class DecoratedCase(unittest.TestCase):
    seen_in_set_up: bool = False

    def setUp(self) -> None:
        type(self).seen_in_set_up = _CASE_MOCK.active

    def test_inside(self) -> None:
        assert _CASE_MOCK.active and count_images() == 0


def test_a_decorated_test_case_is_active_from_set_up_to_cleanup() -> None:
    result = unittest.TestResult()
    DecoratedCase("test_inside").run(result)
    assert result.wasSuccessful(), result.failures + result.errors
    assert DecoratedCase.seen_in_set_up
    assert not _CASE_MOCK.active
    assert sdk_is_untouched()


def test_an_sdk_without_the_asyncio_client_is_mocked_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SDKs before 3.0.1492 (``tencentcloud-sdk-python-cvm`` before 3.1.1, the
    minimum 3.0.1369 included) have no tencentcloud/common/abstract_client_async.py,
    and without httpx (the SDK's ``async`` extra) it does not import: ``mock_cvm``
    then patches the SDK's client alone, answers it, and restores it."""
    monkeypatch.setitem(sys.modules, "tencentcloud.common.abstract_client_async", None)
    with mock_cvm(public_catalog=False):
        assert count_images() == 0
        if AsyncAbstractClient is not None:  # installed, but the mock did not see it
            assert "mock_cvm" not in vars(AsyncAbstractClient)["_inter_build_request"].__name__
    assert sdk_is_untouched()


def test_mock_cvm_returns_a_mock() -> None:
    made: Any = mock_cvm(public_catalog=False)
    assert isinstance(made, MockCvm) and not made.active
