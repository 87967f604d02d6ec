"""Provider JSON: the Image object, envelopes, and the official SDK's model."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tencentcloud.cvm.v20170312 import models

from imagecatalog import (
    Account,
    ErrorCode,
    Image,
    ImageKind,
    ImageNotFoundError,
    ImageOrigin,
    ImageState,
    InvalidParameterError,
    QuotaExceededError,
    Region,
)
from imagecatalog.serialization import (
    API_IMAGE_KEYS,
    describe_images_response,
    error_response,
    from_api,
    share_permissions_response,
    to_api,
)
from imagecatalog.testing import CatalogBuilder
from imagecatalog.testing import strategies as ic

FIXTURES = Path(__file__).parent / "fixtures"
ALICE, BOB, CAROL = "100000000001", "100000000002", "100000000003"

#: The 20 keys of the provider's Image object (reference §2), in the SDK's order.
PROVIDER_KEYS = (
    "ImageId", "OsName", "ImageType", "CreatedTime", "ImageName", "ImageDescription",
    "ImageSize", "Architecture", "ImageState", "Platform", "ImageCreator", "ImageSource",
    "SyncPercent", "IsSupportCloudinit", "SnapshotSet", "Tags", "LicenseType", "ImageFamily",
    "ImageDeprecated", "CdcCacheStatus",
)  # fmt: skip


@pytest.fixture
def catalog() -> CatalogBuilder:
    return (
        CatalogBuilder()
        .public_image("ap-guangzhou", platform="Windows")
        .custom_image(ALICE, "ap-guangzhou", "web-golden", shared_with=[BOB])
    )


def api_view(image: Image) -> tuple[object, ...]:
    """What the provider's Image object carries of an image."""
    return (
        image.id, image.name, image.description, image.region, image.owner, image.os_type,
        image.platform, image.os_name, image.architecture, image.size_gb, image.state,
        image.origin, image.created_at.replace(microsecond=0), image.licence_type,
    )  # fmt: skip


def test_to_api_gives_all_twenty_keys_as_the_viewer_sees_the_image(
    catalog: CatalogBuilder,
) -> None:
    web = catalog.image("web-golden")
    owner_view, receiver_view = to_api(web, ALICE), to_api(web, BOB)
    assert tuple(owner_view) == PROVIDER_KEYS == API_IMAGE_KEYS
    assert (owner_view["ImageType"], receiver_view["ImageType"]) == (
        "PRIVATE_IMAGE",
        "SHARED_IMAGE",
    )
    assert owner_view["ImageCreator"] == ALICE
    assert owner_view["CreatedTime"] == "2026-11-27T09:00:03Z"
    assert owner_view["SyncPercent"] is None
    assert owner_view["SnapshotSet"] == [
        {"SnapshotId": owner_view["SnapshotSet"][0]["SnapshotId"], "DiskUsage": "SYSTEM_DISK",
         "DiskSize": 20}
    ]  # fmt: skip
    windows = catalog.image("Windows Server 2022 DataCenter 64bit")
    public = to_api(windows, CAROL)
    assert (public["ImageType"], public["ImageCreator"], public["ImageSource"]) == (
        "PUBLIC_IMAGE",
        "tencent",
        "OFFICIAL",
    )
    assert (public["SnapshotSet"], public["IsSupportCloudinit"]) == ([], False)
    with pytest.raises(ImageNotFoundError):
        to_api(web, CAROL)  # Carol cannot see it


def test_sync_percent_is_set_only_while_copying() -> None:
    builder = CatalogBuilder(instant=False).custom_image(ALICE, "ap-guangzhou", "web")
    service = builder.build()
    (copy,) = service.copy_image(ALICE, builder.image("web").id, ["ap-tokyo"])
    assert to_api(copy, ALICE)["SyncPercent"] == 0
    assert to_api(service.provider.complete(copy.id), ALICE)["SyncPercent"] is None


def test_round_trip_keeps_what_the_api_carries(catalog: CatalogBuilder) -> None:
    web = catalog.image("web-golden")
    windows = catalog.image("Windows Server 2022 DataCenter 64bit")
    for image, viewer in ((web, ALICE), (web, BOB), (windows, CAROL)):
        back = from_api(to_api(image, viewer), region=image.region, viewer=viewer)
        assert api_view(back) == api_view(image)
        assert back.kind_for(viewer) is image.kind_for(viewer)
        assert to_api(back, viewer) == to_api(image, viewer)


