"""imagecatalog for other people's tests: builders, clocks and state checks.

Everything here is plain Python; it needs neither pytest nor Hypothesis.  The
Hypothesis strategies live in :mod:`imagecatalog.testing.strategies`, the
repository contract suite in :mod:`imagecatalog.testing.contract`, and the
pytest fixtures in :mod:`imagecatalog.testing.pytest_plugin` (loaded
automatically once imagecatalog is installed).

>>> from imagecatalog.testing import CatalogBuilder
>>> catalog = (
...     CatalogBuilder()
...     .accounts("100000000001", "100000000002")
...     .custom_image("100000000001", "ap-guangzhou", "web-golden", shared_with=["100000000002"])
...     .custom_image("100000000001", "ap-guangzhou", "db-primary")
... )
>>> service = catalog.build()
>>> service.describe_images("100000000002", "ap-guangzhou", kinds=["SHARED_IMAGE"]).total_count
1
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Self, TypeVar

from imagecatalog._deprecation import replaced_argument
from imagecatalog.accounts import Account
from imagecatalog.clocks import DEFAULT_START, stepping_clock
from imagecatalog.exceptions import AccountAlreadyExistsError, ImageCatalogError
from imagecatalog.images import Architecture, Image, ImageKind, LicenceType, OsType
from imagecatalog.limits import Limits
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.query import ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogStore
from imagecatalog.service import ImageService

__all__ = [
    "DEFAULT_START",
    "AccountFactory",
    "CatalogBuilder",
    "InMemoryImageRepository",
    "catalog_state",
    "expect_refusal",
    "public_catalog",
    "stepping_clock",
]

_E = TypeVar("_E", bound=ImageCatalogError)

#: Public images the builder publishes on demand: platform -> (OS type, OS name, size).
_PUBLIC_BASES: dict[str, tuple[OsType, str, int]] = {
    "TencentOS": (OsType.LINUX, "TencentOS Server 3.1 (TK4) 64bit", 20),
    "Ubuntu": (OsType.LINUX, "Ubuntu Server 22.04 LTS 64bit", 20),
    "CentOS": (OsType.LINUX, "CentOS 7.9 64bit", 20),
    "Debian": (OsType.LINUX, "Debian 12.0 64bit", 20),
    "Windows": (OsType.WINDOWS, "Windows Server 2022 DataCenter 64bit", 50),
}


def catalog_state(service: ImageService) -> Hashable:
    """Everything *service*'s catalog holds, as one comparable value.

    Compare two readings to prove that a call changed nothing.  It reads the
    whole catalog: meant for tests, not for large catalogs.
    """
    contents = service.contents()
    return (contents.accounts, frozenset(contents.images), frozenset(contents.instances))


def expect_refusal(
    service: ImageService, error: type[_E], code: str, call: Callable[[], object]
) -> _E:
    """Run *call*, which must raise *error* with *code* and leave *service*'s
    catalog exactly as it was; return the error.

    Raises :class:`AssertionError` otherwise, so it works under any test runner.
    """
    before = catalog_state(service)
    try:
        call()
    except error as raised:
        if raised.code != code:
            raise AssertionError(
                f"expected {error.__name__} with code {code}, got code {raised.code}: {raised}"
            ) from raised
        if catalog_state(service) != before:
            raise AssertionError(f"the refused call changed the catalog: {raised}") from raised
        return raised
    raise AssertionError(f"expected {error.__name__} with code {code}; the call succeeded")


class CatalogBuilder:
    """Arrange a catalog in a few readable lines, through the real service.

    Every step runs the service's own operations at once, so a builder can
    never produce a state the service would refuse: a step that breaks a rule
    raises that rule's error where it is written.  :meth:`build` returns the
    service; :meth:`image` finds what a step made.

    IDs and times are repeatable: IDs come from *seed*, times from a
    :func:`stepping_clock` unless *clock* is given.  With ``instant=False`` the
    built service works step by step (see :class:`~imagecatalog.ImageService`),
    but the images the builder itself makes are completed: they are ``NORMAL``.
    *strict_accounts* is the service's (False: every well-formed account exists,
    as under ``mock_cvm``).
    """

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        store: CatalogStore | None = None,
        clock: Callable[[], datetime] | None = None,
        seed: int = 0,
        instant: bool = True,
        repository: CatalogStore | None = None,
        strict_accounts: bool = True,
    ) -> None:
        store = replaced_argument(
            store, repository, where="CatalogBuilder", new_name="store", old_name="repository"
        )
        self._service = ImageService(
            store,
            limits=limits,
            clock=stepping_clock() if clock is None else clock,
            instant=instant,
            id_seed=seed,
            strict_accounts=strict_accounts,
        )
        self._instant = instant

    @property
    def service(self) -> ImageService:
        """The service being arranged."""
        return self._service

    def build(self) -> ImageService:
        """The arranged service."""
        return self._service

    def accounts(self, *account_ids: Account | str) -> Self:
        """Register these accounts."""
        for account_id in account_ids:
            self._service.register_account(account_id)
        return self

    def public_image(
        self,
        region: Region | str,
        name: str | None = None,
        *,
        platform: str = "Ubuntu",
        architecture: Architecture | str = Architecture.X86_64,
        software: Iterable[str] = (),
    ) -> Self:
        """Publish a public image of *platform* in *region* (the provider's side).

        Known platforms: TencentOS, Ubuntu, CentOS, Debian, Windows.
        """
        self._publish(Region.of(region), name, platform, Architecture.parse(architecture), software)
        return self

    def custom_image(
        self,
        owner: Account | str,
        region: Region | str,
        name: str,
        *,
        platform: str = "Ubuntu",
        architecture: Architecture | str = Architecture.X86_64,
        description: str = "",
        shared_with: Iterable[Account | str] = (),
    ) -> Self:
        """Give *owner* a custom image *name* in *region*, made the way a user
        makes one: launch the public *platform* image there (published first if
        the region has none), create an image from the instance, then share it.

        Unregistered owners and receivers are registered first.
        """
        place = Region.of(region)
        arch = Architecture.parse(architecture)
        self._ensure_accounts([owner, *shared_with])
        base = self._find_public(owner, place, platform, arch) or self._publish(
            place, None, platform, arch, ()
        )
        instance = self._service.launch_instance(owner, base.id)
        image = self._settled(
            self._service.create_image(owner, instance.id, name=name, description=description)
        )
        receivers = list(shared_with)
        if receivers:
            self._service.share_image(owner, image.id, receivers)
        return self

    def imported_image(
        self,
        owner: Account | str,
        region: Region | str,
        name: str,
        *,
        platform: str = "CentOS",
        os_version: str = "7",
        architecture: Architecture | str = Architecture.X86_64,
        licence_type: LicenceType | str = LicenceType.TENCENT_CLOUD,
    ) -> Self:
        """Give *owner* an image *name* in *region* imported from object storage."""
        self._ensure_accounts([owner])
        image = self._service.import_image(
            owner,
            region,
            name=name,
            platform=platform,
            os_version=os_version,
            architecture=architecture,
            licence_type=licence_type,
            image_url=f"https://imports-1250000000.cos.{Region.of(region).id}.myqcloud.com/"
            f"{name.replace(' ', '-')}.qcow2",
        )
        self._settled(image)
        return self

    def copied(
        self, owner: Account | str, name: str, region: Region | str, *destinations: Region | str
    ) -> Self:
        """Copy *owner*'s image *name* in *region* to *destinations*."""
        image = self.image(name, owner=owner, region=region)
        for copy in self._service.copy_image(owner, image.id, list(destinations)):
            self._settled(copy)
        return self

    def image(
        self, name: str, *, owner: Account | str | None = None, region: Region | str | None = None
    ) -> Image:
        """The one image called *name* (narrowed by *owner* and *region*), as its
        owner sees it.  Raises :class:`LookupError` if none or several match."""
        owner_id = None if owner is None else Account.of(owner).id
        place = None if region is None else Region.of(region)
        found = [
            image
            for image in self._service.contents().images
            if image.name == name
            and (owner_id is None or (image.owner is not None and image.owner.id == owner_id))
            and (place is None or image.region == place)
        ]
        if len(found) != 1:
            raise LookupError(
                f"{len(found)} images are called {name!r}"
                f"{'' if owner_id is None else f' for {owner_id}'}"
                f"{'' if place is None else f' in {place.id}'}; narrow it by owner and region"
            )
        return found[0]

    def _settled(self, image: Image) -> Image:
        """*image* finished: completed if the service works step by step."""
        return image if self._instant else self._service.provider.complete(image)

    def _ensure_accounts(self, accounts: Iterable[Account | str]) -> None:
        for account in accounts:
            self._service.register_account(account, exist_ok=True)

    def _find_public(
        self, viewer: Account | str, region: Region, platform: str, arch: Architecture
    ) -> Image | None:
        query = ImageQuery(
            kinds=[ImageKind.PUBLIC], platforms=[platform], architectures=[arch], limit=100
        )
        for image in self._service.describe_images(viewer, region, query):
            if image.platform == platform:
                return image
        return None

    def _publish(
        self,
        region: Region,
        name: str | None,
        platform: str,
        arch: Architecture,
        software: Iterable[str],
    ) -> Image:
        if platform not in _PUBLIC_BASES:
            raise LookupError(
                f"the builder knows no public {platform!r} image; use one of "
                f"{', '.join(_PUBLIC_BASES)} or publish it with "
                "service.provider.publish_public_image"
            )
        os_type, os_name, size = _PUBLIC_BASES[platform]
        label = os_name if arch is Architecture.X86_64 else f"{os_name} ({arch.value})"
        return self._service.provider.publish_public_image(
            region,
            name=name or label,
            os_type=os_type,
            platform=platform,
            os_name=os_name,
            architecture=arch,
            size_gb=size,
            software=software,
        )


def public_catalog(*, limits: Limits | None = None, seed: int = 0) -> ImageService:
    """A service that starts with the built-in public image catalog in every
    region (:mod:`imagecatalog.public_catalog`), and no accounts yet; times and
    new IDs are repeatable."""
    return ImageService(limits=limits, clock=stepping_clock(), id_seed=seed, public_catalog=True)


class AccountFactory:
    """Registers fresh accounts: ``100000000001``, ``100000000002``, ... in turn,
    skipping IDs a service already has.

    >>> from imagecatalog import ImageService
    >>> make_account = AccountFactory()
    >>> service = ImageService()
    >>> make_account(service).id, make_account(service).id
    ('100000000001', '100000000002')
    """

    def __init__(self, first: int = 100000000001) -> None:
        self._next = first

    def __call__(self, service: ImageService, account_id: Account | str | None = None) -> Account:
        """Register *account_id* (or the next free ID) in *service*; return the account."""
        if account_id is not None:
            return service.register_account(account_id)
        while True:
            candidate = str(self._next)
            self._next += 1
            try:
                return service.register_account(candidate)
            except AccountAlreadyExistsError:
                continue
