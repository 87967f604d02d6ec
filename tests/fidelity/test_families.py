"""Image families, deprecation and DescribeImageFromFamily.

Grounding: ImageFamily on CreateImage, ImportImage and ModifyImageAttribute
("镜像族", "设置镜像族；"), ImageDeprecated on ModifyImageAttribute ("设置镜像是否
废弃；"), both in the Image object; DescribeImageFromFamily ("用于查看镜像族内可用
镜像信息", Image "没有可用镜像是返回为空"; its error list, client.go, has no code for
an unknown family); InvalidParameterValue.InvalidImageFamily ("错误格式的镜像族名
称"); terraform's data_source_tc_image_from_family.go (a null Image is no result)
and its image resource's update, which sends the name, description and family
together (CvmService.ModifyImage in service_tencentcloud_cvm.go).
"""

from __future__ import annotations

from imagecatalog.tencentcloud import MockCvm
from tests.sdk import BOB, call, golden, refused


def from_family(family: str, secret_id: str = "AKIDalice") -> str | None:
    image = call("DescribeImageFromFamily", secret_id=secret_id, ImageFamily=family).Image
    return None if image is None else str(image.ImageId)


def test_the_newest_normal_undeprecated_image_of_the_family(cvm: MockCvm) -> None:
    golden("web-0")
    instance_id = cvm.service.describe_instances(cvm.account).items[0].id

    def create(name: str) -> str:
        made = call("CreateImage", InstanceId=instance_id, ImageName=name, ImageFamily="web-daily")
        return str(made.ImageId)

    assert from_family("web-daily") is None
    first = create("web-1")
    second = create("web-2")
    assert from_family("web-daily") == second
    [image] = call("DescribeImages", ImageIds=[second]).ImageSet
    assert (image.ImageFamily, image.ImageDeprecated) == ("web-daily", False)
    # deprecating the newest rolls the family back to the one before
    call("ModifyImageAttribute", ImageId=second, ImageDeprecated=True)
    assert from_family("web-daily") == first
    [image] = call("DescribeImages", ImageIds=[second]).ImageSet
    assert image.ImageDeprecated is True
    call("ModifyImageAttribute", ImageId=second, ImageDeprecated=False)
    assert from_family("web-daily") == second
    # leaving the family, by ImageFamily "", takes it out of the choice
    call("ModifyImageAttribute", ImageId=second, ImageFamily="")
    assert from_family("web-daily") == first
    assert call("DescribeImages", ImageIds=[second]).ImageSet[0].ImageFamily == ""


def test_a_family_is_seen_as_the_caller_sees_images(cvm: MockCvm) -> None:
    """Only the caller's visible images count: Bob sees Alice's family through a share."""
    image_id = golden()
    call("ModifyImageAttribute", ImageId=image_id, ImageFamily="web-daily")
    assert from_family("web-daily", "AKIDbob") is None
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE")
    assert from_family("web-daily", "AKIDbob") == image_id
    answer = call("DescribeImageFromFamily", secret_id="AKIDbob", ImageFamily="web-daily")
    assert answer.Image.ImageType == "SHARED_IMAGE"


def test_an_unknown_or_missing_family_answers_no_image(cvm: MockCvm) -> None:
    assert from_family("nothing-here") is None
    assert call("DescribeImageFromFamily").Image is None


def test_one_attribute_alone_is_a_valid_change(cvm: MockCvm) -> None:
    """ModifyImageAttribute with only ImageFamily, or only ImageDeprecated."""
    image_id = golden()
    call("ModifyImageAttribute", ImageId=image_id, ImageFamily="web-daily")
    call("ModifyImageAttribute", ImageId=image_id, ImageDeprecated=True)
    image = cvm.service.get_image(cvm.account, image_id)
    assert (image.family, image.deprecated, image.name) == ("web-daily", True, "web-golden-001")


def test_terraforms_update_sends_every_attribute(cvm: MockCvm) -> None:
    """The unchanged name with an empty description and family: no Duplicate
    against the image's own name (terraform retries every other code for long)."""
    image_id = golden()
    call(
        "ModifyImageAttribute",
        ImageId=image_id,
        ImageName="web-golden-001",
        ImageDescription="",
        ImageFamily="",
    )
    assert cvm.service.get_image(cvm.account, image_id).name == "web-golden-001"


def test_a_malformed_family_name(cvm: MockCvm) -> None:
    image_id = golden()
    before = cvm.service.contents()
    for bad in ("daily update", "-daily", "x" * 61, "日更"):
        refused(
            "InvalidParameterValue.InvalidImageFamily",
            lambda bad=bad: call("ModifyImageAttribute", ImageId=image_id, ImageFamily=bad),
        )
    assert cvm.service.contents() == before


def test_deprecation_forbids_nothing_but_the_familys_choice(cvm: MockCvm) -> None:
    """Our choice (docs/rules.md): no action's documented error list has a code
    for a deprecated image, so a deprecated image still launches, copies and
    shares; deprecation takes it out of DescribeImageFromFamily only."""
    image_id = golden()
    call("ModifyImageAttribute", ImageId=image_id, ImageFamily="web", ImageDeprecated=True)
    assert from_family("web") is None
    [launched] = call(
        "RunInstances", ImageId=image_id, Placement={"Zone": "ap-guangzhou-1"}
    ).InstanceIdSet
    assert cvm.service.get_instance(cvm.account, launched).image_id == image_id
    [copy] = call(
        "SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"], ImageSetRequired=True
    ).ImageSet
    copied = cvm.service.get_image(cvm.account, copy.ImageId)
    assert copied.copied_from == image_id and copied.family == "web" and not copied.deprecated
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE")
    shares = call("DescribeImageSharePermission", ImageId=image_id).SharePermissionSet
    assert [share.AccountId for share in shares] == [BOB]
    [seen] = call("DescribeImages", ImageIds=[image_id]).ImageSet
    assert seen.ImageDeprecated is True and seen.ImageFamily == "web"


def test_a_trust_list_passes_over_untrusted_owners_images(cvm: MockCvm) -> None:
    """DescribeImageFromFamily answers "镜像族内可用镜像" (an image of the family one can
    use): an image shared by an owner the caller does not trust cannot launch
    (UnauthorizedOperation.UntrustedSharedImage), so it is not the answer."""
    image_id = golden()
    call("ModifyImageAttribute", ImageId=image_id, ImageFamily="web")
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE")
    assert from_family("web", secret_id="AKIDbob") == image_id
    cvm.service.set_trusted_sharers(BOB, ["100000000003"])
    assert from_family("web", secret_id="AKIDbob") is None
    cvm.service.set_trusted_sharers(BOB, [cvm.account])
    assert from_family("web", secret_id="AKIDbob") == image_id