def test_what_the_provider_hands_back_loads_though_no_caller_may_create_it(
    catalog: CatalogBuilder,
) -> None:
    """Reading is not creating: the provider's own system tags (``qcs:project``)
    and family names outside the rule this fake gives callers load from the
    API's JSON, and survive the trip back."""
    data = to_api(catalog.image("web-golden"), ALICE)
    data["Tags"] = [{"Key": "qcs:project", "Value": "0"}, {"Key": "team", "Value": "web"}]
    data["ImageFamily"] = "家族 daily"
    back = from_api(data, region="ap-guangzhou", viewer=ALICE)
    assert [(tag.key, tag.value) for tag in back.tags] == [("qcs:project", "0"), ("team", "web")]
    assert back.family == "家族 daily"
    assert to_api(back, ALICE)["Tags"] == data["Tags"]
    service = CatalogBuilder().accounts(ALICE).build()
    with pytest.raises(InvalidParameterError) as reserved:
        service.import_image(
            ALICE,
            "ap-guangzhou",
            name="erp",
            image_url="https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2",
            platform="Ubuntu",
            os_version="22.04",
            architecture="x86_64",
            tags=[("qcs:project", "0")],
        )
    assert reserved.value.code == ErrorCode.TAG_KEY_RESERVED
    with pytest.raises(InvalidParameterError) as family:
        service.import_image(
            ALICE,
            "ap-guangzhou",
            name="erp",
            image_url="https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2",
            platform="Ubuntu",
            os_version="22.04",
            architecture="x86_64",
            family="家族 daily",
        )
    assert family.value.code == ErrorCode.INVALID_IMAGE_FAMILY


@given(ic.images())
def test_any_image_survives_the_trip(image: Image) -> None:
    """Every image reads back from its provider JSON with every field the API carries."""
    viewer = image.owner.id if image.owner else "100000000009"
    back = from_api(to_api(image, viewer), region=image.region, viewer=viewer)
    assert api_view(back) == api_view(image)


def test_the_verbatim_example_response_loads() -> None:
    """Reference §8a, as the provider's docs print it."""
    response = json.loads((FIXTURES / "describe_images_8a.json").read_text(encoding="utf-8"))
    (data,) = response["Response"]["ImageSet"]
    image = from_api(data, region="ap-guangzhou", viewer="3205597606")
    assert (image.id, image.name, image.os_name, image.size_gb) == (
        "img-qlzp4oea",
        "test-image",
        "CentOS 7.4 64位",
        20,
    )
    assert image.owner == Account(id="3205597606") and image.kind_for("3205597606") is (
        ImageKind.CUSTOM
    )
    assert (image.state, image.origin, image.region) == (
        ImageState.NORMAL,
        ImageOrigin.CREATE_IMAGE,
        Region.of("ap-guangzhou"),
    )
    assert image.created_at.isoformat() == "2020-09-22T00:00:00+00:00"


def test_both_time_forms_and_unknown_keys(catalog: CatalogBuilder) -> None:
    data = to_api(catalog.image("web-golden"), ALICE)
    plus = dict(data, CreatedTime=data["CreatedTime"].replace("Z", "+00:00"), NewKey2030=[1])
    assert from_api(plus, region="ap-guangzhou") == from_api(data, region="ap-guangzhou")


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"ImageSize": "20"}, ["$.ImageSize"]),
        ({"ImageSize": True, "ImageName": 7}, ["$.ImageSize", "$.ImageName"]),
        ({"ImageState": "MELTING"}, ["$.ImageState"]),
        ({"ImageType": "MARKET_IMAGE"}, ["$.ImageType"]),
        ({"Architecture": "sparc"}, ["$.Architecture"]),
        ({"CreatedTime": "2020-09-22"}, ["$.CreatedTime"]),
        ({"CreatedTime": "yesterday"}, ["$.CreatedTime"]),
        ({"IsSupportCloudinit": "true"}, ["$.IsSupportCloudinit"]),
        ({"Tags": [{"Key": "env"}]}, ["$.Tags[0].Value"]),
        ({"SnapshotSet": [{"SnapshotId": 1, "DiskUsage": "SYSTEM_DISK", "DiskSize": 20}]},
         ["$.SnapshotSet[0].SnapshotId"]),
        ({"ImageCreator": "tencent"}, ["$.ImageCreator"]),
    ],
)  # fmt: skip
def test_bad_fields_are_refused_with_their_json_path(
    catalog: CatalogBuilder, changes: dict[str, Any], paths: list[str]
) -> None:
    data = dict(to_api(catalog.image("web-golden"), ALICE), **changes)
    with pytest.raises(InvalidParameterError) as raised:
        from_api(data, region="ap-guangzhou")
    for path in paths:
        assert path in raised.value.message


