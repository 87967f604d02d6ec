"""What a cold review of the redesign found, each with the test that failed before the fix.

Values of the wrong type kept out of the catalog, the SDK fake as strict as the live API,
the read side checking its store, rule functions of 0.1.0 still callable as then,
receivers' views never stale, mocks stopped in any order, stores sharing an engine,
times at the edge of the range, and smaller promises of the API.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import cvm_client, models

from imagecatalog import (
    Account,
    AccountProfile,
    Architecture,
    CatalogContents,
    ErrorCode,
    Image,
    ImageKind,
    ImageOrigin,
    ImagePage,
    ImageQuery,
    ImageService,
    ImageState,
    InMemoryImageRepository,
    InvalidParameterError,
    OsType,
    Region,
    SharePermission,
    SnapshotError,
)
from imagecatalog.lifecycle import check_launchable, check_name_free
from imagecatalog.query import ImageGroup
from imagecatalog.serialization import describe_images_response
from imagecatalog.sharing import check_share
from imagecatalog.snapshot import dump, restore
from imagecatalog.sql import SqlImageRepository
from imagecatalog.tencentcloud import mock_cvm
from imagecatalog.testing import CatalogBuilder, catalog_state, expect_refusal
from tests.legacy_store import LegacyStore

ALICE, BOB = "100000000001", "100000000002"
GUANGZHOU = Region.of("ap-guangzhou")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
URL = "https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"


def public(**changes: Any) -> Image:
    image = Image(
        id="img-aaaaaaaa",
        name="CentOS 7.9 64bit",
        region=GUANGZHOU,
        owner=None,
        os_type=OsType.LINUX,
        platform="CentOS",
        os_name="CentOS 7.9 64bit",
        architecture=Architecture.X86_64,
        size_gb=20,
        state=ImageState.NORMAL,
        origin=ImageOrigin.OFFICIAL,
        created_at=NOW,
    )
    return attrs.evolve(image, **changes)


# Values of the wrong type --------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"region": "ap-guangzhou"},
        {"os_type": "Linux"},
        {"state": "NORMAL"},
        {"software": [1, 2]},
        {"platform": "x" * 65},
        {"os_name": "CentOS\x00"},
    ],
    ids=["region as text", "enum as text", "state as text", "software", "long", "NUL"],
)
def test_a_public_image_of_the_wrong_types_is_refused_and_changes_nothing(
    changes: dict[str, Any],
) -> None:
    """add_public_images checks every field of a ready-made image (0.2's first cut
    stored the image before reading its region, and broke the catalog)."""
    service = ImageService()
    bad = public(**changes)
    expect_refusal(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER,
        lambda: service.provider.add_public_images([bad]),
    )
    assert service.contents().images == ()


def test_a_catalog_with_a_licence_given_as_text_is_not_loaded() -> None:
    """provider.load refuses an image whose fields are text, not members: the rules
    compare members, and a shared "BYOL" image would slip through them."""
    owner, receiver = Account.of(ALICE), Account.of(BOB)
    shared = attrs.evolve(
        public(),
        owner=owner,
        origin=ImageOrigin.CREATE_IMAGE,
        licence_type="BYOL",  # type: ignore[arg-type]  # the mistake under test
        shared_with=[SharePermission(account=receiver, shared_at=NOW)],
    )
    contents = CatalogContents(
        accounts=[AccountProfile(account=owner), AccountProfile(account=receiver)],
        images=[shared],
        instances=[],
    )
    service = ImageService()
    with pytest.raises(SnapshotError, match="licence_type 'BYOL' is not a LicenceType"):
        service.provider.load(contents)
    assert service.contents().images == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [("description", "bad \ud800 text"), ("description", "nul \x00"), ("name", "a\ud800b")],
)
def test_text_no_store_can_keep_is_refused_everywhere(field: str, value: str) -> None:
    """NUL and lone surrogates are refused by the value's own checks, so the SQL
    stores never meet them (they raised raw encoding and DataError before)."""
    service = CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web").build()
    image = service.describe_images(ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"])[0]
    expect_refusal(
        service,
        InvalidParameterError,
        ErrorCode.INVALID_PARAMETER_VALUE,
        lambda: service.modify_image(ALICE, image, **{field: value}),  # type: ignore[arg-type]
    )


def test_a_size_no_store_can_keep_is_refused() -> None:
    service = CatalogBuilder().accounts(ALICE).build()
    with pytest.raises(InvalidParameterError, match="size_gb must be from 1 to 2147483647"):
        service.import_image(
            ALICE,
            "ap-guangzhou",
            name="huge",
            image_url=URL,
            platform="CentOS",
            os_version="7",
            architecture="x86_64",
            size_gb=10**30,
        )


# The SDK fake is as strict as the live API ------------------------------------------------


def client() -> Any:
    return cvm_client.CvmClient(credential.Credential("id", "key"), "ap-guangzhou")


def sdk_code(call: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as raised:
        call()
    return str(raised.value.code)


@pytest.mark.parametrize("value", ["custom", "private_image", "PUBLIC", "shared"])
def test_describe_images_takes_the_image_types_as_the_api_spells_them(value: str) -> None:
    """DescribeImages' image-type filter takes PRIVATE_IMAGE, PUBLIC_IMAGE and
    SHARED_IMAGE (the SDK's DescribeImagesRequest.Filters docstring); the service's own
    leniency (member names in any case) must not leak into the fake."""
    with mock_cvm():
        request = models.DescribeImagesRequest()
        wrong = models.Filter()
        wrong.Name, wrong.Values = "image-type", [value]
        request.Filters = [wrong]
        assert sdk_code(lambda: client().DescribeImages(request)) == "InvalidFilter"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("Architecture", "X86_64", "InvalidParameterValue"),
        ("Architecture", "arm64", "InvalidParameterValue"),
        ("LicenseType", "byol", "InvalidParameterValue.InvalidLicenseType"),
        ("BootMode", "uefi", "InvalidParameterValue.InvalidBootMode"),
    ],
)
def test_import_image_takes_values_as_the_api_spells_them(
    field: str, value: str, code: str
) -> None:
    """ImportImageRequest's docstrings list Architecture x86_64, i386, arm_64;
    LicenseType TencentCloud, BYOL; BootMode `Legacy BIOS`, `UEFI`: other spellings
    are refused, as the live API refuses them."""
    with mock_cvm(public_catalog=False):
        request = models.ImportImageRequest()
        request.ImageName, request.ImageUrl = "erp", URL
        request.OsType, request.OsVersion, request.Architecture = "CentOS", "7", "x86_64"
        setattr(request, field, value)
        assert sdk_code(lambda: client().ImportImage(request)) == code


# The read side checks what a store lists ---------------------------------------------------


def test_a_page_made_by_hand_renders_as_in_0_1_0() -> None:
    """describe_images_response of a page without kinds works out each kind."""
    builder = CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web")
    page = ImagePage(items=[builder.image("web")], total_count=1)
    body = describe_images_response(page, ALICE)["Response"]
    assert body["ImageSet"][0]["ImageType"] == "PRIVATE_IMAGE"


# Rule functions as 0.1.0 called them ----------------------------------------------------


def test_rule_functions_take_what_0_1_0_passed_them() -> None:
    """check_launchable with a trust list of IDs, check_share with an is_registered
    that takes IDs, check_name_free with a region ID: 0.1.0's api.md documented them."""
    builder = CatalogBuilder().accounts(ALICE, BOB)
    builder.custom_image(ALICE, "ap-guangzhou", "web", shared_with=[BOB])
    web = builder.build().get_image(ALICE, builder.image("web"))
    check_launchable(web, ImageKind.SHARED, Account.of(BOB), frozenset({ALICE}))
    known = {ALICE, BOB, "100000000003"}
    check_share(
        web,
        Account.of(ALICE),
        [Account.of("100000000003")],
        limit=50,
        is_registered=lambda account_id: account_id in known,
    )
    check_name_free("db", Account.of(ALICE), "ap-guangzhou", None)
    with pytest.raises(Exception, match="already has a custom image named 'web'"):
        check_name_free("web", Account.of(ALICE), "ap-guangzhou", web)


# Receivers' views ------------------------------------------------------------------------


def test_a_redated_share_refreshes_the_receivers_view() -> None:
    """A store's replace_image that changes only one receiver's share (its time)
    shows the new share in that receiver's listing, as get_image does."""
    store = InMemoryImageRepository()
    service = ImageService(store)
    builder = CatalogBuilder(store=store).accounts(ALICE, BOB, "100000000003")
    builder.custom_image(ALICE, "ap-guangzhou", "web", shared_with=[BOB, "100000000003"])
    web = builder.image("web")
    later = datetime(2030, 1, 1, tzinfo=UTC)
    redated = web.with_shares([attrs.evolve(share, shared_at=later) for share in web.shared_with])
    with store.transaction():
        store.replace_image(redated)
    (listed,) = service.describe_images(BOB, "ap-guangzhou", kinds=["SHARED_IMAGE"])
    assert [share.shared_at for share in listed.shared_with] == [later]
    assert listed == service.get_image(BOB, web)


# Mocks stopped in any order ------------------------------------------------------------


def test_mocks_stopped_out_of_order_restore_the_sdk() -> None:
    """a.start(); b.start(); a.stop(); b.stop(): b answers while active, and the SDK is
    itself again at the end (0.2's first cut left a's fake installed for good)."""
    from tencentcloud.common.abstract_client import AbstractClient

    first, second = mock_cvm(public_catalog=False), mock_cvm()
    first.start()
    second.start()
    first.stop()
    request = models.DescribeImagesRequest()
    assert client().DescribeImages(request).TotalCount > 0  # the second answers
    second.start()
    second.stop()
    second.stop()
    assert "_call" not in vars(cvm_client.CvmClient)
    for name in ("_call", "_call_with_region_breaker"):  # the SDK's own again
        assert getattr(AbstractClient, name).__module__ == "tencentcloud.common.abstract_client"


# Stores, engines and units of work -------------------------------------------------


def test_two_stores_on_one_sqlite_engine() -> None:
    """Several SqlImageRepository on one engine share its setup and its lock."""
    engine = sa.create_engine(
        "sqlite://", poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
    )
    first, second = SqlImageRepository(engine), SqlImageRepository(engine)
    ImageService(first).register_account(ALICE)
    assert [p.id for p in ImageService(second).contents().accounts] == [ALICE]
    engine.dispose()


def test_a_unit_of_work_can_be_used_again() -> None:
    service = ImageService()
    work = service.unit_of_work()
    with work:
        service.register_account(ALICE)
    with work:
        service.register_account(BOB)
        work.rollback()
    with work:
        service.register_account("100000000003")
    assert [p.id for p in service.contents().accounts] == [ALICE, "100000000003"]


def test_a_query_and_paging_keywords_together_are_refused() -> None:
    """describe_images takes a query or keywords: limit=20 beside a query is refused
    too, though it is the default."""
    service = CatalogBuilder().accounts(ALICE).build()
    extras: list[dict[str, Any]] = [{"limit": 20}, {"offset": 0}]
    for extra in extras:
        with pytest.raises(InvalidParameterError, match="an ImageQuery or filter keywords"):
            service.describe_images(ALICE, "ap-guangzhou", ImageQuery(limit=5), **extra)


def test_a_group_names_an_account_exactly_when_it_should() -> None:
    with pytest.raises(InvalidParameterError, match="needs an account"):
        ImageGroup(ImageKind.CUSTOM, GUANGZHOU)
    with pytest.raises(InvalidParameterError, match="has no account"):
        ImageGroup(ImageKind.PUBLIC, GUANGZHOU, Account.of(ALICE))


def test_a_0_1_0_store_pages_past_the_end() -> None:
    """The adapter of a 0.1.0 store answers a page past the end with no image (it
    raised a raw ValueError for a huge offset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        service = ImageService(LegacyStore())  # type: ignore[arg-type]  # 0.1.0's protocol
    service.register_account(ALICE)
    page = service.describe_images(ALICE, "ap-guangzhou", offset=10**30)
    assert (list(page), page.total_count) == ([], 0)


# Times -----------------------------------------------------------------------------------


def test_a_snapshot_time_utc_cannot_hold_is_refused() -> None:
    """A time at the edge of the range that UTC cannot hold is a SnapshotError, not a
    catalog that breaks later."""
    data = dump(CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web").build())
    data["images"][-1]["created_at"] = "9999-12-31T23:59:59-14:00"
    with pytest.raises(SnapshotError, match="out of range in UTC"):
        restore(json.loads(json.dumps(data)))


def test_loaded_times_are_utc_and_the_same_instants() -> None:
    data = dump(CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web").build())
    data["images"][-1]["created_at"] = "2026-11-27T17:00:00.500000+08:00"
    loaded = restore(data)
    image = next(i for i in loaded.contents().images if i.owner is not None)
    assert image.created_at == datetime(2026, 11, 27, 9, 0, 0, 500000, tzinfo=UTC)
    assert image.created_at.tzinfo is UTC
    assert catalog_state(loaded) == catalog_state(restore(dump(loaded)))
