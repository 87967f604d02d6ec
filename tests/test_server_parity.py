"""One action layer for both doors: the same scenario through ``mock_cvm`` (the
SDK in process) and through the real server (the SDK over HTTP) gives the same
answers, IDs, times and request IDs aside."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)

from imagecatalog.tencentcloud import mock_cvm
from tests.http_server import ALICE, BOB, Server

pytest.importorskip("uvicorn")

Call = Callable[[str, dict[str, Any]], dict[str, Any]]
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"


def scenario(call: Call) -> list[dict[str, Any]]:
    """Every modelled action, refusals included, in one account's day."""
    answers = []

    def step(action: str, **params: Any) -> dict[str, Any]:
        answers.append({"Action": action, **call(action, params)})
        return answers[-1]

    public = step("DescribeImages", Limit=3)["ImageSet"][0]["ImageId"]
    instance = step(
        "RunInstances", ImageId=public, Placement={"Zone": "ap-guangzhou-2"}, InstanceCount=1
    )["InstanceIdSet"][0]
    step("DescribeInstances", InstanceIds=[instance])
    image = step(
        "CreateImage",
        InstanceId=instance,
        ImageName="web",
        ImageFamily="web-daily",
        TagSpecification=[{"ResourceType": "image", "Tags": [{"Key": "team", "Value": "web"}]}],
    )["ImageId"]
    step("DescribeImages", ImageIds=[image])
    step("DescribeImageFromFamily", ImageFamily="web-daily")
    step("ModifyImageSharePermission", ImageId=image, AccountIds=[BOB], Permission="SHARE")
    step("DescribeImageSharePermission", ImageId=image)
    step("ModifyImageAttribute", ImageId=image, ImageDescription="v2", ImageDeprecated=True)
    step("SyncImages", ImageIds=[image], DestinationRegions=["ap-tokyo"], ImageSetRequired=True)
    step("DeleteImages", ImageIds=[image])  # still shared: refused
    step("ModifyImageSharePermission", ImageId=image, AccountIds=[BOB], Permission="CANCEL")
    step("DeleteImages", ImageIds=[image], DryRun=True)
    step(
        "ImportImage",
        ImageName="erp",
        ImageUrl=URL,
        OsType="CentOS",
        OsVersion="7",
        Architecture="x86_64",
    )
    step("DescribeImportImageOs")
    step("DescribeImageQuota")
    step("DescribeImages", ImageIds=["img-00000000"])
    step("DescribeImages", Filters=[{"Name": "image-typo", "Values": ["x"]}])
    step("DescribeImages", Limt=3)
    step("DeleteImages", ImageIds=[image])
    return answers


def normalized(answers: list[dict[str, Any]]) -> str:
    """The answers with request IDs, times and made IDs replaced by placeholders
    in order of appearance."""
    text = repr(answers)
    text = re.sub(r"'RequestId': '[^']*'", "'RequestId': '?'", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "<time>", text)
    seen: dict[str, str] = {}
    return re.sub(
        r"(img|ins|snap)-[0-9a-z]{8}",
        lambda found: seen.setdefault(found[0], f"{found[1]}-#{len(seen)}"),
        text,
    )


def sdk_call(client: Any) -> Call:
    def call(action: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(client.call_json(action, params)["Response"])
        except TencentCloudSDKException as error:
            return {"Error": error.code}

    return call


def test_the_mock_and_the_server_answer_alike(tmp_path: Path) -> None:
    from tencentcloud.common import credential
    from tencentcloud.cvm.v20170312 import cvm_client

    with mock_cvm(credentials={"AKIDalice": ALICE}):
        in_process = scenario(
            sdk_call(cvm_client.CvmClient(credential.Credential("AKIDalice", "k"), "ap-guangzhou"))
        )
    server = Server(tmp_path).start()
    try:
        over_http = scenario(sdk_call(server.client()))
    finally:
        server.stop()
    assert normalized(in_process) == normalized(over_http)
    refusals = [answer["Error"] for answer in in_process if "Error" in answer]
    assert refusals == ["InvalidImageId.InShared", "InvalidFilter", "UnknownParameter"]
