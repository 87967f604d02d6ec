"""Code written for 0.1.0 keeps working for a release, with a DeprecationWarning.

Release 0.2 redesigned the store protocol and moved some public names.  Each old
name keeps a shim for one release (removed in 0.3) that warns at the caller's
line, naming the old name and the new way, and still does what it did in 0.1.0.
One test per shim (``grep -rn "deprecated(\\|replaced_argument(" src/`` lists
them); the old store methods run on both built-in stores.  A renamed keyword
(``repository=``) given together with its new name is refused, everywhere.
ImageService's 0.1.0 keywords (``image_id=``, ``instance_id=``, ...) are simply
its parameters' names again: no shim, no warning.

Then a third-party store written for 0.1.0: :class:`tests.legacy_store.LegacyStore`
is 0.1.0's in-memory store, verbatim.  The 0.2 service adapts it (with a warning)
and every operation, the refusals, nested units of work (savepoints the old
store lacks, kept by the adapter) and the whole catalog machine work on it.

0.2's annotations (``ImageService(store: CatalogStore)``, ``catalog_machine``,
``restore``) do not admit a 0.1.0 store, so each place this module hands one over
says ``type: ignore[arg-type]``: a user's code type-checked against 0.1.0 needs
the same.  A promise 0.2 broke would be marked ``xfail(strict=True)``, its reason
naming the bug; none is today.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

import imagecatalog
import imagecatalog.repository
from imagecatalog import (
    Account,
    AccountProfile,
    ErrorCode,
    Image,
    ImageKind,
    ImageService,
    ImageState,
    InMemoryImageRepository,
    Instance,
    InvalidParameterError,
    Limits,
    Region,
    StoreError,
    importing,
)
from imagecatalog.exceptions import (
    DuplicateImageNameError,
    InvalidImageStateError,
    QuotaExceededError,
    SharingError,
    UntrustedImageError,
)
from imagecatalog.pricing import copy_charges, storage_charges
from imagecatalog.public_catalog import builtin_public_images
from imagecatalog.snapshot import dump, load, restore, save
from imagecatalog.sql import SqlImageRepository
from imagecatalog.testing import (
    CatalogBuilder,
    catalog_state,
    contract,
    expect_refusal,
    stepping_clock,
)
from imagecatalog.testing.machine import CatalogMachine, catalog_machine
from imagecatalog.testing.strategies import new_catalog
from tests.legacy_store import LegacyStore

ALICE = "100000000001"
BOB = "100000000002"
CAROL = "100000000003"
DAVE = "100000000004"  # registered by some tests only
STRANGER = "100000000099"  # well formed, never registered
GUANGZHOU = "ap-guangzhou"
SINGAPORE = "ap-singapore"

#: The methods of 0.1.0's ImageRepository protocol.
OLD_PROTOCOL = (
    "transaction",
    "add_account",
    "has_account",
    "accounts",
    "trusted_sharers",
    "set_trusted_sharers",
    "get_image",
    "add_image",
    "replace_image",
    "remove_image",
    "images",
    "public_images",
    "custom_images",
    "images_shared_with",
    "count_public_images",
    "count_custom_images",
    "count_images_shared_with",
    "find_custom_image",
    "get_instance",
    "add_instance",
    "instances",
)

BuiltInStore = InMemoryImageRepository | SqlImageRepository

#: The IDs of the built-in public image catalog, sorted.
BUILTIN_IDS = sorted(image.id for image in builtin_public_images())


# Helpers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def deprecation(old: str, new: str, *, at_caller: bool = True) -> Iterator[None]:
    """Expect a DeprecationWarning that names *old* and the new way *new*, says it
    goes in 0.3 and (unless not *at_caller*) points at the line in this file that
    made the old call, so that Python's default filters show it to a script."""
    pattern = rf"^{re.escape(old)} is deprecated and will be removed in imagecatalog 0\.3; "
    pattern += re.escape(new)
    with pytest.warns(DeprecationWarning, match=pattern) as record:
        yield
    if at_caller:
        places = {w.filename for w in record if re.search(pattern, str(w.message))}
        assert places == {__file__}, f"the warning points at {places}, not at the caller"


LEGACY_WARNING = (
    "a store written to 0.1.0's ImageRepository protocol (LegacyStore)",
    "implement imagecatalog.CatalogStore",
)


def legacy_service(store: LegacyStore | None = None, **options: Any) -> ImageService:
    """``ImageService(store, **options)`` on a 0.1.0 store, asserting its warning."""
    with deprecation(*LEGACY_WARNING):
        old = LegacyStore() if store is None else store
        return ImageService(old, **options)  # type: ignore[arg-type]  # wants a CatalogStore


def publish(service: ImageService, region: str, platform: str = "Ubuntu") -> Image:
    """A public image of *platform* in *region*, published the 0.2 way."""
    windows = platform == "Windows"
    return service.provider.publish_public_image(
        region,
        name=f"{platform} Server 64bit",
        os_type="Windows" if windows else "Linux",
        platform=platform,
        os_name=f"{platform} Server 64bit",
        architecture="x86_64",
        size_gb=50 if windows else 20,
    )


@dataclass(frozen=True)
class Arranged:
    """A small catalog: Alice, Bob and Carol; public Ubuntu images in Guangzhou
    and Singapore; Alice's ``web-golden`` (shared with Bob and Carol) and
    ``db-primary`` (unshared) in Guangzhou, made from her instance there."""

    service: ImageService
    public: Image
    instance: Instance
    web: Image
    db: Image


def arrange(service: ImageService) -> Arranged:
    """Arrange :class:`Arranged` on *service*, through the 0.2 API only."""
    for account in (ALICE, BOB, CAROL):
        service.register_account(account)
    public = publish(service, GUANGZHOU)
    publish(service, SINGAPORE)
    instance = service.launch_instance(ALICE, public)
    web = service.create_image(ALICE, instance, name="web-golden")
    db = service.create_image(ALICE, instance, name="db-primary")
    web = service.share_image(ALICE, web, [BOB, CAROL])
    return Arranged(service=service, public=public, instance=instance, web=web, db=db)


def arrange_slowly(service: ImageService) -> Arranged:
    """Alice's two images in CREATING, on a service with ``instant=False``."""
    service.register_account(ALICE)
    public = publish(service, GUANGZHOU)
    instance = service.launch_instance(ALICE, public)
    web = service.create_image(ALICE, instance, name="web-golden")
    db = service.create_image(ALICE, instance, name="db-primary")
    return Arranged(service=service, public=public, instance=instance, web=web, db=db)


def new_service(store: BuiltInStore | None = None, **options: Any) -> ImageService:
    """A service with repeatable IDs and times."""
    return ImageService(store, clock=stepping_clock(), id_seed=0, **options)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[BuiltInStore]:
    """Each built-in store, empty (the SQLite one is closed afterwards)."""
    if request.param == "memory":
        yield InMemoryImageRepository()
        return
    sql = SqlImageRepository("sqlite://")
    try:
        yield sql
    finally:
        sql.close()


@pytest.fixture
def arranged(store: BuiltInStore) -> Arranged:
    """:class:`Arranged` on each built-in store."""
    return arrange(new_service(store))


def ids(images: Iterable[Image]) -> list[str]:
    """The IDs of *images*, in their order."""
    return [image.id for image in images]


# The 0.1.0 store methods on the built-in stores -----------------------------------------


