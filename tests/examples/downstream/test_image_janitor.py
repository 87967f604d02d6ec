"""The janitor's tests, written as a downstream project would write them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from image_janitor import stale_images, tidy

from imagecatalog import CatalogStore, Image, ImageService, InMemoryImageRepository
from imagecatalog.testing import AccountFactory, CatalogBuilder
from imagecatalog.testing import strategies as ic
from imagecatalog.testing.contract import RepositoryContract

ALICE, BOB = "100000000001", "100000000002"


def test_fixtures_come_from_the_plugin(
    image_service: ImageService, image_public_catalog: ImageService
) -> None:
    assert list(image_service.contents().images) == []
    assert (
        image_public_catalog.describe_images(
            AccountFactory()(image_public_catalog), "ap-tokyo", name="TencentOS Server 4"
        ).total_count
        == 2
    )  # x86_64 and ARM


def test_tidy_keeps_the_newest_and_the_shared(image_catalog_builder: CatalogBuilder) -> None:
    builder = image_catalog_builder.accounts(ALICE, BOB)
    builder.custom_image(ALICE, "ap-guangzhou", "web-0", shared_with=[BOB])  # the oldest
    for build in range(1, 5):
        builder.custom_image(ALICE, "ap-guangzhou", f"web-{build}")
    service = builder.build()

    assert tidy(service, ALICE, "ap-guangzhou") == 2
    left = service.describe_images(ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"]).items
    assert sorted(image.name for image in left) == ["web-0", "web-3", "web-4"]


def test_tidy_touches_only_the_callers_images(
    image_public_catalog: ImageService, image_account_factory: AccountFactory
) -> None:
    public_catalog = image_public_catalog
    alice, bob = image_account_factory(public_catalog), image_account_factory(public_catalog)
    ubuntu = public_catalog.describe_images(alice, "ap-seoul", platform="Ubuntu").items[0]
    instance = public_catalog.launch_instance(bob, ubuntu.id)
    for build in range(3):
        public_catalog.create_image(bob, instance.id, name=f"api-{build}")
    assert tidy(public_catalog, alice.id, "ap-seoul") == 0
    assert public_catalog.image_quota(bob, "ap-seoul").used == 3


@given(ic.catalogs(accounts=2, regions=["ap-guangzhou"], instant=True))
def test_tidy_never_breaks_a_rule(service: ImageService) -> None:
    for account in ic.account_ids_of(service):
        before = service.image_quota(account, "ap-guangzhou").used
        removed = tidy(service, account, "ap-guangzhou", keep=1)
        assert service.image_quota(account, "ap-guangzhou").used == before - removed


@given(st.lists(ic.image_names(), min_size=1, max_size=5))
def test_stale_images_of_an_empty_account(names: list[str]) -> None:
    service = CatalogBuilder().accounts(ALICE).build()
    assert stale_images(service, ALICE, "ap-guangzhou") == []


class AuditedRepository(InMemoryImageRepository):
    """This project's own store: the in-memory one, with an audit trail of writes."""

    def __init__(self) -> None:
        super().__init__()
        self.audit: list[str] = []

    def add_image(self, image: Image) -> None:
        self.audit.append(f"add {image.id}")
        super().add_image(image)

    def remove_image(self, image_id: str) -> None:
        self.audit.append(f"remove {image_id}")
        super().remove_image(image_id)


class TestAuditedRepository(RepositoryContract):
    """Our store proves it behaves like imagecatalog's own."""

    def make_repository(self) -> CatalogStore:
        return AuditedRepository()
