"""Helpers for tests that drive the fake through the official Python SDK."""

from __future__ import annotations

from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import cvm_client, models

from imagecatalog.tencentcloud import DEFAULT_ACCOUNT, MockCvm

ALICE, BOB, CAROL = DEFAULT_ACCOUNT, "100000000002", "100000000003"
#: SecretIds the fixtures map to Alice, Bob and Carol.
SECRET_IDS = {"AKIDalice": ALICE, "AKIDbob": BOB, "AKIDcarol": CAROL}
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"


def client(region: str = "ap-guangzhou", secret_id: str = "AKIDalice") -> Any:
    """A client of the official SDK, as the code under test would make one."""
    return cvm_client.CvmClient(credential.Credential(secret_id, "secret"), region)


def request(model: str, **fields: Any) -> Any:
    """The SDK's request model of *model* with *fields* set."""
    made = getattr(models, f"{model}Request")()
    for key, value in fields.items():
        if not hasattr(made, key):
            raise AttributeError(f"{model}Request has no field {key}")
        setattr(made, key, value)
    return made


def call(
    action: str, region: str = "ap-guangzhou", secret_id: str = "AKIDalice", **fields: Any
) -> Any:
    """*action* through the SDK's own method and models: the response model."""
    return getattr(client(region, secret_id), action)(request(action, **fields))


def refused(code: str, make: Any) -> TencentCloudSDKException:
    """*make()* fails as the SDK reports a failure: with *code*, a message and a request ID."""
    with pytest.raises(TencentCloudSDKException) as raised:
        make()
    assert raised.value.code == code, (raised.value.code, raised.value.message)
    assert raised.value.requestId and raised.value.message
    return raised.value


def response_keys(action: str) -> set[str]:
    """The keys the SDK's response model of *action* knows."""
    return {name[1:] for name in vars(getattr(models, f"{action}Response")())}


def ubuntu(cvm: MockCvm, region: str = "ap-guangzhou") -> str:
    """The ID of the public Ubuntu 22.04 image of *region*."""
    return cvm.service.describe_images(ALICE, region, name="Ubuntu Server 22.04").items[0].id


def golden(
    name: str = "web-golden-001", region: str = "ap-guangzhou", secret_id: str = "AKIDalice"
) -> str:
    """A custom image made the way terraform and packer make one: RunInstances
    from the public Ubuntu image, then CreateImage from the instance."""
    public = call(
        "DescribeImages",
        region,
        secret_id,
        Filters=[sdk_filter("image-name", "Ubuntu Server 22.04")],
    )
    run = call(
        "RunInstances",
        region,
        secret_id,
        ImageId=public.ImageSet[0].ImageId,
        Placement=placement(region),
    )
    made = call("CreateImage", region, secret_id, InstanceId=run.InstanceIdSet[0], ImageName=name)
    return str(made.ImageId)


def sdk_filter(name: str, *values: str) -> Any:
    """The SDK's Filter model."""
    made = models.Filter()
    made.Name, made.Values = name, list(values)
    return made


def placement(region: str) -> Any:
    """The SDK's Placement model, in *region*'s first zone."""
    made = models.Placement()
    made.Zone = f"{region}-1"
    return made