def test_store_has_account(store: BuiltInStore, arranged: Arranged) -> None:
    """store.has_account() of 0.1.0 keeps working for a release."""
    with deprecation("store.has_account()", "use store.get_account(id) is not None"):
        known = store.has_account(ALICE)
    with deprecation("store.has_account()", "use store.get_account(id) is not None"):
        unknown = store.has_account(STRANGER)
    assert (known, unknown) == (True, False)


def test_store_accounts(store: BuiltInStore, arranged: Arranged) -> None:
    """store.accounts() of 0.1.0 keeps working for a release: Accounts, in the order added."""
    with deprecation("store.accounts()", "use store.all_accounts() or ImageService.contents()"):
        accounts = list(store.accounts())
    assert accounts == [Account.of(ALICE), Account.of(BOB), Account.of(CAROL)]


def test_store_images(store: BuiltInStore, arranged: Arranged) -> None:
    """store.images() of 0.1.0 keeps working for a release: every stored image."""
    with deprecation("store.images()", "use store.all_images() or ImageService.contents()"):
        images = list(store.images())
    assert sorted(ids(images)) == sorted(ids(arranged.service.contents().images))
    assert arranged.web in images  # as stored: with both of its shares


def test_store_instances(store: BuiltInStore, arranged: Arranged) -> None:
    """store.instances() of 0.1.0 keeps working for a release: every stored instance."""
    with deprecation("store.instances()", "use store.all_instances() or ImageService.contents()"):
        instances = list(store.instances())
    assert instances == [arranged.instance]


def test_store_set_trusted_sharers(store: BuiltInStore, arranged: Arranged) -> None:
    """store.set_trusted_sharers() of 0.1.0 keeps working for a release: it sets
    and removes a trust list, which the service then enforces."""
    service = arranged.service
    with deprecation("store.set_trusted_sharers()", "use ImageService.set_trusted_sharers()"):
        store.set_trusted_sharers(BOB, frozenset({CAROL}))
    assert service.trusted_sharers(BOB) == frozenset({Account.of(CAROL)})
    expect_refusal(
        service,
        UntrustedImageError,
        ErrorCode.UNTRUSTED_SHARED_IMAGE,
        lambda: service.launch_instance(BOB, arranged.web),
    )
    with deprecation("store.set_trusted_sharers()", "use ImageService.set_trusted_sharers()"):
        store.set_trusted_sharers(BOB, None)
    assert service.trusted_sharers(BOB) is None
    assert service.launch_instance(BOB, arranged.web).image_id == arranged.web.id


def test_store_trusted_sharers(store: BuiltInStore, arranged: Arranged) -> None:
    """store.trusted_sharers() of 0.1.0 keeps working for a release: IDs, or None
    without a trust list; it round-trips with store.set_trusted_sharers()."""
    arranged.service.set_trusted_sharers(BOB, [ALICE, CAROL])
    with deprecation("store.trusted_sharers()", "use ImageService.trusted_sharers()"):
        assert store.trusted_sharers(BOB) == frozenset({ALICE, CAROL})
    with deprecation("store.trusted_sharers()", "use ImageService.trusted_sharers()"):
        assert store.trusted_sharers(CAROL) is None
    with deprecation("store.set_trusted_sharers()", "use ImageService.set_trusted_sharers()"):
        store.set_trusted_sharers(CAROL, frozenset())
    with deprecation("store.trusted_sharers()", "use ImageService.trusted_sharers()"):
        assert store.trusted_sharers(CAROL) == frozenset()


def test_store_public_images(store: BuiltInStore, arranged: Arranged) -> None:
    """store.public_images() of 0.1.0 keeps working for a release, with start and stop."""
    later = publish(arranged.service, GUANGZHOU, "Windows")
    region = Region.of(GUANGZHOU)
    with deprecation("store.public_images()", "use ImageService.describe_images()"):
        assert ids(store.public_images(region)) == [arranged.public.id, later.id]
    with deprecation("store.public_images()", "use ImageService.describe_images()"):
        assert ids(store.public_images(region, 1)) == [later.id]
    with deprecation("store.public_images()", "use ImageService.describe_images()"):
        assert ids(store.public_images(region, 0, 1)) == [arranged.public.id]


def test_store_custom_images(store: BuiltInStore, arranged: Arranged) -> None:
    """store.custom_images() of 0.1.0 keeps working for a release: an owner's
    images in a region, in listing order, with start and stop."""
    guangzhou, singapore = Region.of(GUANGZHOU), Region.of(SINGAPORE)
    alice = Account.of(ALICE)
    with deprecation("store.custom_images()", "use ImageService.describe_images()"):
        assert list(store.custom_images(alice, guangzhou)) == [arranged.web, arranged.db]
    with deprecation("store.custom_images()", "use ImageService.describe_images()"):
        assert list(store.custom_images(alice, guangzhou, 1, 2)) == [arranged.db]
    with deprecation("store.custom_images()", "use ImageService.describe_images()"):
        assert list(store.custom_images(alice, singapore)) == []


def test_store_images_shared_with(store: BuiltInStore, arranged: Arranged) -> None:
    """store.images_shared_with() of 0.1.0 keeps working for a release: each
    image as the account sees it, with only its own share."""
    region = Region.of(GUANGZHOU)
    with deprecation("store.images_shared_with()", "use ImageService.describe_images()"):
        seen_by_bob = list(store.images_shared_with(Account.of(BOB), region))
    with deprecation("store.images_shared_with()", "use ImageService.describe_images()"):
        seen_by_carol = list(store.images_shared_with(Account.of(CAROL), region, 0, 1))
    with deprecation("store.images_shared_with()", "use ImageService.describe_images()"):
        past_the_end = list(store.images_shared_with(Account.of(CAROL), region, 1))
    assert ids(seen_by_bob) == ids(seen_by_carol) == [arranged.web.id]
    assert [share.account.id for share in seen_by_bob[0].shared_with] == [BOB]
    assert [share.account.id for share in seen_by_carol[0].shared_with] == [CAROL]
    assert seen_by_bob[0] == arranged.web.as_seen_by(BOB)
    assert past_the_end == []


def test_store_count_public_images(store: BuiltInStore, arranged: Arranged) -> None:
    """store.count_public_images() of 0.1.0 keeps working for a release."""
    publish(arranged.service, GUANGZHOU, "Windows")
    with deprecation("store.count_public_images()", "use ImageService.describe_images()"):
        assert store.count_public_images(Region.of(GUANGZHOU)) == 2
    with deprecation("store.count_public_images()", "use ImageService.describe_images()"):
        assert store.count_public_images(Region.of("eu-frankfurt")) == 0


def test_store_count_custom_images(store: BuiltInStore, arranged: Arranged) -> None:
    """store.count_custom_images() of 0.1.0 keeps working for a release: it counts
    an owner's images in a region."""
    guangzhou = Region.of(GUANGZHOU)
    with deprecation("store.count_custom_images()", "use ImageService.image_quota()"):
        assert store.count_custom_images(Account.of(ALICE), guangzhou) == 2
    with deprecation("store.count_custom_images()", "use ImageService.image_quota()"):
        assert store.count_custom_images(Account.of(BOB), guangzhou) == 0
    arranged.service.copy_image(ALICE, arranged.db, [SINGAPORE])
    with deprecation("store.count_custom_images()", "use ImageService.image_quota()"):
        assert store.count_custom_images(Account.of(ALICE), Region.of(SINGAPORE)) == 1


