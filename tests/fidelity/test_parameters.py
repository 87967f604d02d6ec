"""Request parameters: exactly the ones each action defines."""

from __future__ import annotations

import json

import pytest
from tencentcloud.cvm.v20170312 import models

from imagecatalog.cvm import ACTION_PARAMETERS
from imagecatalog.tencentcloud import MockCvm
from tests.sdk import client, golden, refused


@pytest.mark.parametrize("action", sorted(ACTION_PARAMETERS))
def test_the_parameters_are_the_sdks_request_models(action: str) -> None:
    """Each action's parameters are its request model's fields in the SDK (the
    newest SDK has them all; an older one, as pyproject's minimum, fewer)."""
    model = getattr(models, f"{action}Request")()
    assert {name[1:] for name in vars(model)} <= ACTION_PARAMETERS[action]


def test_a_parameter_the_action_does_not_define_is_unknown(cvm: MockCvm) -> None:
    """The API's common code UnknownParameter ("未知参数错误", errorcodes.py) for a
    parameter the action does not define, sent as the SDK's ``call`` sends any
    parameters (code that builds requests by hand, or a typo in a field name)."""
    image_id = golden()
    before = cvm.service.contents()
    error = refused(
        "UnknownParameter",
        lambda: client().call("DeleteImages", {"ImageIds": [image_id], "ImageId": image_id}),
    )
    assert "ImageId" in error.message
    assert cvm.service.contents() == before
    answer = json.loads(client().call("DeleteImages", {"ImageIds": [image_id], "DryRun": True}))
    assert set(answer["Response"]) == {"RequestId"}


@pytest.mark.parametrize("action", ["DescribeImages", "DescribeInstances"])
@pytest.mark.parametrize("name", [[], {"a": 1}, 7, None])
def test_a_filter_name_that_is_not_text_is_refused(cvm: MockCvm, action: str, name: object) -> None:
    """A Filter's Name is a String (the SDK's Filter model); a request built by
    hand with any other JSON there is refused with a code, never a crash."""
    refused(
        "InvalidFilter"
        if action == "DescribeImages"
        else "MissingParameter"
        if name is None
        else "InvalidParameter",
        lambda: client().call(action, {"Filters": [{"Name": name, "Values": ["a"]}]}),
    )
