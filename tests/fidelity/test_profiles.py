"""Provider profiles: the seed's rules for ImageService, the newest for mock_cvm."""

from __future__ import annotations

import pytest

from imagecatalog import ImageService, Limits
from imagecatalog.exceptions import InvalidParameterError, UntrustedImageError
from imagecatalog.limits import NEWEST_PROFILE, PROFILES
from imagecatalog.tencentcloud import MockCvm, mock_cvm
from tests.sdk import ALICE, BOB, CAROL, SECRET_IDS, call, golden, refused


def test_the_newest_profile_is_the_mocks_default(cvm: MockCvm) -> None:
    """The live API's figures today (the SDK 3.1's cvm_client.py docstrings):
    DeleteImages "每个地域最多只支持创建500个自定义镜像" (500 custom images per
    region) and ModifyImageSharePermission "每个自定义镜像最多可共享给500个账户"
    (500 accounts per shared image)."""
    assert call("DescribeImageQuota").ImageNumQuota == 500
    assert cvm.service.limits == Limits.newest() == PROFILES[NEWEST_PROFILE]
    assert cvm.service.limits.accounts_per_shared_image == 500


def test_the_seed_is_one_keyword_away() -> None:
    """``limits=Limits()`` gives the seed's figures: the 11th image is refused
    with ImageQuotaLimitExceeded (CreateImage's documented code)."""
    with mock_cvm(limits=Limits()):
        assert call("DescribeImageQuota").ImageNumQuota == 10
        for number in range(10):
            golden(f"web-{number}")
        refused("ImageQuotaLimitExceeded", lambda: golden("web-10"))
    assert ImageService().limits == Limits() == Limits.profile("seed")


def test_profiles_are_named_and_dated() -> None:
    assert list(PROFILES) == ["seed", "2023-08", "2024-02"]
    assert Limits.profile("newest") == Limits.profile("2024-02") == Limits.provider_2024()
    assert Limits.profile("2023-08").custom_images_per_region == 50
    assert not Limits.profile("2023-08").receivers_may_copy
    with pytest.raises(InvalidParameterError, match="no provider profile '2019'"):
        Limits.profile("2019")
    with pytest.raises(InvalidParameterError, match="receivers_may_copy"):
        Limits(receivers_may_copy="yes")  # type: ignore[arg-type]


def test_a_mock_takes_a_service_or_limits_not_both() -> None:
    with pytest.raises(InvalidParameterError, match="a service or limits, not both"):
        mock_cvm(ImageService(), limits=Limits())


def test_a_receiver_copies_a_shared_image_into_its_region(cvm: MockCvm) -> None:
    """SyncImages' DestinationRegions docstring: "如果是共享镜像，则目的同步地域仅支持源地域，
    表示将共享镜像复制为源地域的自定义镜像" (a shared image may be copied only into its
    source region, as a custom image there)."""
    image_id = golden()
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE")
    refused(
        "InvalidParameterValue.InvalidRegion",
        lambda: call(
            "SyncImages", secret_id="AKIDbob", ImageIds=[image_id], DestinationRegions=["ap-tokyo"]
        ),
    )
    copied = call(
        "SyncImages",
        secret_id="AKIDbob",
        ImageIds=[image_id],
        DestinationRegions=["ap-guangzhou"],
        ImageSetRequired=True,
    )
    [copy] = copied.ImageSet
    assert copy.Region == "ap-guangzhou"
    mine = cvm.service.get_image(BOB, copy.ImageId)
    assert mine.owner is not None and mine.owner.id == BOB and mine.copied_from == image_id
    assert not mine.shared_with
    assert cvm.service.image_quota(BOB, "ap-guangzhou").used == 1
    # the copy is Bob's own: he may share it onwards, which a shared image never allows
    call(
        "ModifyImageSharePermission",
        "ap-guangzhou",
        "AKIDbob",
        ImageId=copy.ImageId,
        AccountIds=[CAROL],
        Permission="SHARE",
    )
    # and the owner still may not copy into the image's own region
    refused(
        "InvalidParameterValue.InvalidRegion",
        lambda: call("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-guangzhou"]),
    )


def test_under_the_seed_a_shared_image_is_launch_only() -> None:
    """The seed's image-types page: a shared image can only launch instances.
    SyncImages answers with a code of its own list: InvalidParameterValue.InvalidImageId,
    "镜像不允许执行该操作" (the image does not allow this operation)."""
    with mock_cvm(limits=Limits(), credentials=SECRET_IDS) as cvm:
        image_id = golden()
        cvm.service.share_image(ALICE, image_id, [BOB])
        refused(
            "InvalidParameterValue.InvalidImageId",
            lambda: call(
                "SyncImages",
                secret_id="AKIDbob",
                ImageIds=[image_id],
                DestinationRegions=["ap-guangzhou"],
            ),
        )


def test_a_trust_list_guards_a_receivers_copy() -> None:
    """Our rule (docs/rules.md): a receiver that keeps a trust list copies only
    trusted owners' images, as it launches only theirs."""
    service = ImageService(limits=Limits.newest())
    for account in (ALICE, BOB):
        service.register_account(account)
    instance = service.launch_instance(
        ALICE,
        service.provider.publish_public_image(
            "ap-guangzhou",
            name="u",
            os_type="Linux",
            platform="Ubuntu",
            os_name="Ubuntu",
            architecture="x86_64",
            size_gb=20,
        ),
    )
    image = service.create_image(ALICE, instance, name="web")
    service.share_image(ALICE, image, [BOB])
    service.set_trusted_sharers(BOB, [])
    before = service.contents()
    with pytest.raises(UntrustedImageError):
        service.copy_image(BOB, image, ["ap-guangzhou"])
    assert service.contents() == before
    service.set_trusted_sharers(BOB, [ALICE])
    [copy] = service.copy_image(BOB, image, ["ap-guangzhou"], name="mine")
    assert copy.owner is not None and copy.owner.id == BOB and copy.name == "mine"