def test_store_count_images_shared_with(store: BuiltInStore, arranged: Arranged) -> None:
    """store.count_images_shared_with() of 0.1.0 keeps working for a release."""
    arranged.service.share_image(ALICE, arranged.db, [BOB])
    region = Region.of(GUANGZHOU)
    with deprecation("store.count_images_shared_with()", "use ImageService.describe_images()"):
        assert store.count_images_shared_with(Account.of(BOB), region) == 2
    with deprecation("store.count_images_shared_with()", "use ImageService.describe_images()"):
        assert store.count_images_shared_with(Account.of(CAROL), region) == 1
    with deprecation("store.count_images_shared_with()", "use ImageService.describe_images()"):
        assert store.count_images_shared_with(Account.of(ALICE), region) == 0


def test_store_add_account_with_an_account(store: BuiltInStore) -> None:
    """store.add_account(Account) of 0.1.0 keeps working for a release: the account
    is stored without a trust list, and the service sees it."""
    with deprecation("store.add_account(Account)", "pass an AccountProfile"):
        store.add_account(Account(id=DAVE))
    assert store.get_account(DAVE) == AccountProfile(account=Account.of(DAVE))
    assert new_service(store).image_quota(DAVE, GUANGZHOU).used == 0


# The service's moved names ---------------------------------------------------------------


def test_service_repository_keyword() -> None:
    """ImageService(repository=store) of 0.1.0 keeps working for a release: the
    service runs on that store."""
    store = InMemoryImageRepository()
    with deprecation("ImageService(repository=...)", "pass store="):
        service = ImageService(repository=store)
    assert service.store is store
    service.register_account(ALICE)
    assert store.get_account(ALICE) is not None


def test_service_repository_property(store: BuiltInStore, arranged: Arranged) -> None:
    """ImageService.repository of 0.1.0 keeps working for a release: it is the
    store, with 0.1.0's store methods."""
    service = arranged.service
    with deprecation("ImageService.repository", "use ImageService.store, or unit_of_work()"):
        repository = service.repository
    assert repository is service.store is store
    with deprecation("store.count_custom_images()", "use ImageService.image_quota()"):
        assert store.count_custom_images(Account.of(ALICE), Region.of(GUANGZHOU)) == 2


def test_service_publish_public_image() -> None:
    """ImageService.publish_public_image() of 0.1.0 keeps working for a release:
    keyword for keyword, it publishes a public image that every account sees."""
    service = new_service()
    service.register_account(ALICE)
    with deprecation(
        "ImageService.publish_public_image()", "use service.provider.publish_public_image()"
    ):
        image = service.publish_public_image(
            GUANGZHOU,
            name="Ubuntu Server 22.04 LTS 64bit",
            os_type="Linux",
            platform="Ubuntu",
            os_name="Ubuntu Server 22.04 LTS 64bit",
            architecture="x86_64",
            size_gb=20,
            software=["Python 3.11"],
        )
    assert image.is_public and image.state is ImageState.NORMAL
    assert image.software == ("Python 3.11",)
    page = service.describe_images(ALICE, GUANGZHOU)
    assert ids(page.items) == [image.id] and page.kinds == (ImageKind.PUBLIC,)


def test_service_add_public_images() -> None:
    """ImageService.add_public_images() of 0.1.0 keeps working for a release: all
    the given public images are added, and returned."""
    service = new_service()
    images = builtin_public_images()[:3]
    with deprecation(
        "ImageService.add_public_images()", "use service.provider.add_public_images()"
    ):
        added = service.add_public_images(images)
    assert added == images
    assert sorted(ids(service.contents().images)) == sorted(ids(images))


def test_service_complete() -> None:
    """ImageService.complete() of 0.1.0 keeps working for a release: the
    provider's work is done and the image is NORMAL."""
    service = new_service(instant=False)
    arranged = arrange_slowly(service)
    assert arranged.web.state is ImageState.CREATING
    with deprecation("ImageService.complete()", "use service.provider.complete()"):
        finished = service.complete(arranged.web.id)
    assert finished.state is ImageState.NORMAL
    assert service.get_image(ALICE, arranged.web).state is ImageState.NORMAL
    with deprecation("ImageService.complete()", "use service.provider.complete()"):
        finished = service.complete(image_id=arranged.db.id)  # 0.1.0's keyword
    assert finished.state is ImageState.NORMAL


def test_service_fail() -> None:
    """ImageService.fail() of 0.1.0 keeps working for a release: a created image
    becomes CREATEFAILED and a failed copy disappears (None)."""
    service = new_service(instant=False)
    arranged = arrange_slowly(service)
    with deprecation("ImageService.fail()", "use service.provider.fail()"):
        failed = service.fail(arranged.web.id)
    assert failed is not None and failed.state is ImageState.CREATEFAILED
    service.provider.complete(arranged.db)
    (copy,) = service.copy_image(ALICE, arranged.db, [SINGAPORE])
    with deprecation("ImageService.fail()", "use service.provider.fail()"):
        assert service.fail(image_id=copy.id) is None  # 0.1.0's keyword
    assert service.image_quota(ALICE, SINGAPORE).used == 0


def test_service_with_public_catalog() -> None:
    """ImageService.with_public_catalog() of 0.1.0 keeps working for a release: the
    service starts with the built-in public images, on the given store (also
    given by 0.1.0's keyword, repository=)."""
    store = InMemoryImageRepository()
    with deprecation(
        "ImageService.with_public_catalog()", "use ImageService(store, public_catalog=True)"
    ):
        service = ImageService.with_public_catalog(store, id_seed=0)
    assert service.store is store
    assert sorted(ids(service.contents().images)) == BUILTIN_IDS
    by_keyword = InMemoryImageRepository()
    with deprecation(
        "ImageService.with_public_catalog()", "use ImageService(store, public_catalog=True)"
    ):
        service = ImageService.with_public_catalog(repository=by_keyword)
    assert service.store is by_keyword
    assert sorted(ids(service.contents().images)) == BUILTIN_IDS
    with deprecation(
        "ImageService.with_public_catalog()", "use ImageService(store, public_catalog=True)"
    ):
        default = ImageService.with_public_catalog()
    assert sorted(ids(default.contents().images)) == BUILTIN_IDS


# Names that moved ------------------------------------------------------------------------


def assert_is_0_1_0_protocol(protocol: Any) -> None:
    """*protocol* is 0.1.0's ImageRepository: a Protocol with its methods, each
    with the parameters 0.1.0's in-memory store (LegacyStore) has."""
    assert getattr(protocol, "_is_protocol", False), f"{protocol!r} is not a Protocol"
    for name in OLD_PROTOCOL:
        expected = list(inspect.signature(getattr(LegacyStore, name)).parameters)
        assert list(inspect.signature(getattr(protocol, name)).parameters) == expected, name


def test_imagecatalog_image_repository() -> None:
    """imagecatalog.ImageRepository of 0.1.0 keeps working for a release: the old
    protocol, as an attribute and through ``from imagecatalog import``."""
    with deprecation("imagecatalog.ImageRepository", "write stores to imagecatalog.CatalogStore"):
        protocol = imagecatalog.ImageRepository
    assert_is_0_1_0_protocol(protocol)
    with deprecation("imagecatalog.ImageRepository", "write stores to imagecatalog.CatalogStore"):
        from imagecatalog import ImageRepository
    assert ImageRepository is protocol


