"""DryRun as the official examples and docstrings show it.

- The official DeleteImages example "检测镜像是否允许删除" (tccli's examples,
  DeleteImages, ``"DryRun": true``) answers ``{"Response": {"RequestId": ...}}``.
- RunInstances' DryRun docstring (models.py, RunInstancesRequest): "如果检查不通过，
  则返回对应错误码；如果检查通过，则返回RequestId".
- CreateImage ("检测本次请求的是否成功，但不会对操作的资源产生任何影响"), SyncImages
  and ImportImage ("只检查参数，不执行任务"): a check, with no effect.

The API's common code ``DryRunOperation`` ("DryRun 操作，代表请求将会是成功的") is in
none of these actions' documented error lists (tencentcloud-sdk-go client.go),
so a passing DryRun here answers like the call, with only its RequestId.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from imagecatalog.tencentcloud import MockCvm
from tests.sdk import URL, call, golden, placement, refused, ubuntu


def passing(cvm: MockCvm, image_id: str, instance_id: str) -> dict[str, Callable[[], Any]]:
    """Each DryRun action as a call that would pass."""
    return {
        "CreateImage": lambda: call(
            "CreateImage", InstanceId=instance_id, ImageName="dry", DryRun=True
        ),
        "DeleteImages": lambda: call("DeleteImages", ImageIds=[image_id], DryRun=True),
        "SyncImages": lambda: call(
            "SyncImages",
            ImageIds=[image_id],
            DestinationRegions=["ap-tokyo"],
            ImageSetRequired=True,
            DryRun=True,
        ),
        "ImportImage": lambda: call(
            "ImportImage",
            ImageName="dry",
            ImageUrl=URL,
            OsType="CentOS",
            OsVersion="7",
            Architecture="x86_64",
            DryRun=True,
        ),
        "RunInstances": lambda: call(
            "RunInstances",
            ImageId=ubuntu(cvm),
            Placement=placement("ap-guangzhou"),
            InstanceCount=3,
            DryRun=True,
        ),
    }


#: The field each action's response would carry had it run for real, and what a
#: passing DryRun answers in it: nothing was made.  SyncImages keeps its ImageSet,
#: empty: the official SyncImages example always has one, and terraform's
#: resource_tc_cvm_sync_image.go (create with dry_run) fails on a response without.
RESULT_FIELDS: dict[str, tuple[str | None, object]] = {
    "CreateImage": ("ImageId", None),
    "DeleteImages": (None, None),
    "SyncImages": ("ImageSet", []),
    "ImportImage": ("ImageId", None),
    "RunInstances": ("InstanceIdSet", None),
}


@pytest.mark.parametrize("action", list(RESULT_FIELDS))
def test_a_dry_run_that_would_pass_answers_its_request_id(cvm: MockCvm, action: str) -> None:
    image_id = golden()
    instance_id = cvm.service.describe_instances(cvm.account, "ap-guangzhou").items[0].id
    before = cvm.service.contents()
    response = passing(cvm, image_id, instance_id)[action]()
    assert response.RequestId
    field, expected = RESULT_FIELDS[action]
    if field is not None:
        assert getattr(response, field) == expected
    assert cvm.service.contents() == before


def test_a_dry_run_that_would_fail_answers_the_failures_code(cvm: MockCvm) -> None:
    image_id = golden()
    call(
        "ModifyImageSharePermission",
        ImageId=image_id,
        AccountIds=["100000000002"],
        Permission="SHARE",
    )
    before = cvm.service.contents()
    refused(
        "InvalidImageId.InShared",
        lambda: call("DeleteImages", ImageIds=[image_id], DryRun=True),
    )
    refused(
        "InvalidParameterValue.InvalidRegion",
        lambda: call(
            "SyncImages", ImageIds=[image_id], DestinationRegions=["ap-guangzhou"], DryRun=True
        ),
    )
    refused(
        "InvalidImageName.Duplicate",
        lambda: call(
            "CreateImage",
            InstanceId=cvm.service.describe_instances(cvm.account).items[0].id,
            ImageName="web-golden-001",
            DryRun=True,
        ),
    )
    refused(
        "InvalidImageId.NotFound",
        lambda: call(
            "RunInstances", ImageId="img-00000000", Placement=placement("ap-guangzhou"), DryRun=True
        ),
    )
    assert cvm.service.contents() == before
