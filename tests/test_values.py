"""Value types: regions, accounts, images, limits, and the errors."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import imagecatalog
from imagecatalog import (
    Account,
    AccountAlreadyExistsError,
    AccountNotFoundError,
    Architecture,
    DuplicateImageNameError,
    ErrorCode,
    Image,
    ImageCatalogError,
    ImageKind,
    ImageNotFoundError,
    ImageOrigin,
    ImagePage,
    ImageState,
    InstanceNotFoundError,
    InvalidImageStateError,
    InvalidParameterError,
    Limits,
    OsType,
    PermissionDeniedError,
    QuotaExceededError,
    Region,
    ShareLimitExceededError,
    SharePermission,
    SharingError,
    SnapshotError,
    StoreError,
    UnsupportedOperationError,
    UntrustedImageError,
)
from imagecatalog.exceptions import SchemaVersionError
from imagecatalog.lifecycle import Operation

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def custom_image(**changes: Any) -> Image:
    image = Image(
        id="img-9qabwvbn",
        name="web-golden-2026-11",
        region=Region.of("ap-guangzhou"),
        owner=Account(id="100000000001"),
        os_type=OsType.LINUX,
        platform="Ubuntu",
        os_name="Ubuntu Server 22.04 LTS 64bit",
        architecture=Architecture.X86_64,
        size_gb=20,
        state=ImageState.NORMAL,
        origin=ImageOrigin.CREATE_IMAGE,
        created_at=NOW,
    )
    return attrs.evolve(image, **changes)


# Regions ----------------------------------------------------------------------------

MAINLAND = [
    "ap-guangzhou",
    "ap-shanghai",
    "ap-nanjing",
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
]
OUTSIDE = [
    "ap-hongkong",
    "ap-singapore",
    "ap-bangkok",
    "ap-jakarta",
    "ap-mumbai",
    "ap-seoul",
    "ap-tokyo",
    "na-siliconvalley",
    "na-ashburn",
    "na-toronto",
    "eu-frankfurt",
    "sa-saopaulo",
]


def test_known_regions_and_mainland_china() -> None:
    assert [region.id for region in Region.all()] == MAINLAND + OUTSIDE
    assert all(Region.of(region_id).mainland_china for region_id in MAINLAND)
    assert not any(Region.of(region_id).mainland_china for region_id in OUTSIDE)
    assert Region.of(Region.of("ap-tokyo")) is Region.of("ap-tokyo")
    assert str(Region.of("ap-tokyo")) == "ap-tokyo"


@pytest.mark.parametrize("bad", ["eu-moscow", "AP-GUANGZHOU", "", "ap-guangzhou-open"])
def test_unknown_regions_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        Region.of(bad)
    assert raised.value.code == "InvalidRegion.NotFound"
    with pytest.raises(InvalidParameterError):
        Region.of(Region(id=bad, name="nowhere", mainland_china=False))


# Images -----------------------------------------------------------------------------


def test_architecture_bits_and_spellings() -> None:
    assert [a.bits for a in Architecture] == [64, 32, 64]
    assert Architecture.parse("arm_64") is Architecture.parse("arm") is Architecture.ARM64
    assert [kind.value for kind in ImageKind] == ["PUBLIC_IMAGE", "PRIVATE_IMAGE", "SHARED_IMAGE"]


def test_kind_is_relative_to_the_viewer() -> None:
    bob = Account(id="100000000002")
    image = custom_image(
        shared_with=[
            SharePermission(account=bob, shared_at=NOW),
            SharePermission(account=Account(id="100000000003"), shared_at=NOW),
        ],
    )
    assert image.kind_for("100000000001") is ImageKind.CUSTOM
    assert image.kind_for(bob) is ImageKind.SHARED
    assert image.kind_for("100000000009") is None
    public = custom_image(owner=None, origin=ImageOrigin.OFFICIAL)
    assert public.kind_for("100000000009") is ImageKind.PUBLIC
    # Views: the owner sees all shares, a receiver only its own, others none.
    assert image.as_seen_by("100000000001") is image
    assert [s.account for s in image.as_seen_by(bob).shared_with] == [bob]
    assert image.as_seen_by("100000000009").shared_with == ()


def test_images_are_immutable_and_validated() -> None:
    image = custom_image()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        image.name = "other"  # type: ignore[misc]
    cases: list[tuple[dict[str, Any], ErrorCode]] = [
        ({"id": "img-1"}, ErrorCode.INVALID_IMAGE_ID_MALFORMED),
        ({"name": ""}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"description": "d" * 257}, ErrorCode.INVALID_PARAMETER_VALUE_TOO_LARGE),
        ({"size_gb": 0}, ErrorCode.INVALID_PARAMETER_VALUE),
        ({"created_at": datetime(2026, 1, 1)}, ErrorCode.INVALID_PARAMETER),
        ({"owner": None}, ErrorCode.INVALID_PARAMETER_VALUE),  # custom image without owner
        ({"origin": ImageOrigin.OFFICIAL}, ErrorCode.INVALID_PARAMETER_VALUE),
    ]
    for changes, code in cases:
        with pytest.raises(InvalidParameterError) as raised:
            custom_image(**changes)
        assert raised.value.code == code, changes
    with pytest.raises(InvalidParameterError):
        custom_image(
            owner=None,
            origin=ImageOrigin.OFFICIAL,
            shared_with=[SharePermission(account=Account(id="1"), shared_at=NOW)],
        )


def test_limits_are_values() -> None:
    limits = Limits().with_quota("100000000001", 25)
    assert limits.image_quota_for(Account(id="100000000001")) == 25
    assert limits.image_quota_for("100000000002") == 10
    assert limits == Limits(quota_overrides={"100000000001": 25})
    assert Limits() == Limits()  # the override does not leak into the default
    with pytest.raises(InvalidParameterError):
        Limits(custom_images_per_region=-1)
    with pytest.raises(InvalidParameterError):
        Limits(quota_overrides={"not-an-id": 3})


# Errors -----------------------------------------------------------------------------

ALICE_ACCOUNT, BOB_ACCOUNT = Account(id="100000000001"), Account(id="100000000002")
GUANGZHOU = Region.of("ap-guangzhou")

ERRORS: list[ImageCatalogError] = [
    InvalidParameterError(
        "bad", parameter="limit", value=0, code=ErrorCode.INVALID_PARAMETER_VALUE_LIMIT
    ),
    AccountAlreadyExistsError(ALICE_ACCOUNT),
    SnapshotError("its version 'x' is not a positive integer", value="x"),
    ImageNotFoundError("img-9qabwvbn", account=ALICE_ACCOUNT, region=GUANGZHOU),
    AccountNotFoundError(Account(id="100000000099")),
    InstanceNotFoundError("ins-00000000", account=ALICE_ACCOUNT),
    PermissionDeniedError(
        image_id="img-9qabwvbn",
        account=BOB_ACCOUNT,
        operation=Operation.MODIFY,
        kind=ImageKind.SHARED,
        code=ErrorCode.SHARED_IMAGE_MODIFY_UNSUPPORTED,
    ),
    InvalidImageStateError(
        image_id="img-9qabwvbn",
        state=ImageState.CREATING,
        operation=Operation.SHARE,
        allowed=[ImageState.NORMAL],
    ),
    QuotaExceededError(account=ALICE_ACCOUNT, region=GUANGZHOU, limit=10, used=10),
    ShareLimitExceededError(image_id="img-9qabwvbn", limit=50, current=49, requested=2),
    SharingError(
        "no",
        image_id="img-9qabwvbn",
        accounts=[BOB_ACCOUNT],
        code=ErrorCode.ACCOUNT_ALREADY_EXISTS,
    ),
    DuplicateImageNameError(
        name="web", account=ALICE_ACCOUNT, region=GUANGZHOU, existing_image_id="img-9qabwvbn"
    ),
    UntrustedImageError(image_id="img-9qabwvbn", owner=ALICE_ACCOUNT, account=BOB_ACCOUNT),
    UnsupportedOperationError("the action DescribeRegions", way_out="use the real API"),
    StoreError("the database went away"),
    SchemaVersionError("schema 3 is newer than 2", found=3, expected=2),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_errors_pickle_with_class_code_message_and_data(error: ImageCatalogError) -> None:
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert (restored.code, restored.message, str(restored)) == (
        error.code,
        error.message,
        str(error),
    )
    assert vars(restored) == vars(error)
    assert restored.code == ErrorCode(error.code).value


def test_errors_subclass_the_fitting_builtin() -> None:
    assert issubclass(InvalidParameterError, ValueError)
    for lookup in (ImageNotFoundError, AccountNotFoundError, InstanceNotFoundError):
        assert issubclass(lookup, LookupError)
    assert issubclass(PermissionDeniedError, PermissionError)
    for compatible in (AccountAlreadyExistsError, SnapshotError, SchemaVersionError):
        assert issubclass(compatible, InvalidParameterError)  # what 0.1.0 raised
    assert issubclass(SchemaVersionError, StoreError)
    assert all(isinstance(error, ImageCatalogError) for error in ERRORS)
    assert "ImageQuotaLimitExceeded" in repr(ERRORS[8])


def test_error_data_are_values_and_messages_are_built_from_them() -> None:
    """Attributes are the catalog's values; the message names them, the rule and the
    way out; enum-valued data still compare equal to the provider's strings."""
    state_error = ERRORS[7]
    assert isinstance(state_error, InvalidImageStateError)
    assert state_error.state is ImageState.CREATING and state_error.state == "CREATING"
    assert state_error.operation is Operation.SHARE and state_error.allowed == ("NORMAL",)
    assert "cannot share image img-9qabwvbn: it is CREATING" in state_error.message
    quota = ERRORS[8]
    assert isinstance(quota, QuotaExceededError)
    assert quota.account == ALICE_ACCOUNT and quota.region is GUANGZHOU
    assert "already has 10 of 10 custom images in ap-guangzhou" in quota.message
    denied = ERRORS[6]
    assert isinstance(denied, PermissionDeniedError)
    assert denied.kind is ImageKind.SHARED and denied.operation is Operation.MODIFY
    assert "launch-only" in denied.message and denied.account == BOB_ACCOUNT
    missing = ERRORS[3]
    assert "to account 100000000001 in ap-guangzhou" in missing.message


def test_public_api_is_curated() -> None:
    assert sorted(imagecatalog.__all__) == sorted(set(imagecatalog.__all__))
    for name in imagecatalog.__all__:
        assert getattr(imagecatalog, name) is not None


def test_a_page_made_by_hand_needs_no_kinds() -> None:
    """ImagePage(items=..., total_count=...) as 0.1.0 made it still works; only
    kind_of needs the kinds the service fills in."""
    image = custom_image()
    page = ImagePage(items=[image], total_count=1)
    assert list(page) == [image] and page[0] is image and len(page) == 1
    with pytest.raises(LookupError, match="without kinds"):
        page.kind_of(image)
    with pytest.raises(InvalidParameterError, match="one kind per image"):
        ImagePage(items=[image], total_count=1, kinds=[ImageKind.CUSTOM, ImageKind.SHARED])
    assert ImagePage(items=[image], total_count=1, kinds=[ImageKind.CUSTOM]).kind_of(image) == (
        ImageKind.CUSTOM
    )
