"""imagecatalog.testing: builders, account factory, fixtures, strategies."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagecatalog import (
    Architecture,
    ErrorCode,
    Image,
    ImageKind,
    ImageNotFoundError,
    ImageOrigin,
    ImageService,
    ImageState,
    QuotaExceededError,
    Region,
)
from imagecatalog.public_catalog import builtin_public_images
from imagecatalog.testing import (
    AccountFactory,
    CatalogBuilder,
    expect_refusal,
    public_catalog,
)
from imagecatalog.testing import strategies as ic
from tests.support import ALICE, BOB, CAROL

# Builders -----------------------------------------------------------------------------


def test_builder_arranges_a_catalog_through_the_service() -> None:
    builder = (
        CatalogBuilder()
        .custom_image(ALICE, "ap-guangzhou", "web-golden", shared_with=[BOB])
        .custom_image(ALICE, "ap-guangzhou", "db-primary")
        .imported_image(CAROL, "ap-tokyo", "legacy-erp")
        .copied(ALICE, "web-golden", "ap-guangzhou", "ap-singapore")
    )
    service = builder.build()
    web = builder.image("web-golden", region="ap-guangzhou")
    assert web.kind_for(BOB) is ImageKind.SHARED
    assert [share.account.id for share in web.shared_with] == [BOB]
    assert builder.image("legacy-erp").origin is ImageOrigin.EXTERNAL_IMPORT
    copy = builder.image("web-golden", owner=ALICE, region="ap-singapore")
    assert copy.copied_from == web.id
    assert service.image_quota(ALICE, "ap-guangzhou").used == 2
    # The public Ubuntu image the custom images were made from was published once.
    assert service.describe_images(ALICE, "ap-guangzhou", kinds=["PUBLIC_IMAGE"]).total_count == 1


def test_builder_applies_the_real_rules() -> None:
    builder = CatalogBuilder()
    for number in range(10):
        builder.custom_image(ALICE, "ap-guangzhou", f"build-{number}")
    with pytest.raises(QuotaExceededError):
        builder.custom_image(ALICE, "ap-guangzhou", "build-10")
    with pytest.raises(LookupError, match="0 images are called 'build-10'"):
        builder.image("build-10")
    with pytest.raises(LookupError, match="no public 'Plan9'"):
        builder.public_image("ap-guangzhou", platform="Plan9")


def test_builder_lookup_needs_one_match() -> None:
    builder = CatalogBuilder().custom_image(ALICE, "ap-guangzhou", "web")
    builder.custom_image(BOB, "ap-guangzhou", "web")
    with pytest.raises(LookupError, match="2 images are called 'web'"):
        builder.image("web")
    assert builder.image("web", owner=BOB).owner is not None


def test_builder_of_a_step_by_step_service_completes_its_own_images() -> None:
    builder = CatalogBuilder(instant=False).custom_image(ALICE, "ap-guangzhou", "web")
    assert builder.image("web").state is ImageState.NORMAL
    service = builder.build()
    instance = service.launch_instance(ALICE, builder.image("web").id)
    assert service.create_image(ALICE, instance.id, name="next").state is ImageState.CREATING


def test_builder_arm_public_images() -> None:
    builder = CatalogBuilder().custom_image(
        ALICE, "ap-guangzhou", "arm-web", architecture="arm", platform="TencentOS"
    )
    assert builder.image("arm-web").architecture is Architecture.ARM64


def test_public_catalog_is_the_built_in_one() -> None:
    service = public_catalog()
    viewer = AccountFactory()(service)
    builtin = builtin_public_images()
    for region in Region.all():
        page = service.describe_images(viewer, region, limit=100)
        assert {image.id for image in page.items} == {
            image.id for image in builtin if image.region == region
        }


def test_account_factory_skips_taken_ids() -> None:
    service = ImageService()
    service.register_account("100000000001")
    make = AccountFactory()
    assert make(service).id == "100000000002"
    assert make(service, "200000000000").id == "200000000000"
    assert make(service).id == "100000000003"


# expect_refusal -----------------------------------------------------------------------


def test_expect_refusal_checks_class_code_and_state() -> None:
    service = CatalogBuilder().accounts(ALICE).build()
    error = expect_refusal(
        service,
        ImageNotFoundError,
        ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
        lambda: service.get_image(ALICE, "img-00000000"),
    )
    assert error.image_id == "img-00000000"
    with pytest.raises(AssertionError, match="got code"):
        expect_refusal(
            service,
            ImageNotFoundError,
            ErrorCode.OVER_QUOTA,
            lambda: service.get_image(ALICE, "img-00000000"),
        )
    with pytest.raises(AssertionError, match="the call succeeded"):
        expect_refusal(
            service, ImageNotFoundError, "x", lambda: service.image_quota(ALICE, "ap-tokyo")
        )

    def changes_then_fails() -> None:
        service.register_account(BOB)
        service.get_image(ALICE, "img-00000000")

    with pytest.raises(AssertionError, match="changed the catalog"):
        expect_refusal(
            service, ImageNotFoundError, ErrorCode.INVALID_IMAGE_ID_NOT_FOUND, changes_then_fails
        )


# The pytest plugin's fixtures -----------------------------------------------------------


def test_plugin_fixtures(
    image_service: ImageService,
    image_public_catalog: ImageService,
    image_account_factory: AccountFactory,
    image_catalog_builder: CatalogBuilder,
) -> None:
    assert list(image_service.contents().images) == []
    assert image_service.contents().accounts == ()
    alice = image_account_factory(image_public_catalog)
    assert image_public_catalog.describe_images(alice, "sa-saopaulo", limit=100).total_count == len(
        [image for image in builtin_public_images() if image.region.id == "sa-saopaulo"]
    )
    built = image_catalog_builder.custom_image(alice, "ap-guangzhou", "web").build()
    assert built is not image_public_catalog
    assert built.image_quota(alice, "ap-guangzhou").used == 1


def test_importing_imagecatalog_and_its_plugin_does_not_import_hypothesis() -> None:
    code = (
        "import sys, imagecatalog, imagecatalog.testing, imagecatalog.testing.pytest_plugin;"
        "assert 'hypothesis' not in sys.modules, 'hypothesis was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# Strategies -----------------------------------------------------------------------------


@given(ic.images(ImageKind.PUBLIC), ic.account_ids())
def test_public_images_are_public_to_everyone(image: Image, viewer: str) -> None:
    """A drawn public image is PUBLIC to any viewer."""
    assert image.owner is None and image.kind_for(viewer) is ImageKind.PUBLIC


@given(ic.images(ImageKind.CUSTOM), ic.account_ids())
def test_custom_images_are_private_to_their_owner(image: Image, viewer: str) -> None:
    """A drawn custom image is CUSTOM to its owner and invisible to anyone else."""
    assert image.owner is not None and image.kind_for(image.owner) is ImageKind.CUSTOM
    if viewer != image.owner.id:
        assert image.kind_for(viewer) is None


@given(ic.images(ImageKind.SHARED))
def test_shared_images_are_shared_to_their_receivers(image: Image) -> None:
    """A drawn shared image is SHARED to each receiver, and NORMAL."""
    assert image.shared_with and image.state is ImageState.NORMAL
    for share in image.shared_with:
        assert image.kind_for(share.account) is ImageKind.SHARED


@given(ic.malformed_account_ids())
def test_malformed_account_ids_are_refused(account_id: str) -> None:
    """Strings that are not 1 to 20 digits are not account IDs."""
    with pytest.raises(ValueError, match="account ID"):
        ImageService().register_account(account_id)


@given(st.data(), ic.catalogs(accounts=2, regions=["ap-guangzhou"], max_operations=10))
def test_catalog_knobs(data: st.DataObject, service: ImageService) -> None:
    """catalogs() honours its knobs: the accounts and the regions in play."""
    assert ic.account_ids_of(service) == ["100000000001", "100000000002"]
    assert {image.region.id for image in service.contents().images} == {"ap-guangzhou"}
    data.draw(ic.operations(service))  # an operation can be drawn from any catalog


@given(ic.catalogs(accounts=3, regions=["ap-tokyo"], images=6, shares=4, max_operations=0))
def test_catalog_image_and_share_knobs(service: ImageService) -> None:
    """catalogs(images=, shares=) makes that many images (within the quota) and shares."""
    custom = [image for image in service.contents().images if image.owner is not None]
    assert len(custom) == 6  # 3 accounts x quota 3 leaves room for 6
    assert sum(1 for image in custom if image.shared_with) == 4
    assert all(image.state is ImageState.NORMAL for image in custom)