def test_missing_keys_and_bad_values_are_refused(catalog: CatalogBuilder) -> None:
    data = to_api(catalog.image("web-golden"), ALICE)
    del data["ImageId"]
    with pytest.raises(InvalidParameterError, match=r"required field missing @ \$\.ImageId"):
        from_api(data, region="ap-guangzhou")
    too_long = dict(to_api(catalog.image("web-golden"), ALICE), ImageName="x" * 61)
    with pytest.raises(InvalidParameterError) as raised:
        from_api(too_long, region="ap-guangzhou")
    assert raised.value.code == ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE
    with pytest.raises(InvalidParameterError, match="not a known region"):
        from_api(to_api(catalog.image("web-golden"), ALICE), region="ap-moon")


# Envelopes --------------------------------------------------------------------------


def test_envelopes(catalog: CatalogBuilder) -> None:
    service = catalog.build()
    page = service.describe_images(BOB, "ap-guangzhou")
    response = describe_images_response(page, BOB, request_id="req-1")["Response"]
    assert response["TotalCount"] == page.total_count == 3
    assert [item["ImageType"] for item in response["ImageSet"]] == [
        "PUBLIC_IMAGE",  # Windows
        "PUBLIC_IMAGE",  # Ubuntu, which the builder published to make web-golden
        "SHARED_IMAGE",
    ]
    assert response["RequestId"] == "req-1"
    web = catalog.image("web-golden")
    shares = share_permissions_response(service.share_permissions(ALICE, web.id))["Response"]
    assert shares["SharePermissionSet"] == [
        {"CreatedTime": "2026-11-27T09:00:04Z", "AccountId": BOB}
    ]
    assert len(shares["RequestId"]) == 36  # a UUID when none is given
    error = QuotaExceededError(
        account=Account.of(ALICE), region=Region.of("ap-guangzhou"), limit=10, used=10
    )
    assert error_response(error, request_id="req-2") == {
        "Response": {
            "Error": {"Code": "ImageQuotaLimitExceeded", "Message": error.message},
            "RequestId": "req-2",
        }
    }


# The official SDK's model -------------------------------------------------------------


def sdk_image(data: dict[str, Any]) -> Any:
    """Load *data* into the SDK's Image model, failing on its unknown-field warning."""
    model = models.Image()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model._deserialize(data)
    return model


def test_the_sdk_accepts_every_key_we_emit(catalog: CatalogBuilder) -> None:
    windows = catalog.image("Windows Server 2022 DataCenter 64bit")
    for image, viewer in ((catalog.image("web-golden"), BOB), (windows, ALICE)):
        data = to_api(image, viewer)
        model = sdk_image(data)
        assert (model.ImageId, model.ImageType, model.ImageCreator, model.ImageSize) == (
            data["ImageId"],
            data["ImageType"],
            data["ImageCreator"],
            data["ImageSize"],
        )
        assert [s.DiskSize for s in model.SnapshotSet or []] == [
            s["DiskSize"] for s in data["SnapshotSet"]
        ]
        # And back: the SDK's JSON reads into the same image.
        again = json.loads(model.to_json_string())
        assert api_view(from_api(again, region=image.region, viewer=viewer)) == api_view(image)


def test_the_sdk_reads_our_envelopes(catalog: CatalogBuilder) -> None:
    service = catalog.build()
    page = service.describe_images(BOB, "ap-guangzhou")
    body = describe_images_response(page, BOB)["Response"]
    response = models.DescribeImagesResponse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response._deserialize(body)
    assert response.TotalCount == 3 and [i.ImageId for i in response.ImageSet] == [
        image.id for image in page.items
    ]
    shares = share_permissions_response(
        service.share_permissions(ALICE, catalog.image("web-golden").id)
    )["Response"]
    permissions = models.DescribeImageSharePermissionResponse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        permissions._deserialize(shares)
    assert [p.AccountId for p in permissions.SharePermissionSet] == [BOB]


@given(st.data())
def test_sdk_round_trip_for_any_image(data: st.DataObject) -> None:
    """Whatever image we emit, the SDK model takes it whole and gives it back unchanged."""
    image = data.draw(ic.images())
    viewer = image.owner.id if image.owner else "100000000009"
    emitted = to_api(image, viewer)
    assert json.loads(sdk_image(emitted).to_json_string()) == emitted
