"""RunInstances and DescribeInstances as the SDK's docstrings describe them."""

from __future__ import annotations

from tencentcloud.cvm.v20170312 import models

from imagecatalog.tencentcloud import MockCvm
from tests.sdk import call, placement, refused, sdk_filter, ubuntu


def launch(cvm: MockCvm, count: int = 1, zone: str = "ap-guangzhou-1") -> list[str]:
    where = models.Placement()
    where.Zone = zone
    run = call("RunInstances", ImageId=ubuntu(cvm), Placement=where, InstanceCount=count)
    return list(run.InstanceIdSet)


def test_describe_instances_pages(cvm: MockCvm) -> None:
    """DescribeInstancesRequest.Limit: "返回数量，默认为20，最大值为100"; Offset
    "偏移量，默认为0"."""
    launched = launch(cvm, 25)
    first = call("DescribeInstances")
    assert first.TotalCount == 25 and len(first.InstanceSet) == 20
    page = call("DescribeInstances", Offset=20, Limit=3)
    assert [i.InstanceId for i in page.InstanceSet] == launched[20:23]
    # DescribeInstances' error list (client.go) has no code of its own for the
    # limit; InvalidParameterValue.LimitExceeded is the one it lists for a value
    # over a limit.
    refused("InvalidParameterValue.LimitExceeded", lambda: call("DescribeInstances", Limit=101))


def test_describe_instances_filters(cvm: MockCvm) -> None:
    """DescribeInstancesRequest.Filters: ``instance-id``, ``zone`` and
    ``instance-state`` among its filters; "每次请求的`Filters`的上限为10，
    `Filter.Values`的上限为5。参数不支持同时指定`InstanceIds`和`Filters`。"."""
    first, second = launch(cvm, 2)
    third, fourth = launch(cvm, 2, zone="ap-guangzhou-3")
    by_id = call("DescribeInstances", Filters=[sdk_filter("instance-id", second)])
    assert [i.InstanceId for i in by_id.InstanceSet] == [second]
    in_zone = call("DescribeInstances", Filters=[sdk_filter("zone", "ap-guangzhou-1")])
    assert [i.InstanceId for i in in_zone.InstanceSet] == [first, second]
    elsewhere = call("DescribeInstances", Filters=[sdk_filter("zone", "ap-guangzhou-3")])
    assert [i.InstanceId for i in elsewhere.InstanceSet] == [third, fourth]
    assert {i.Placement.Zone for i in elsewhere.InstanceSet} == {"ap-guangzhou-3"}
    paged = call(
        "DescribeInstances", Filters=[sdk_filter("zone", "ap-guangzhou-3")], Offset=1, Limit=5
    )
    assert paged.TotalCount == 2 and [i.InstanceId for i in paged.InstanceSet] == [fourth]
    both = call(
        "DescribeInstances",
        Filters=[sdk_filter("zone", "ap-guangzhou-3"), sdk_filter("instance-id", first, third)],
    )
    assert [i.InstanceId for i in both.InstanceSet] == [third]
    nowhere = call("DescribeInstances", Filters=[sdk_filter("zone", "ap-guangzhou-6")])
    assert nowhere.TotalCount == 0
    stopped = call("DescribeInstances", Filters=[sdk_filter("instance-state", "STOPPED")])
    assert stopped.TotalCount == 0
    refused(
        "InvalidParameter",
        lambda: call(
            "DescribeInstances", InstanceIds=[first], Filters=[sdk_filter("zone", "ap-guangzhou-1")]
        ),
    )
    refused(
        "InvalidFilterValue.LimitExceeded",
        lambda: call("DescribeInstances", Filters=[sdk_filter("instance-id", *["ins-1"] * 6)]),
    )
    refused(
        "UnsupportedOperation",  # ours: a documented filter this fake does not model
        lambda: call("DescribeInstances", Filters=[sdk_filter("vpc-id", "vpc-12345678")]),
    )
    # a filter the docstring does not name: InvalidFilter, in DescribeInstances' list
    refused(
        "InvalidFilter",
        lambda: call("DescribeInstances", Filters=[sdk_filter("zonee", "ap-guangzhou-1")]),
    )


def test_run_instances_needs_a_placement(cvm: MockCvm) -> None:
    """RunInstancesRequest.Placement: "如果您不指定LaunchTemplate参数，则Placement为
    必选参数" (MissingParameter, the common code, as for any required one); its
    Zone must be one of the request's region (InvalidZone.MismatchRegion, in
    RunInstances' list); the instance runs there (DescribeInstances' Placement)."""
    before = cvm.service.contents()
    refused("MissingParameter", lambda: call("RunInstances", ImageId=ubuntu(cvm)))
    refused(
        "MissingParameter",
        lambda: call("RunInstances", ImageId=ubuntu(cvm), Placement=models.Placement()),
    )
    refused(
        "InvalidZone.MismatchRegion",
        lambda: call("RunInstances", ImageId=ubuntu(cvm), Placement=placement("ap-shanghai")),
    )
    assert cvm.service.contents() == before
    zone = models.Placement()
    zone.Zone = "ap-guangzhou-6"
    [instance_id] = call("RunInstances", ImageId=ubuntu(cvm), Placement=zone).InstanceIdSet
    [described] = call("DescribeInstances", InstanceIds=[instance_id]).InstanceSet
    assert described.Placement.Zone == "ap-guangzhou-6"


def test_instance_count_is_one_to_five_hundred(cvm: MockCvm) -> None:
    """InstanceCount: "包年包月实例取值范围：[1，500]，按量计费实例取值范围：[1，500]";
    out of range is InvalidParameterValue.Range (RunInstances' list)."""
    for count in (0, 501):
        refused("InvalidParameterValue.Range", lambda count=count: launch(cvm, count))
    assert len(launch(cvm, 500)) == 500


def test_launch_templates_are_not_modelled(cvm: MockCvm) -> None:
    template = models.LaunchTemplate()
    template.LaunchTemplateId = "lt-12345678"
    refused("UnsupportedOperation", lambda: call("RunInstances", LaunchTemplate=template))
