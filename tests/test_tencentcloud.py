"""The fake CVM endpoint: unmodified SDK code against an ImageService."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import cvm_client, models

from imagecatalog import ImageService, Limits
from imagecatalog.tencentcloud import DEFAULT_ACCOUNT, MockCvm, mock_cvm
from imagecatalog.testing import CatalogBuilder
from tests.promote_app import PromotionError, promote
from tests.sdk import placement

ALICE, BOB, CAROL = DEFAULT_ACCOUNT, "100000000002", "100000000003"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"

# pytest runs with filterwarnings = error: the SDK's "fileds are useless" warning,
# raised when a response carries a key its model does not know, fails any test here.


def client(region: str = "ap-guangzhou", secret_id: str = "AKIDalice") -> Any:
    return cvm_client.CvmClient(credential.Credential(secret_id, "secret"), region)


def request(model: str, **fields: Any) -> Any:
    made = getattr(models, f"{model}Request")()
    for key, value in fields.items():
        setattr(made, key, value)
    return made


def refused(code: str, call: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    assert raised.value.requestId and raised.value.message
    return raised.value


def ubuntu(cvm: MockCvm, region: str = "ap-guangzhou") -> str:
    return cvm.service.describe_images(ALICE, region, name="Ubuntu Server 22.04").items[0].id


def response_keys(action: str) -> set[str]:
    """The keys the SDK's response model of *action* knows."""
    return {name[1:] for name in vars(getattr(models, f"{action}Response")())}