def test_imagecatalog_repository_image_repository() -> None:
    """imagecatalog.repository.ImageRepository of 0.1.0 keeps working for a release."""
    with deprecation(
        "imagecatalog.repository.ImageRepository", "write stores to imagecatalog.CatalogStore"
    ):
        protocol = imagecatalog.repository.ImageRepository
    assert_is_0_1_0_protocol(protocol)
    with deprecation(
        "imagecatalog.repository.ImageRepository", "write stores to imagecatalog.CatalogStore"
    ):
        from imagecatalog.repository import ImageRepository
    assert ImageRepository is protocol


def test_unknown_module_attributes_still_raise() -> None:
    """The module ``__getattr__`` shims answer for ImageRepository only: another
    missing name is an AttributeError, without a warning."""
    with pytest.raises(AttributeError, match="NoSuchName"):
        _ = imagecatalog.NoSuchName
    with pytest.raises(AttributeError, match="NoSuchName"):
        _ = imagecatalog.repository.NoSuchName


def test_limits_seed() -> None:
    """Limits.seed() of 0.1.0 keeps working for a release: the default figures."""
    with deprecation("Limits.seed()", "use Limits(), which holds the same figures"):
        limits = Limits.seed()
    assert limits == Limits()
    assert (limits.custom_images_per_region, limits.accounts_per_shared_image) == (10, 50)


def test_importing_image_format() -> None:
    """importing.ImageFormat of 0.1.0 keeps working for a release (nothing kept the
    format check_image_url returned: it now returns the URL it checked)."""
    with deprecation(
        "imagecatalog.importing.ImageFormat", "check_image_url returns the URL it checked"
    ):
        image_format = importing.ImageFormat
    assert image_format("qcow2").name == "QCOW2"
    # 0.1.0's formats; 0.2 reads .img files too, as raw
    assert {member.value for member in image_format} == importing.IMAGE_FILE_EXTENSIONS - {"img"}
    url = "https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/web.qcow2"
    assert importing.check_image_url(url, force=False) == url


def test_pricing_copy_charges() -> None:
    """pricing.copy_charges() of 0.1.0 keeps working for a release: copies are
    free, as they were; the copy is billed as storage."""
    arranged = arrange(new_service())
    with deprecation("pricing.copy_charges()", "copies are free: use storage_charges(copy)"):
        charges = copy_charges(arranged.web, [SINGAPORE, "eu-frankfurt"])
    assert charges == ()
    (copy,) = arranged.service.copy_image(ALICE, arranged.db, [SINGAPORE])
    assert [(charge.region.id, charge.quantity) for charge in storage_charges(copy)] == [
        (SINGAPORE, arranged.db.size_gb)
    ]


def test_restore_repository_keyword(arranged: Arranged) -> None:
    """restore(data, repository=store) of 0.1.0 keeps working for a release: the
    snapshot is loaded into that store."""
    store = InMemoryImageRepository()
    with deprecation("restore(repository=...)", "pass store="):
        service = restore(dump(arranged.service), repository=store)
    assert service.store is store
    assert catalog_state(service) == catalog_state(arranged.service)


def test_load_repository_keyword(arranged: Arranged, tmp_path: Path) -> None:
    """load(path, repository=store) of 0.1.0 keeps working for a release: the
    saved catalog is loaded into that store."""
    path = tmp_path / "catalog.json"
    save(arranged.service, path)
    store = InMemoryImageRepository()
    with deprecation("load(repository=...)", "pass store="):
        service = load(path, repository=store)
    assert service.store is store
    assert catalog_state(service) == catalog_state(arranged.service)


def test_load_repository_warning_points_at_the_caller(tmp_path: Path) -> None:
    """The warning of load(path, repository=store) points at the caller's line (not
    at snapshot.py, where Python's default filters would hide it), so that a script
    written for 0.1.0 is told; and it comes once, naming load, not restore."""
    path = tmp_path / "catalog.json"
    save(new_service(), path)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        load(path, repository=InMemoryImageRepository())
    assert [(str(w.message).split(" is ")[0], w.filename) for w in record] == [
        ("load(repository=...)", __file__)
    ]


def test_catalog_builder_repository_keyword() -> None:
    """CatalogBuilder(repository=store) of 0.1.0 keeps working for a release: it
    builds on that store."""
    store = InMemoryImageRepository()
    with deprecation("CatalogBuilder(repository=...)", "pass store="):
        builder = CatalogBuilder(repository=store)
    service = builder.accounts(ALICE).custom_image(ALICE, GUANGZHOU, "web-golden").build()
    assert service.store is store
    assert service.image_quota(ALICE, GUANGZHOU).used == 1


def test_new_catalog_repository_keyword() -> None:
    """strategies.new_catalog(repository=store) of 0.1.0 keeps working for a
    release: the small catalog is made on that store."""
    store = InMemoryImageRepository()
    with deprecation("new_catalog(repository=...)", "pass store="):
        service = new_catalog(repository=store, accounts=2)
    assert service.store is store
    contents = service.contents()
    assert [profile.id for profile in contents.accounts] == [ALICE, BOB]
    assert len(contents.images) == 3 and all(image.is_public for image in contents.images)


#: Each place that renamed repository= to store=, called with both, as
#: ``call(store, old, saved)``: *saved* is the path of a saved, non-empty catalog.
BOTH_KEYWORDS: dict[
    str, Callable[[InMemoryImageRepository, InMemoryImageRepository, Path], object]
] = {
    "ImageService": lambda store, old, saved: ImageService(store, repository=old),
    "restore": lambda store, old, saved: restore(dump(load(saved)), store=store, repository=old),
    "load": lambda store, old, saved: load(saved, store=store, repository=old),
    "CatalogBuilder": lambda store, old, saved: CatalogBuilder(store=store, repository=old),
    "new_catalog": lambda store, old, saved: new_catalog(store=store, repository=old),
}


@pytest.mark.parametrize("where", BOTH_KEYWORDS)
def test_store_and_repository_together_are_refused(where: str, tmp_path: Path) -> None:
    """Giving both store= and its old name repository= (which 0.1.0 did not allow)
    is refused with InvalidParameter rather than guessed, alike in ImageService,
    restore, load, CatalogBuilder and new_catalog; it still warns about
    repository=, at the caller, and neither store is written to."""
    saved = tmp_path / "catalog.json"
    save(arrange(new_service()).service, saved)
    store, old = InMemoryImageRepository(), InMemoryImageRepository()
    with (
        deprecation(f"{where}(repository=...)", "pass store="),
        pytest.raises(InvalidParameterError, match="give store= alone") as raised,
    ):
        BOTH_KEYWORDS[where](store, old, saved)
    assert raised.value.code == ErrorCode.INVALID_PARAMETER
    assert raised.value.parameter == "repository"
    for untouched in (store, old):
        assert (list(untouched.all_accounts()), list(untouched.all_images())) == ([], [])


def test_public_catalog_fixture(request: pytest.FixtureRequest) -> None:
    """The public_catalog fixture of 0.1.0 keeps working for a release: a service
    with the built-in public images and no accounts."""
    # at_caller=False: a fixture has no caller's line; pytest shows the warning anyway.
    with deprecation("the public_catalog fixture", "ask for image_public_catalog", at_caller=False):
        service = request.getfixturevalue("public_catalog")
    assert isinstance(service, ImageService)
    assert sorted(ids(service.contents().images)) == BUILTIN_IDS
    assert service.contents().accounts == ()


