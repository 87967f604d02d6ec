"""Every action is answered in the client's region: IDs of other regions are not found there.

Grounding: every API 3.0 request carries one region (the common parameter
``Region``, ``X-TC-Region``), and an image is a regional resource ("镜像是地域级
资源", SyncImages exists to copy one into another region); the error lists of
the image actions (tencentcloud-sdk-go client.go) name InvalidImageId.NotFound
and InvalidInstanceId.NotFound for an ID the region does not hold, and
DescribeImages' ImageIds leave unknown IDs out of the set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from imagecatalog import ImageNotFoundError, ImageService, InstanceNotFoundError
from imagecatalog.tencentcloud import MockCvm
from tests.sdk import BOB, call, golden, placement, refused, ubuntu

SHANGHAI = "ap-shanghai"


def image_calls(image_id: str) -> dict[str, Callable[[], Any]]:
    """Each image action, made by a Shanghai client on *image_id*."""
    return {
        "SyncImages": lambda: call(
            "SyncImages", SHANGHAI, ImageIds=[image_id], DestinationRegions=["ap-tokyo"]
        ),
        "ModifyImageSharePermission": lambda: call(
            "ModifyImageSharePermission",
            SHANGHAI,
            ImageId=image_id,
            AccountIds=[BOB],
            Permission="SHARE",
        ),
        "DescribeImageSharePermission": lambda: call(
            "DescribeImageSharePermission", SHANGHAI, ImageId=image_id
        ),
        "ModifyImageAttribute": lambda: call(
            "ModifyImageAttribute", SHANGHAI, ImageId=image_id, ImageName="renamed"
        ),
        "DeleteImages": lambda: call("DeleteImages", SHANGHAI, ImageIds=[image_id]),
        "RunInstances": lambda: call(
            "RunInstances", SHANGHAI, ImageId=image_id, Placement=placement(SHANGHAI)
        ),
    }


@pytest.mark.parametrize("action", list(image_calls("img-00000000")))
def test_an_image_of_another_region_is_not_found(cvm: MockCvm, action: str) -> None:
    """A Guangzhou image named to a Shanghai client: InvalidImageId.NotFound,
    which each of these actions lists (client.go), and nothing changes."""
    image_id = golden()
    before = cvm.service.contents()
    refused("InvalidImageId.NotFound", image_calls(image_id)[action])
    assert cvm.service.contents() == before


def test_a_public_image_of_another_region_cannot_launch_here(cvm: MockCvm) -> None:
    refused(
        "InvalidImageId.NotFound",
        lambda: call("RunInstances", SHANGHAI, ImageId=ubuntu(cvm), Placement=placement(SHANGHAI)),
    )


def test_describe_images_by_id_leaves_other_regions_out(cvm: MockCvm) -> None:
    """DescribeImages' ImageIds: an ID the region does not hold is left out, no error."""
    image_id = golden()
    there = call("DescribeImages", SHANGHAI, ImageIds=[image_id])
    assert there.TotalCount == 0 and there.ImageSet == []
    here = call("DescribeImages", ImageIds=[image_id])
    assert [image.ImageId for image in here.ImageSet] == [image_id]


def test_an_instance_of_another_region(cvm: MockCvm) -> None:
    """CreateImage lists InvalidInstanceId.NotFound; DescribeInstances does not,
    and terraform's DescribeInstanceById reads an empty InstanceSet as "gone"
    (tencentcloud/services/cvm/service_tencentcloud_cvm.go), so it answers an
    empty set."""
    run = call("RunInstances", ImageId=ubuntu(cvm), Placement=placement("ap-guangzhou"))
    [instance_id] = run.InstanceIdSet
    refused(
        "InvalidInstanceId.NotFound",
        lambda: call("CreateImage", SHANGHAI, InstanceId=instance_id, ImageName="web"),
    )
    there = call("DescribeInstances", SHANGHAI, InstanceIds=[instance_id])
    assert there.TotalCount == 0 and there.InstanceSet == []
    here = call("DescribeInstances", InstanceIds=[instance_id, "ins-00000000"])
    assert [i.InstanceId for i in here.InstanceSet] == [instance_id]


def test_the_service_scopes_a_call_to_the_region_it_names() -> None:
    """The same rule in the service: ``region=`` scopes a call."""
    service = ImageService(public_catalog=True)
    alice = service.register_account("100000000001")
    ubuntu_here = service.describe_images(alice, "ap-guangzhou", name="Ubuntu").items[0]
    instance = service.launch_instance(alice, ubuntu_here, region="ap-guangzhou")
    with pytest.raises(InstanceNotFoundError, match="in ap-shanghai"):
        service.create_image(alice, instance, name="web", region="ap-shanghai")
    with pytest.raises(InstanceNotFoundError):
        service.get_instance(alice, instance, region="ap-shanghai")
    image = service.create_image(alice, instance, name="web", region="ap-guangzhou")
    scoped: list[Callable[[], object]] = [
        lambda: service.get_image(alice, image, region=SHANGHAI),
        lambda: service.launch_instance(alice, image, region=SHANGHAI),
        lambda: service.copy_image(alice, image, ["ap-tokyo"], region=SHANGHAI),
        lambda: service.modify_image(alice, image, name="x", region=SHANGHAI),
        lambda: service.delete_images(alice, [image], region=SHANGHAI),
        lambda: service.share_image(alice, image, ["100000000001"], region=SHANGHAI),
        lambda: service.unshare_image(alice, image, ["100000000001"], region=SHANGHAI),
        lambda: service.share_permissions(alice, image, region=SHANGHAI),
    ]
    before = service.contents()
    for make in scoped:
        with pytest.raises(ImageNotFoundError, match="in ap-shanghai"):
            make()
    assert service.contents() == before
    assert service.get_image(alice, image, region="ap-guangzhou") == image
    assert (
        service.describe_instances(alice, "ap-guangzhou", instance_ids=[instance]).total_count == 1
    )