@pytest.fixture
def cvm(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A mock with Alice, Bob and Carol; every body it sends is checked afterwards
    against the SDK's response model (whose top level, unlike nested models, does
    not warn about unknown keys)."""
    sent: list[tuple[str, dict[str, Any]]] = []
    answer = MockCvm.answer

    def recording(self: MockCvm, client: Any, action: str, params: Any) -> str:
        body = answer(self, client, action, params)
        sent.append((action, json.loads(body)["Response"]))
        return body

    monkeypatch.setattr(MockCvm, "answer", recording)
    with mock_cvm(credentials={"AKIDalice": ALICE, "AKIDbob": BOB, "AKIDcarol": CAROL}) as mock:
        yield mock
    for action, response in sent:
        assert set(response) <= response_keys(action), (action, set(response))


def golden(cvm: MockCvm, name: str = "web-golden-001") -> str:
    """An image made the SDK way: RunInstances, then CreateImage."""
    run = client().RunInstances(
        request("RunInstances", Placement=placement("ap-guangzhou"), ImageId=ubuntu(cvm))
    )
    made = client().CreateImage(
        request("CreateImage", InstanceId=run.InstanceIdSet[0], ImageName=name)
    )
    return str(made.ImageId)


# Every action: the response loads into the SDK's model, and the rules' codes come back.


def test_describe_images(cvm: MockCvm) -> None:
    page = client().DescribeImages(request("DescribeImages", Limit=5))
    assert page.TotalCount == cvm.service.describe_images(ALICE, "ap-guangzhou").total_count
    assert len(page.ImageSet) == 5 and page.ImageSet[0].ImageType == "PUBLIC_IMAGE"
    image_id = golden(cvm)
    by_id = client().DescribeImages(request("DescribeImages", ImageIds=[image_id]))
    assert [i.ImageId for i in by_id.ImageSet] == [image_id]
    assert by_id.ImageSet[0].ImageType == "PRIVATE_IMAGE"
    typed = models.Filter()
    typed.Name, typed.Values = "platform", ["windows", "debian"]
    found = client().DescribeImages(request("DescribeImages", Filters=[typed], Limit=100))
    assert {i.Platform for i in found.ImageSet} == {"Windows", "Debian"}
    both = request("DescribeImages", ImageIds=[image_id], Filters=[typed])
    refused(
        "InvalidParameter.InvalidParameterCoexistImageIdsFilters",
        lambda: client().DescribeImages(both),
    )
    refused(
        "InvalidParameterValue.InvalidParameterValueLimit",
        lambda: client().DescribeImages(request("DescribeImages", Limit=101)),
    )
    unknown = models.Filter()
    unknown.Name, unknown.Values = "instance-type", ["S5.MEDIUM2"]
    refused(
        "InvalidFilter",
        lambda: client().DescribeImages(request("DescribeImages", Filters=[unknown])),
    )
    many = models.Filter()
    many.Name, many.Values = "image-name", ["a", "b", "c", "d", "e", "f"]
    refused(
        "InvalidFilterValue.LimitExceeded",
        lambda: client().DescribeImages(request("DescribeImages", Filters=[many])),
    )
    refused(
        "InvalidImageId.Malformed",
        lambda: client().DescribeImages(request("DescribeImages", ImageIds=["img-1"])),
    )
    refused(
        "InvalidRegion.NotFound",
        lambda: client("ap-moon").DescribeImages(request("DescribeImages")),
    )


def test_run_and_describe_instances(cvm: MockCvm) -> None:
    run = client().RunInstances(
        request(
            "RunInstances",
            Placement=placement("ap-guangzhou"),
            ImageId=ubuntu(cvm),
            InstanceCount=2,
        )
    )
    assert len(run.InstanceIdSet) == 2
    described = client().DescribeInstances(
        request("DescribeInstances", InstanceIds=run.InstanceIdSet)
    )
    assert described.TotalCount == 2 and described.InstanceSet[0].ImageId == ubuntu(cvm)
    refused(
        "InvalidImageId.NotFound",  # an image of another region
        lambda: client().RunInstances(
            request(
                "RunInstances", Placement=placement("ap-guangzhou"), ImageId=ubuntu(cvm, "ap-tokyo")
            )
        ),
    )
    refused("MissingParameter", lambda: client().RunInstances(request("RunInstances")))


def test_create_import_and_quota(cvm: MockCvm) -> None:
    quota = client().DescribeImageQuota(request("DescribeImageQuota"))
    assert quota.ImageNumQuota == 500  # the newest profile: see test_profiles.py
    first = golden(cvm, "web-golden-001")
    refused("InvalidImageName.Duplicate", lambda: golden(cvm, "web-golden-001"))
    imported = client().ImportImage(
        request(
            "ImportImage",
            ImageName="erp",
            ImageUrl=URL,
            OsType="CentOS",
            OsVersion="7",
            Architecture="x86_64",
        )
    )
    assert imported.ImageId != first
    refused(
        "InvalidParameterValue.ISOMustImportByForce",
        lambda: client().ImportImage(
            request(
                "ImportImage",
                ImageName="iso",
                ImageUrl=URL.replace("qcow2", "iso"),
                OsType="CentOS",
                OsVersion="7",
                Architecture="x86_64",
            )
        ),
    )
    refused(
        "InvalidImageOsType.Unsupported",
        lambda: client().ImportImage(
            request(
                "ImportImage",
                ImageName="os2",
                ImageUrl=URL,
                OsType="OS/2",
                OsVersion="4",
                Architecture="x86_64",
            )
        ),
    )
    refused(
        "InvalidInstanceId.NotFound",
        lambda: client().CreateImage(
            request("CreateImage", InstanceId="ins-00000000", ImageName="ghost")
        ),
    )


def test_sync_images(cvm: MockCvm) -> None:
    image_id = golden(cvm)
    quiet = client().SyncImages(
        request("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"])
    )
    assert quiet.ImageSet == []  # the provider lists copies only when asked
    loud = client().SyncImages(
        request(
            "SyncImages",
            ImageIds=[image_id],
            DestinationRegions=["ap-seoul", "eu-frankfurt"],
            ImageSetRequired=True,
        )
    )
    assert [(c.Region, c.ImageId.startswith("img-")) for c in loud.ImageSet] == [
        ("ap-seoul", True),
        ("eu-frankfurt", True),
    ]
    refused(
        "InvalidParameterValue.InvalidRegion",
        lambda: client().SyncImages(
            request("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-guangzhou"])
        ),
    )
    refused(
        "InvalidParameterValue.LimitExceeded",
        lambda: client().SyncImages(
            request("SyncImages", ImageIds=[image_id, image_id], DestinationRegions=["ap-tokyo"])
        ),
    )
    dry = client().SyncImages(
        request("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-mumbai"], DryRun=True)
    )
    assert dry.RequestId and dry.ImageSet == []
    assert cvm.service.image_quota(ALICE, "ap-mumbai").used == 0  # the dry run changed nothing


def test_share_permissions_and_modify(cvm: MockCvm) -> None:
    image_id = golden(cvm)
    share = request(
        "ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE"
    )
    client().ModifyImageSharePermission(share)
    refused(
        "FailedOperation.AccountAlreadyExists", lambda: client().ModifyImageSharePermission(share)
    )
    refused(
        "FailedOperation.AccountIsYourSelf",
        lambda: client().ModifyImageSharePermission(
            request(
                "ModifyImageSharePermission",
                ImageId=image_id,
                AccountIds=[ALICE],
                Permission="SHARE",
            )
        ),
    )
    permissions = client().DescribeImageSharePermission(
        request("DescribeImageSharePermission", ImageId=image_id)
    )
    assert [p.AccountId for p in permissions.SharePermissionSet] == [BOB]
    # Bob, acting through his own credential, sees it shared and may not rename it.
    as_bob = client(secret_id="AKIDbob")
    seen = as_bob.DescribeImages(request("DescribeImages", ImageIds=[image_id]))
    assert seen.ImageSet[0].ImageType == "SHARED_IMAGE"
    refused(
        "UnsupportedOperation.SharedImageModifyUnsupported",
        lambda: as_bob.ModifyImageAttribute(
            request("ModifyImageAttribute", ImageId=image_id, ImageName="bobs")
        ),
    )
    refused(
        "UnauthorizedOperation.ImageNotBelongToAccount",
        lambda: as_bob.DescribeImageSharePermission(
            request("DescribeImageSharePermission", ImageId=image_id)
        ),
    )
    client().ModifyImageAttribute(
        request("ModifyImageAttribute", ImageId=image_id, ImageDescription="v2")
    )
    assert cvm.service.get_image(ALICE, image_id).description == "v2"
    client().ModifyImageSharePermission(
        request(
            "ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="CANCEL"
        )
    )
    refused(
        "InvalidImageId.NotFound",
        lambda: as_bob.ModifyImageAttribute(  # gone for Bob
            request("ModifyImageAttribute", ImageId=image_id, ImageName="x")
        ),
    )
    refused(
        "InvalidParameterValue",
        lambda: client().ModifyImageSharePermission(
            request(
                "ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="MAYBE"
            )
        ),
    )


def test_delete_images(cvm: MockCvm) -> None:
    image_id = golden(cvm)
    client().ModifyImageSharePermission(
        request(
            "ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="SHARE"
        )
    )
    delete = request("DeleteImages", ImageIds=[image_id])
    refused("InvalidImageId.InShared", lambda: client().DeleteImages(delete))
    refused(
        "InvalidParameterValue.InvalidImageIdIsShared",
        lambda: client(secret_id="AKIDbob").DeleteImages(delete),
    )
    client().ModifyImageSharePermission(
        request(
            "ModifyImageSharePermission", ImageId=image_id, AccountIds=[BOB], Permission="CANCEL"
        )
    )
    assert (
        client().DeleteImages(request("DeleteImages", ImageIds=[image_id], DryRun=True)).RequestId
    )
    assert cvm.service.get_image(ALICE, image_id).id == image_id
    client().DeleteImages(delete)
    refused("InvalidImageId.NotFound", lambda: client().DeleteImages(delete))


def test_unmodelled_actions_say_so(cvm: MockCvm) -> None:
    error = refused(
        "UnsupportedOperation", lambda: client().DescribeRegions(models.DescribeRegionsRequest())
    )
    assert "not modelled by imagecatalog" in error.message


def test_the_mock_is_a_decorator_and_restores_the_client() -> None:
    original = cvm_client.CvmClient._call

    @mock_cvm(public_catalog=False)
    def count_images() -> int:
        return int(client().DescribeImages(request("DescribeImages")).TotalCount)

    assert count_images() == 0
    assert cvm_client.CvmClient._call is original
    service = CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "arranged").build()
    with mock_cvm(service) as cvm:
        assert cvm.service is service
        page = client().DescribeImages(request("DescribeImages", Limit=100))
        assert "arranged" in [i.ImageName for i in page.ImageSet]
    assert cvm_client.CvmClient._call is original


# The application, tested the way its authors would -----------------------------------


def test_promote_copies_shares_and_cleans_up(cvm: MockCvm) -> None:
    old = [golden(cvm, f"web-golden-00{n}") for n in range(1, 4)]
    client().ModifyImageSharePermission(
        request(  # an old image still in use by Carol
            "ModifyImageSharePermission", ImageId=old[0], AccountIds=[CAROL], Permission="SHARE"
        )
    )
    newest = golden(cvm, "web-golden-004")
    result = promote(
        "AKIDalice",
        "ap-guangzhou",
        newest,
        regions=["ap-singapore", "ap-tokyo"],
        accounts=[BOB],
        keep=2,
    )
    assert set(result.copies) == {"ap-singapore", "ap-tokyo"}
    assert result.deleted == old[:2]
    service = cvm.service
    for region, copy_id in result.copies.items():
        assert service.get_image(BOB, copy_id).region.id == region  # shared there
    assert [p.account.id for p in service.share_permissions(ALICE, newest)] == [BOB]
    left = service.describe_images(ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"]).items
    assert [image.name for image in left] == ["web-golden-003", "web-golden-004"]


def test_promote_reports_a_full_quota() -> None:
    service = ImageService(public_catalog=True)
    with mock_cvm(service) as cvm:
        newest = golden(cvm)
        tokyo = service.describe_images(ALICE, "ap-tokyo", name="Ubuntu Server 22.04").items[0]
        instance = service.launch_instance(ALICE, tokyo.id)
        for number in range(10):
            service.create_image(ALICE, instance.id, name=f"tokyo-{number}")
        with pytest.raises(PromotionError, match="image quota full"):
            promote("AKIDalice", "ap-guangzhou", newest, regions=["ap-tokyo"], accounts=[BOB])


def test_promote_reports_the_share_limit() -> None:
    service = ImageService(limits=Limits(accounts_per_shared_image=2), public_catalog=True)
    for account in (BOB, CAROL, "100000000004"):
        service.register_account(account)
    with mock_cvm(service) as cvm:
        newest = golden(cvm)
        with pytest.raises(PromotionError, match="too many accounts"):
            promote(
                "AKIDalice",
                "ap-guangzhou",
                newest,
                regions=["ap-tokyo"],
                accounts=[BOB, CAROL, "100000000004"],
            )
