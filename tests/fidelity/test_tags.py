"""Tags: TagSpecification on CreateImage and ImportImage, Tags in DescribeImages,
the tag filters, and the tag service's limits.

Grounding: CreateImage's and ImportImage's TagSpecification docstrings ("标签描述
列表。通过指定该参数可以同时绑定标签到自定义镜像"), TagSpecification.ResourceType
("镜像为“image”"), DescribeImages' Filters docstring (``tag-key``, ``tag-value``,
``tag:tag-key``: "tag-key使用具体的标签键进行替换"), packer's step_create_image.go
(``image_tags`` sent as TagSpecification with ResourceType "image"), and the tag
service's "使用限制" page (651/13354): 50 tags a resource, keys of 1-127 and
values of 1-255 characters, reserved prefixes.
"""

from __future__ import annotations

from typing import Any

import pytest
from tencentcloud.cvm.v20170312 import models

from imagecatalog.tencentcloud import MockCvm
from tests.sdk import URL, call, golden, refused, sdk_filter


def specification(*pairs: tuple[str, str], resource: str = "image") -> list[Any]:
    made = models.TagSpecification()
    made.ResourceType = resource
    made.Tags = []
    for key, value in pairs:
        tag = models.Tag()
        tag.Key, tag.Value = key, value
        made.Tags.append(tag)
    return [made]


def tagged_image(cvm: MockCvm, name: str, *pairs: tuple[str, str]) -> str:
    instance = cvm.service.describe_instances(cvm.account, "ap-guangzhou").items[0].id
    made = call(
        "CreateImage", InstanceId=instance, ImageName=name, TagSpecification=specification(*pairs)
    )
    return str(made.ImageId)


def test_tags_given_at_creation_come_back(cvm: MockCvm) -> None:
    golden()
    image_id = tagged_image(cvm, "web-tagged", ("env", "prod"), ("team", "web"))
    [image] = call("DescribeImages", ImageIds=[image_id]).ImageSet
    assert [(tag.Key, tag.Value) for tag in image.Tags] == [("env", "prod"), ("team", "web")]
    imported = call(
        "ImportImage",
        ImageName="erp",
        ImageUrl=URL,
        OsType="CentOS",
        OsVersion="7",
        Architecture="x86_64",
        TagSpecification=specification(("env", "test")),
    )
    [image] = call("DescribeImages", ImageIds=[imported.ImageId]).ImageSet
    assert [(tag.Key, tag.Value) for tag in image.Tags] == [("env", "test")]


def test_the_tag_filters(cvm: MockCvm) -> None:
    """Values of one filter are OR-ed, filters AND-ed; tags match exactly."""
    golden()
    prod = tagged_image(cvm, "web-prod", ("env", "prod"), ("team", "web"))
    test = tagged_image(cvm, "web-test", ("env", "test"))
    plain = tagged_image(cvm, "web-plain")

    def listed(*filters: Any) -> list[str]:
        found = call("DescribeImages", Filters=list(filters)).ImageSet
        return [image.ImageId for image in found]

    assert listed(sdk_filter("tag-key", "env")) == [prod, test]
    assert listed(sdk_filter("tag-key", "team", "nothing")) == [prod]
    assert listed(sdk_filter("tag-value", "test")) == [test]
    assert listed(sdk_filter("tag:env", "prod", "test")) == [prod, test]
    assert listed(sdk_filter("tag:env", "prod"), sdk_filter("tag:team", "web")) == [prod]
    assert listed(sdk_filter("tag:env", "PROD")) == []
    assert listed(sdk_filter("tag:nothing", "x")) == []
    assert plain not in listed(
        sdk_filter("image-type", "PRIVATE_IMAGE"), sdk_filter("tag-key", "env")
    )


@pytest.mark.parametrize(
    ("pairs", "code"),
    [
        ([(f"key-{n}", "v") for n in range(51)], "InvalidParameterValue.TagQuotaLimitExceeded"),
        ([("k" * 128, "v")], "FailedOperation.IllegalTagKey"),
        ([("cost#centre", "1")], "FailedOperation.IllegalTagKey"),
        ([(" env", "prod")], "FailedOperation.IllegalTagKey"),
        ([("env", "v" * 256)], "FailedOperation.IllegalTagValue"),
        ([("env", "")], "FailedOperation.IllegalTagValue"),
        ([("qcs:owner", "me")], "FailedOperation.TagKeyReserved"),
        ([("project", "x")], "FailedOperation.TagKeyReserved"),
        ([("env", "a"), ("env", "b")], "InvalidParameterValue.DuplicateTags"),
    ],
)
def test_the_tag_services_limits(cvm: MockCvm, pairs: list[tuple[str, str]], code: str) -> None:
    """The limits of the tag service's "使用限制" page, each with the code the
    SDK's errorcodes.py names for it: TagQuotaLimitExceeded ("标签配额超限", in
    CreateImage's list), IllegalTagKey ("标签键存在不合法字符"), IllegalTagValue,
    TagKeyReserved ("请求中指定的标签键为系统预留标签，禁止创建") and DuplicateTags
    ("重复标签"); the last four are RunInstances' codes, which CreateImage's list
    lacks (docs/rules.md marks them)."""
    golden()
    before = cvm.service.contents()
    refused(code, lambda: tagged_image(cvm, "web-bad", *pairs))
    assert cvm.service.contents() == before


def test_fifty_tags_and_the_longest_key_and_value_are_accepted(cvm: MockCvm) -> None:
    golden()
    fifty = [(f"key-{n}", "v") for n in range(50)]
    longest = [("k" * 127, "v" * 255), ("名字", "值 (一)"), ("a:b/c@d", "e=f")]
    for name, pairs in (("web-50", fifty), ("web-long", longest)):
        image_id = tagged_image(cvm, name, *pairs)
        [image] = call("DescribeImages", ImageIds=[image_id]).ImageSet
        assert [(tag.Key, tag.Value) for tag in image.Tags] == pairs


def test_tags_bind_to_resource_type_image(cvm: MockCvm) -> None:
    golden()
    refused(
        "InvalidParameterValue",
        lambda: call(
            "CreateImage",
            InstanceId=cvm.service.describe_instances(cvm.account).items[0].id,
            ImageName="web-x",
            TagSpecification=specification(("env", "prod"), resource="instance"),
        ),
    )