# A store written for 0.1.0 ---------------------------------------------------------------


def test_a_0_1_0_store_is_adapted_with_a_warning() -> None:
    """ImageService(store) on a store written to 0.1.0's protocol keeps working for
    a release, and warns, naming the store's class and the new protocol."""
    store = LegacyStore()
    service = legacy_service(store)
    service.register_account(ALICE)
    assert store.has_account(ALICE)  # the user's own store holds what the service writes


#: Ways to make a service on a 0.1.0 store other than ImageService(store), as
#: ``make(store, saved)``: *saved* is the path of a saved, non-empty catalog.
LEGACY_SERVICE_MAKERS: dict[str, Callable[[LegacyStore, Path], ImageService]] = {
    "restore": lambda store, saved: restore(dump(load(saved)), store=store),  # type: ignore[arg-type]
    "load": lambda store, saved: load(saved, store=store),  # type: ignore[arg-type]
    "CatalogBuilder": lambda store, saved: CatalogBuilder(store=store).accounts(ALICE).build(),  # type: ignore[arg-type]
    "new_catalog": lambda store, saved: new_catalog(store=store),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("make", LEGACY_SERVICE_MAKERS.values(), ids=LEGACY_SERVICE_MAKERS.keys())
def test_the_0_1_0_store_warning_points_at_the_caller(
    make: Callable[[LegacyStore, Path], ImageService], old_store: LegacyStore, tmp_path: Path
) -> None:
    """The warning about a 0.1.0 store points at the user's line also when the
    service is made inside the package (by restore, load, CatalogBuilder or
    new_catalog), so that Python's default filters show it to a script; the
    catalog is made in the user's store."""
    saved = tmp_path / "catalog.json"
    save(arrange(new_service()).service, saved)
    with deprecation(*LEGACY_WARNING):
        service = make(old_store, saved)
    contents = service.contents()
    assert contents.accounts  # something to compare
    assert [account.id for account in old_store.accounts()] == [p.id for p in contents.accounts]
    assert sorted(image.id for image in old_store.images()) == sorted(ids(contents.images))


@pytest.fixture
def old_store() -> LegacyStore:
    """A fresh 0.1.0 store: the user's own object, which the service adapts."""
    return LegacyStore()


@pytest.fixture
def legacy(old_store: LegacyStore) -> Arranged:
    """:class:`Arranged` on *old_store*."""
    return arrange(legacy_service(old_store, clock=stepping_clock(), id_seed=0))


def test_accounts_and_trust_lists_on_a_0_1_0_store(
    legacy: Arranged, old_store: LegacyStore
) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store,
    accounts register once and trust lists are kept, enforced and removed."""
    service = legacy.service
    assert service.register_account(DAVE) == Account.of(DAVE)
    assert service.register_account(DAVE, exist_ok=True) == Account.of(DAVE)
    expect_refusal(
        service,
        imagecatalog.AccountAlreadyExistsError,
        ErrorCode.INVALID_ACCOUNT_ID_DUPLICATE,
        lambda: service.register_account(DAVE),
    )
    assert [profile.id for profile in service.contents().accounts] == [ALICE, BOB, CAROL, DAVE]
    assert service.trusted_sharers(BOB) is None
    assert service.set_trusted_sharers(BOB, [CAROL]) == frozenset({Account.of(CAROL)})
    assert old_store.trusted_sharers(BOB) == frozenset({CAROL})
    expect_refusal(
        service,
        UntrustedImageError,
        ErrorCode.UNTRUSTED_SHARED_IMAGE,
        lambda: service.launch_instance(BOB, legacy.web),
    )
    service.set_trusted_sharers(BOB, [ALICE])
    assert service.launch_instance(BOB, legacy.web).image_id == legacy.web.id
    assert service.set_trusted_sharers(BOB, None) is None
    assert service.trusted_sharers(BOB) is None


def test_images_and_instances_on_a_0_1_0_store(legacy: Arranged, old_store: LegacyStore) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store,
    publish, launch, create, copy, modify, quota and describe_instances work."""
    service = legacy.service
    assert legacy.public.is_public and legacy.public.state is ImageState.NORMAL
    assert legacy.instance.image_id == legacy.public.id
    assert service.get_instance(ALICE, legacy.instance) == legacy.instance
    assert (legacy.web.name, legacy.web.owner) == ("web-golden", Account.of(ALICE))
    assert service.image_quota(ALICE, GUANGZHOU).used == 2
    (copy,) = service.copy_image(ALICE, legacy.db, [SINGAPORE], name="db-copy")
    assert (copy.region.id, copy.name, copy.copied_from) == (SINGAPORE, "db-copy", legacy.db.id)
    assert service.image_quota(ALICE, SINGAPORE).used == 1
    renamed = service.modify_image(ALICE, legacy.db, name="db-replica", description="second")
    assert service.get_image(ALICE, legacy.db) == renamed
    assert (
        old_store.find_custom_image(Account.of(ALICE), Region.of(GUANGZHOU), "db-replica")
        == renamed
    )
    second = service.launch_instance(ALICE, copy)
    page = service.describe_instances(ALICE)
    assert [instance.id for instance in page.items] == [legacy.instance.id, second.id]
    assert service.describe_instances(ALICE, SINGAPORE, limit=1).total_count == 1


def test_describe_images_on_a_0_1_0_store(legacy: Arranged) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store,
    describe_images lists, filters, pages and names images by ID as in 0.1.0."""
    service = legacy.service
    windows = publish(service, GUANGZHOU, "Windows")
    everything = service.describe_images(ALICE, GUANGZHOU)
    assert ids(everything.items) == [legacy.public.id, windows.id, legacy.web.id, legacy.db.id]
    assert everything.kinds == (ImageKind.PUBLIC,) * 2 + (ImageKind.CUSTOM,) * 2
    bob = service.describe_images(BOB, GUANGZHOU)
    assert ids(bob.items) == [legacy.public.id, windows.id, legacy.web.id]
    assert bob.kind_of(legacy.web) is ImageKind.SHARED
    assert [share.account.id for share in bob[2].shared_with] == [BOB]
    assert ids(service.describe_images(ALICE, GUANGZHOU, name="golden").items) == [legacy.web.id]
    assert ids(service.describe_images(ALICE, GUANGZHOU, platform="WIN").items) == [windows.id]
    assert ids(service.describe_images(BOB, GUANGZHOU, kinds=["SHARED_IMAGE"]).items) == [
        legacy.web.id
    ]
    assert service.describe_images(ALICE, GUANGZHOU, os_type="Windows").total_count == 1
    assert service.describe_images(ALICE, GUANGZHOU, architecture="arm_64").total_count == 0
    page = service.describe_images(ALICE, GUANGZHOU, offset=1, limit=2)
    assert (page.total_count, ids(page.items)) == (4, [windows.id, legacy.web.id])
    filtered_page = service.describe_images(ALICE, GUANGZHOU, os_type="Linux", offset=2, limit=1)
    assert (filtered_page.total_count, ids(filtered_page.items)) == (3, [legacy.db.id])
    named = service.describe_images(CAROL, GUANGZHOU, image_ids=[legacy.db.id, legacy.web.id])
    assert ids(named.items) == [legacy.web.id]  # Carol cannot see db-primary
    assert service.describe_images(ALICE, SINGAPORE).total_count == 1


def test_sharing_on_a_0_1_0_store(legacy: Arranged, old_store: LegacyStore) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store, share
    and unshare take effect at once, and receivers see only their own share."""
    service = legacy.service
    assert [p.account.id for p in service.share_permissions(ALICE, legacy.web)] == [BOB, CAROL]
    service.unshare_image(ALICE, legacy.web, [BOB])
    assert service.describe_images(BOB, GUANGZHOU, kinds=["SHARED_IMAGE"]).total_count == 0
    assert [p.account.id for p in service.get_image(CAROL, legacy.web).shared_with] == [CAROL]
    shared = service.share_image(ALICE, legacy.db, [BOB])
    assert shared.kind_for(BOB) is ImageKind.SHARED
    assert service.get_image(BOB, legacy.db).shared_with == shared.shared_with
    assert old_store.count_images_shared_with(Account.of(BOB), Region.of(GUANGZHOU)) == 1


def test_delete_on_a_0_1_0_store(legacy: Arranged, old_store: LegacyStore) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store,
    deleting an unshared image frees its quota and its name."""
    service = legacy.service
    assert service.delete_images(ALICE, [legacy.db]) == (legacy.db,)
    assert service.image_quota(ALICE, GUANGZHOU).used == 1
    assert old_store.get_image(legacy.db.id) is None
    again = service.create_image(ALICE, legacy.instance, name="db-primary")
    assert again.id != legacy.db.id


def test_refusals_leave_a_0_1_0_store_unchanged(legacy: Arranged) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store, a
    refused call raises the provider's code and leaves the catalog as it was."""
    service = legacy.service
    expect_refusal(
        service,
        DuplicateImageNameError,
        ErrorCode.INVALID_IMAGE_NAME_DUPLICATE,
        lambda: service.create_image(ALICE, legacy.instance, name="web-golden"),
    )
    expect_refusal(
        service,
        SharingError,
        ErrorCode.INVALID_IMAGE_ID_IN_SHARED,
        lambda: service.delete_images(ALICE, [legacy.db, legacy.web]),
    )
    expect_refusal(
        service,
        SharingError,
        ErrorCode.ACCOUNT_IS_YOURSELF,
        lambda: service.share_image(ALICE, legacy.db, [BOB, ALICE]),
    )
    tight = arrange(legacy_service(id_seed=1, limits=Limits(custom_images_per_region=2)))
    expect_refusal(
        tight.service,
        QuotaExceededError,
        ErrorCode.IMAGE_QUOTA_LIMIT_EXCEEDED,
        lambda: tight.service.create_image(ALICE, tight.instance, name="app-server"),
    )


def test_the_provider_finishes_work_on_a_0_1_0_store() -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store with
    ``instant=False``, images wait until the provider completes or fails them."""
    old_store = LegacyStore()
    service = legacy_service(old_store, clock=stepping_clock(), id_seed=0, instant=False)
    arranged = arrange_slowly(service)
    assert arranged.web.state is ImageState.CREATING
    expect_refusal(
        service,
        InvalidImageStateError,
        ErrorCode.INVALID_IMAGE_STATE,
        lambda: service.share_image(ALICE, arranged.web, [BOB]),
    )
    assert service.provider.complete(arranged.web).state is ImageState.NORMAL
    failed = service.provider.fail(arranged.db)
    assert failed is not None and failed.state is ImageState.CREATEFAILED
    (copy,) = service.copy_image(ALICE, arranged.web, [SINGAPORE])
    assert copy.state is ImageState.SYNCING
    assert service.provider.fail(copy) is None
    assert old_store.get_image(copy.id) is None
    assert service.image_quota(ALICE, GUANGZHOU).used == 2


def test_units_of_work_on_a_0_1_0_store(legacy: Arranged) -> None:
    """Code written for 0.1.0 keeps working for a release: on a 0.1.0 store, an
    outer unit of work commits or undoes all its calls, and a dry run keeps nothing."""
    service = legacy.service
    before = catalog_state(service)
    with service.unit_of_work() as work:
        service.modify_image(ALICE, legacy.db, name="db-replica")
        service.share_image(ALICE, legacy.db, [BOB])
        work.rollback()
    assert catalog_state(service) == before
    with contextlib.suppress(LookupError), service.unit_of_work():
        service.modify_image(ALICE, legacy.db, name="db-replica")
        raise LookupError
    assert catalog_state(service) == before
    with service.unit_of_work():
        service.modify_image(ALICE, legacy.db, name="db-replica")
        with service.unit_of_work():  # a nested block that does not raise joins the outer
            service.share_image(ALICE, legacy.db, [BOB])
    assert service.get_image(BOB, legacy.db).name == "db-replica"


def test_a_nested_unit_of_work_that_raises_is_undone_on_a_0_1_0_store(legacy: Arranged) -> None:
    """On a 0.1.0 store, a nested unit of work that raises undoes its own calls only,
    as on every store (a savepoint, which the adapter keeps for the old store)."""
    service = legacy.service
    with service.unit_of_work():
        service.modify_image(ALICE, legacy.db, name="db-replica")
        with contextlib.suppress(LookupError), service.unit_of_work():
            service.share_image(ALICE, legacy.db, [BOB])
            raise LookupError
    assert service.get_image(ALICE, legacy.db).name == "db-replica"
    assert service.share_permissions(ALICE, legacy.db) == ()


def test_a_nested_unit_of_work_of_image_writes_is_a_savepoint_on_a_0_1_0_store(
    legacy: Arranged, old_store: LegacyStore
) -> None:
    """On a 0.1.0 store, a nested unit of work that raises after writing images
    (create, copy, modify, share, unshare, delete) and trust lists is undone
    alone, to the last index entry: the outer block sees the catalog as before
    the nested one, goes on, and commits its own calls only."""
    service = legacy.service
    service.set_trusted_sharers(CAROL, [ALICE])
    with service.unit_of_work():
        service.modify_image(ALICE, legacy.db, name="db-replica")
        before_nested = catalog_state(service)
        with contextlib.suppress(LookupError), service.unit_of_work():
            app = service.create_image(ALICE, legacy.instance, name="app-server")
            service.copy_image(ALICE, legacy.web, [SINGAPORE])
            service.modify_image(ALICE, legacy.web, name="web-silver", description="renamed")
            service.share_image(ALICE, legacy.db, [BOB])
            service.unshare_image(ALICE, legacy.web, [CAROL])
            service.delete_images(ALICE, [app])
            service.set_trusted_sharers(BOB, [ALICE])
            service.set_trusted_sharers(CAROL, None)
            raise LookupError
        assert catalog_state(service) == before_nested
        service.share_image(ALICE, legacy.db, [CAROL])  # the outer block goes on
    assert service.get_image(ALICE, legacy.db).name == "db-replica"
    assert [p.account.id for p in service.share_permissions(ALICE, legacy.db)] == [CAROL]
    assert [p.account.id for p in service.share_permissions(ALICE, legacy.web)] == [BOB, CAROL]
    assert service.trusted_sharers(BOB) is None
    assert old_store.trusted_sharers(CAROL) == frozenset({ALICE})
    guangzhou = Region.of(GUANGZHOU)
    assert list(old_store.custom_images(Account.of(ALICE), guangzhou)) == [
        legacy.web,
        service.get_image(ALICE, legacy.db),
    ]
    assert ids(old_store.images_shared_with(Account.of(CAROL), guangzhou)) == [
        legacy.web.id,
        legacy.db.id,
    ]
    assert old_store.find_custom_image(Account.of(ALICE), guangzhou, "web-golden") == legacy.web
    assert service.describe_images(ALICE, SINGAPORE).total_count == 1  # the public image only


@pytest.mark.parametrize(
    "addition",
    [
        pytest.param(lambda a: a.service.launch_instance(ALICE, a.public), id="instance"),
        pytest.param(lambda a: a.service.register_account(DAVE), id="account"),
    ],
)
def test_a_nested_unit_of_work_that_cannot_be_undone_alone_undoes_the_outer_on_a_0_1_0_store(
    legacy: Arranged, addition: Callable[[Arranged], object]
) -> None:
    """On a 0.1.0 store, which cannot remove an instance or an account, a nested
    unit of work that added one and raised cannot be undone alone: it raises
    StoreError (InternalError, from the original error), which the outer block
    does not mistake for its own, and the whole outer block is undone, leaving
    the store exactly as before it.  The store is free again afterwards."""
    service = legacy.service
    before = catalog_state(service)
    cause = LookupError("the caller's own error")
    with (  # noqa: PT012  # the outer block is what raises
        pytest.raises(StoreError, match="cannot remove them") as raised,
        service.unit_of_work(),
    ):
        service.modify_image(ALICE, legacy.db, name="db-replica")
        service.share_image(ALICE, legacy.db, [BOB])
        with contextlib.suppress(LookupError), service.unit_of_work():
            addition(legacy)
            service.create_image(ALICE, legacy.instance, name="app-server")
            raise cause
        pytest.fail("the outer block went on after a nested block it cannot undo")
    assert raised.value.code == ErrorCode.INTERNAL_ERROR
    assert raised.value.__cause__ is cause
    assert catalog_state(service) == before
    assert service.launch_instance(BOB, legacy.web).image_id == legacy.web.id


def test_a_nested_unit_of_work_that_cannot_be_undone_is_never_kept_on_a_0_1_0_store(
    legacy: Arranged,
) -> None:
    """On a 0.1.0 store, a nested unit of work that added an instance and then was
    refused leaves no trace, also where the caller suppresses catalog errors around
    it (as it may on every store): its writes are undone, or the outer block's are
    too (StoreError), but nothing of it is kept."""
    service = legacy.service
    with contextlib.suppress(StoreError), service.unit_of_work():
        service.modify_image(ALICE, legacy.web, name="web-silver")
        with contextlib.suppress(imagecatalog.ImageCatalogError), service.unit_of_work():
            service.launch_instance(ALICE, legacy.public)
            service.modify_image(ALICE, legacy.db, name="db-replica")
            service.share_image(ALICE, legacy.db, [ALICE])  # refused: AccountIsYourself
    assert service.get_image(ALICE, legacy.db).name == "db-primary"
    assert service.contents().instances == (legacy.instance,)


def test_an_outer_unit_of_work_undoes_its_nested_ones_on_a_0_1_0_store(legacy: Arranged) -> None:
    """On a 0.1.0 store, an outer unit of work that raises undoes everything in it:
    its own calls, nested blocks that committed, instances and accounts included,
    and what a nested block that raised had left (nothing)."""
    service = legacy.service
    before = catalog_state(service)
    with contextlib.suppress(LookupError), service.unit_of_work():
        service.modify_image(ALICE, legacy.db, name="db-replica")
        with service.unit_of_work():
            service.register_account(DAVE)
            service.launch_instance(DAVE, legacy.public)
            service.share_image(ALICE, legacy.db, [DAVE])
        with contextlib.suppress(LookupError), service.unit_of_work():
            service.unshare_image(ALICE, legacy.web, [BOB])
            raise LookupError
        raise LookupError
    assert catalog_state(service) == before


def test_contents_and_snapshots_of_a_0_1_0_store(legacy: Arranged) -> None:
    """Code written for 0.1.0 keeps working for a release: a catalog on a 0.1.0
    store reads whole, and round-trips through a snapshot into either kind of store."""
    service = legacy.service
    service.set_trusted_sharers(CAROL, [ALICE])
    contents = service.contents()
    assert [profile.id for profile in contents.accounts] == [ALICE, BOB, CAROL]
    assert contents.accounts[2].trusted_sharers == frozenset({Account.of(ALICE)})
    assert set(ids(contents.images)) == {legacy.public.id, legacy.web.id, legacy.db.id} | {
        image.id for image in service.describe_images(ALICE, SINGAPORE).items
    }
    assert contents.instances == (legacy.instance,)
    assert catalog_state(restore(dump(service))) == catalog_state(service)
    with deprecation(*LEGACY_WARNING):  # restore makes the service, but the warning is ours
        again = restore(dump(service), store=LegacyStore())  # type: ignore[arg-type]
    assert catalog_state(again) == catalog_state(service)


def test_service_repository_is_the_0_1_0_store(legacy: Arranged, old_store: LegacyStore) -> None:
    """ImageService(store).repository of 0.1.0 keeps working for a release on a
    0.1.0 store: it is that store, with its own methods (service.store is the
    adapter, a CatalogStore)."""
    service = legacy.service
    with deprecation("ImageService.repository", "use ImageService.store, or unit_of_work()"):
        repository: Any = service.repository
    assert repository is old_store
    assert repository is not service.store
    assert sorted(image.id for image in repository.images()) == sorted(
        ids(service.contents().images)
    )


def test_the_catalog_machine_runs_on_a_0_1_0_store() -> None:
    """Code written for 0.1.0 keeps working for a release: random sequences of every
    operation on a 0.1.0 store, nested units of work and dry runs included, agree
    with the reference model (each new service warns, as
    test_a_0_1_0_store_is_adapted_with_a_warning asserts)."""
    machine = catalog_machine(LegacyStore)  # type: ignore[arg-type]  # wants a CatalogStore
    # Every rule: no attribute hides an inherited one (as an earlier version did).
    assert machine.nested_units_of_work is CatalogMachine.nested_units_of_work
    assert machine.dry_run is CatalogMachine.dry_run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        run_state_machine_as_test(
            machine, settings=settings(max_examples=25, stateful_step_count=40)
        )


def test_catalog_machine_repository_factory_keyword() -> None:
    """testing.contract.catalog_machine(repository_factory=f) of 0.1.0 keeps working
    for a release: the machine runs on the stores *f* makes (here 0.1.0's own)."""
    with deprecation("catalog_machine(repository_factory=...)", "pass store_factory="):
        machine = contract.catalog_machine(repository_factory=LegacyStore)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert isinstance(machine().service.repository, LegacyStore)
        run_state_machine_as_test(
            machine, settings=settings(max_examples=5, stateful_step_count=20)
        )


def test_a_0_1_0_machine_subclass_setting_repository_factory_still_runs_on_its_store() -> None:
    """A CatalogMachine subclass of 0.1.0 that sets ``repository_factory`` keeps
    running on that factory's stores for a release, with a warning."""

    class OldStyleMachine(contract.CatalogMachine):
        repository_factory = LegacyStore

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        machine = OldStyleMachine()
        assert isinstance(machine.service.repository, LegacyStore)
    assert any("CatalogMachine.repository_factory" in str(w.message) for w in caught)


def test_an_object_that_is_no_store_is_refused() -> None:
    """ImageService(x) refuses what is neither a 0.2 store nor a 0.1.0 one, saying so,
    rather than failing later."""
    with pytest.raises(InvalidParameterError, match="is not a store") as raised:
        ImageService(object())  # type: ignore[arg-type]
    assert raised.value.code == ErrorCode.INVALID_PARAMETER
    assert raised.value.parameter == "store"


# 0.1.0's keywords of ImageService's arguments ----------------------------------------------


@dataclass(frozen=True)
class OldKeywords:
    """A call written as 0.1.0 code writes it, naming its arguments by their 0.1.0
    keywords and passing ID strings, and the same call written the 0.2 way
    (positional, with values); *slow*: on a service with ``instant=False``."""

    old: Callable[[Arranged], object]
    new: Callable[[Arranged], object]
    slow: bool = False


OLD_KEYWORD_CALLS: dict[str, OldKeywords] = {
    "register_account(account_id=)": OldKeywords(
        lambda a: a.service.register_account(account_id=DAVE),
        lambda a: a.service.register_account(Account.of(DAVE)),
    ),
    "get_image(image_id=)": OldKeywords(
        lambda a: a.service.get_image(BOB, image_id=a.web.id),
        lambda a: a.service.get_image(BOB, a.web),
    ),
    "get_instance(instance_id=)": OldKeywords(
        lambda a: a.service.get_instance(ALICE, instance_id=a.instance.id),
        lambda a: a.service.get_instance(ALICE, a.instance),
    ),
    "share_permissions(image_id=)": OldKeywords(
        lambda a: a.service.share_permissions(ALICE, image_id=a.web.id),
        lambda a: a.service.share_permissions(ALICE, a.web),
    ),
    "launch_instance(image_id=)": OldKeywords(
        lambda a: a.service.launch_instance(BOB, image_id=a.web.id),
        lambda a: a.service.launch_instance(BOB, a.web),
    ),
    "create_image(instance_id=)": OldKeywords(
        lambda a: a.service.create_image(ALICE, instance_id=a.instance.id, name="app-server"),
        lambda a: a.service.create_image(ALICE, a.instance, name="app-server"),
    ),
    "copy_image(image_id=, destination_regions=)": OldKeywords(
        lambda a: a.service.copy_image(
            ALICE, image_id=a.db.id, destination_regions=[SINGAPORE], name="db-copy"
        ),
        lambda a: a.service.copy_image(ALICE, a.db, [Region.of(SINGAPORE)], name="db-copy"),
    ),
    "modify_image(image_id=)": OldKeywords(
        lambda a: a.service.modify_image(ALICE, image_id=a.db.id, name="db-replica"),
        lambda a: a.service.modify_image(ALICE, a.db, name="db-replica"),
    ),
    "delete_images(image_ids=)": OldKeywords(
        lambda a: a.service.delete_images(ALICE, image_ids=[a.db.id]),
        lambda a: a.service.delete_images(ALICE, [a.db]),
    ),
    "share_image(image_id=, account_ids=)": OldKeywords(
        lambda a: a.service.share_image(ALICE, image_id=a.db.id, account_ids=[BOB]),
        lambda a: a.service.share_image(ALICE, a.db, [Account.of(BOB)]),
    ),
    "unshare_image(image_id=, account_ids=)": OldKeywords(
        lambda a: a.service.unshare_image(ALICE, image_id=a.web.id, account_ids=[BOB]),
        lambda a: a.service.unshare_image(ALICE, a.web, [Account.of(BOB)]),
    ),
    "provider.complete(image_id=)": OldKeywords(
        lambda a: a.service.provider.complete(image_id=a.web.id),
        lambda a: a.service.provider.complete(a.web),
        slow=True,
    ),
    "provider.fail(image_id=)": OldKeywords(
        lambda a: a.service.provider.fail(image_id=a.db.id),
        lambda a: a.service.provider.fail(a.db),
        slow=True,
    ),
}


@pytest.mark.parametrize("call", OLD_KEYWORD_CALLS.values(), ids=OLD_KEYWORD_CALLS.keys())
def test_0_1_0_keyword_arguments(call: OldKeywords) -> None:
    """Code written for 0.1.0 keeps working, also where it names ImageService's
    arguments by their 0.1.0 keywords: those are the parameters' names, so the
    call does exactly what the 0.2 call does (on a twin catalog), without a
    warning, and the argument is still an ID string or a value."""
    make = arrange_slowly if call.slow else arrange
    old = make(new_service(instant=not call.slow))
    new = make(new_service(instant=not call.slow))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning: nothing is deprecated
        result = call.old(old)
    assert result == call.new(new)
    assert catalog_state(old.service) == catalog_state(new.service)


# Completeness ------------------------------------------------------------------------------


def test_every_shim_has_a_test() -> None:
    """No deprecation shim goes untested: each ``deprecated("old", ...)`` in the
    package, and each ``replaced_argument(..., where=W, old_name=O)`` (which warns
    about ``W(O=...)``), names an old call that this module asserts a warning for."""
    package = Path(imagecatalog.__file__).parent
    olds: list[str] = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "_deprecation.py":  # defines both (replaced_argument's warning too)
            continue
        source = path.read_text("utf-8")
        olds += re.findall(r'deprecated\(\s*f?"([^"{]*)', source)
        calls = re.findall(r"replaced_argument\(([^()]*)\)", source)
        assert len(calls) == source.count("replaced_argument("), f"{path.name}: a call unread"
        for call in calls:
            where = re.search(r'\bwhere="([^"]+)"', call)
            old_name = re.search(r'\bold_name="([^"]+)"', call)
            assert where and old_name, f"{path.name}: cannot read replaced_argument({call})"
            olds.append(f"{where[1]}({old_name[1]}=...)")
    assert "" not in olds  # an old name that starts with a placeholder would pass unread
    for found in (
        "ImageService(repository=...)",
        "restore(repository=...)",
        "load(repository=...)",
        "CatalogBuilder(repository=...)",
        "new_catalog(repository=...)",
        "catalog_machine(repository_factory=...)",
    ):
        assert found in olds, f"the search misses {found}"
    assert len(olds) >= 32  # as many as 0.2 has
    this = Path(__file__).read_text("utf-8")
    untested = [old for old in olds if f'"{old}' not in this]
    assert untested == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
class TestAStoreOf010StillPassesTheContract(contract.RepositoryContract):
    """A store written to 0.1.0's protocol, run under 0.1.0's RepositoryContract
    subclassing as its authors wrote it, passes (adapted, with a warning) for a release."""

    stateful_settings = settings(max_examples=5, stateful_step_count=20, deadline=None)

    def make_repository(self) -> Any:
        return LegacyStore()


def test_the_contract_warns_that_a_0_1_0_store_is_adapted() -> None:
    """RepositoryContract adapts a 0.1.0 store with the same warning as ImageService."""

    class Contract(contract.RepositoryContract):
        def make_repository(self) -> Any:
            return LegacyStore()

    with deprecation(*LEGACY_WARNING, at_caller=False):
        store = Contract()._new_store()
    assert store.get_account(ALICE) is None
