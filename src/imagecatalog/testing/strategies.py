"""Hypothesis strategies for the catalog's values and for whole catalogs.

Needs Hypothesis (``pip install "imagecatalog[testing]"``); importing
:mod:`imagecatalog` itself never imports it.

>>> from hypothesis import given
>>> from imagecatalog.testing import strategies as ic
>>> @given(ic.catalogs(accounts=2, regions=["ap-guangzhou"]))
... def test_quota_holds(service):
...     for account in ic.account_ids_of(service):
...         quota = service.image_quota(account, "ap-guangzhou")
...         assert quota.used <= quota.limit
>>> test_quota_holds()
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from imagecatalog._deprecation import replaced_argument
from imagecatalog.accounts import Account
from imagecatalog.clocks import stepping_clock
from imagecatalog.exceptions import ImageCatalogError
from imagecatalog.images import (
    MAX_NAME_LENGTH,
    Architecture,
    Image,
    ImageKind,
    ImageOrigin,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
    Support,
)
from imagecatalog.limits import Limits
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogStore
from imagecatalog.service import ImageService

__all__ = [
    "SMALL_LIMITS",
    "account_ids",
    "account_ids_of",
    "architectures",
    "catalogs",
    "image_ids",
    "image_names",
    "images",
    "invalid_image_names",
    "malformed_account_ids",
    "malformed_image_ids",
    "new_catalog",
    "operations",
    "os_types",
    "regions",
]

#: Limits small enough that random operations run into them often.
SMALL_LIMITS = Limits(custom_images_per_region=3, accounts_per_shared_image=2)
#: Names drawn by catalogs: more than ``SMALL_LIMITS``' quota, so quotas are
#: reached before names run out, and few enough that names clash.
CATALOG_NAMES = ("web-golden", "db-primary", "cache", "ci-runner", "bastion")

_ID_CHARS = string.ascii_lowercase + string.digits
_UNREGISTERED = "100000000099"


def regions() -> st.SearchStrategy[Region]:
    """Any known region."""
    return st.sampled_from(Region.all())


def account_ids() -> st.SearchStrategy[str]:
    """Well-formed root account IDs, such as ``"100000000001"``."""
    return st.integers(min_value=10**11, max_value=10**12 - 1).map(str)


def malformed_account_ids() -> st.SearchStrategy[str]:
    """Strings that are not account IDs."""
    return st.one_of(
        st.just(""),
        st.text(min_size=1, max_size=12).filter(
            lambda text: not text.isascii() or not text.isdigit()
        ),
        st.text(alphabet="0123456789", min_size=21, max_size=25),
    )


def architectures() -> st.SearchStrategy[Architecture]:
    """Any architecture."""
    return st.sampled_from(Architecture)


def os_types() -> st.SearchStrategy[OsType]:
    """Linux or Windows."""
    return st.sampled_from(OsType)


def image_names() -> st.SearchStrategy[str]:
    """Valid image names: 1 to 60 characters, not blank, no control characters."""
    return st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs")),
        min_size=1,
        max_size=MAX_NAME_LENGTH,
    ).filter(lambda name: name.strip() != "")


def invalid_image_names() -> st.SearchStrategy[str]:
    """Names the provider refuses: empty, blank, too long, or with control characters."""
    return st.one_of(
        st.just(""),
        st.text(alphabet=" \u3000", min_size=1, max_size=5),
        st.text(min_size=MAX_NAME_LENGTH + 1, max_size=MAX_NAME_LENGTH + 20).filter(
            lambda name: name.strip() != ""
        ),
        st.builds(
            lambda head, char, tail: f"{head}{char}{tail}",
            st.text(alphabet=string.ascii_letters, max_size=10),
            st.sampled_from(["\n", "\t", "\x00", "\x07", "\x7f"]),
            st.text(alphabet=string.ascii_letters, max_size=10),
        ),
    )


def image_ids() -> st.SearchStrategy[str]:
    """Well-formed image IDs (``img-`` and 8 lowercase letters or digits)."""
    return st.text(alphabet=_ID_CHARS, min_size=8, max_size=8).map(lambda tail: f"img-{tail}")


def malformed_image_ids() -> st.SearchStrategy[str]:
    """Strings that are not image IDs."""
    return st.one_of(
        st.text(max_size=14).filter(lambda text: not (len(text) == 12 and text.startswith("img-"))),
        st.just("img-34vaef8fe"),  # nine characters: a typo in the provider's own docs
        st.text(alphabet=string.ascii_uppercase, min_size=8, max_size=8).map(
            lambda tail: f"img-{tail}"
        ),
    )


@st.composite
def images(
    draw: st.DrawFn, kind: ImageKind | None = None, *, region: Region | str | None = None
) -> Image:
    """Valid :class:`~imagecatalog.Image` values.

    ``kind=ImageKind.PUBLIC`` draws public images; ``CUSTOM`` draws custom images
    not shared with anyone; ``SHARED`` draws custom images shared with at least
    one account (the image is SHARED to those accounts).  Values only: they are
    not in any catalog.
    """
    kind = kind or draw(st.sampled_from(ImageKind))
    place = Region.of(region) if region is not None else draw(regions())
    public = kind is ImageKind.PUBLIC
    owner = None if public else Account(id=draw(account_ids()))
    shares: tuple[SharePermission, ...] = ()
    if kind is ImageKind.SHARED:
        assert owner is not None
        receivers = draw(
            st.lists(
                account_ids().filter(lambda a: a != owner.id), min_size=1, max_size=5, unique=True
            )
        )
        shares = tuple(
            SharePermission(account=Account(id=receiver), shared_at=_EPOCH)
            for receiver in receivers
        )
    os_type = draw(os_types())
    return Image(
        id=draw(image_ids()),
        name=draw(image_names()),
        region=place,
        owner=owner,
        os_type=os_type,
        platform="Windows"
        if os_type is OsType.WINDOWS
        else draw(st.sampled_from(["TencentOS", "Ubuntu", "CentOS", "Debian"])),
        os_name=draw(st.text(min_size=1, max_size=40)),
        architecture=draw(architectures()),
        size_gb=draw(st.integers(min_value=1, max_value=2048)),
        state=ImageState.NORMAL if public or shares else draw(st.sampled_from(ImageState)),
        origin=ImageOrigin.OFFICIAL
        if public
        else draw(st.sampled_from([ImageOrigin.CREATE_IMAGE, ImageOrigin.EXTERNAL_IMPORT])),
        created_at=draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        ),
        licence_type=LicenceType.TENCENT_CLOUD if shares else draw(st.sampled_from(LicenceType)),
        software=draw(
            st.lists(
                st.sampled_from(["Java 17", "MySQL 8.0", "Python 3.11"]), max_size=3, unique=True
            )
        )
        if public
        else (),
        support=draw(st.sampled_from(Support)) if public else None,
        shared_with=shares,
    )


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def new_catalog(
    limits: Limits = SMALL_LIMITS,
    *,
    accounts: int = 4,
    regions: Sequence[Region | str] = ("ap-guangzhou", "ap-singapore", "eu-frankfurt"),
    instant: bool = False,
    store: CatalogStore | None = None,
    repository: CatalogStore | None = None,
    strict_accounts: bool = True,
) -> ImageService:
    """A small service: one public Ubuntu image per region and *accounts*
    registered accounts ``100000000001``, ``100000000002``, ..., on *store*
    (a fresh in-memory one by default), with *strict_accounts* as given."""
    store = replaced_argument(
        store, repository, where="new_catalog", new_name="store", old_name="repository"
    )
    service = ImageService(
        store,
        limits=limits,
        clock=stepping_clock(),
        instant=instant,
        id_seed=0,
        strict_accounts=strict_accounts,
    )
    for region in regions:
        service.provider.publish_public_image(
            region,
            name="Ubuntu Server 22.04 LTS 64bit",
            os_type=OsType.LINUX,
            platform="Ubuntu",
            os_name="Ubuntu Server 22.04 LTS 64bit",
            architecture=Architecture.X86_64,
            size_gb=20,
        )
    for number in range(1, accounts + 1):
        service.register_account(f"1000000000{number:02d}")
    return service


def account_ids_of(service: ImageService) -> list[str]:
    """The IDs of *service*'s registered accounts."""
    return [profile.id for profile in service.contents().accounts]


def _regions_of(service: ImageService) -> list[str]:
    return sorted({image.region.id for image in service.contents().images})


@st.composite
def operations(
    draw: st.DrawFn, service: ImageService, *, malformed: bool = False
) -> Callable[[], Any]:
    """One random operation on *service*, as a call to make.

    Arguments are drawn from what *service* holds, so most calls are valid; with
    ``malformed=True`` about half the calls get malformed or unknown arguments.
    """
    if malformed and draw(st.booleans()):
        return draw(_malformed_operation(service))
    accounts = account_ids_of(service)
    places = _regions_of(service)
    contents = service.contents()
    image_list = sorted(image.id for image in contents.images)
    instance_list = sorted(instance.id for instance in contents.instances)
    caller = draw(st.sampled_from(accounts))
    some_image = draw(st.sampled_from(image_list)) if image_list else "img-00000000"
    names = st.sampled_from(CATALOG_NAMES)
    kind = draw(
        st.sampled_from(
            [
                "launch",
                "create",
                "import",
                "copy",
                "share",
                "unshare",
                "delete",
                "modify",
                "complete",
                "fail",
                "trust",
            ]
        )
    )
    if kind == "launch":
        return lambda: service.launch_instance(caller, some_image)
    if kind == "create":
        instance = draw(st.sampled_from(instance_list)) if instance_list else "ins-00000000"
        name = draw(names)
        return lambda: service.create_image(caller, instance, name=name)
    if kind == "import":
        region, name = draw(st.sampled_from(places)), draw(names)
        licence = draw(st.sampled_from(["TencentCloud", "TencentCloud", "BYOL"]))
        return lambda: service.import_image(
            caller,
            region,
            name=name,
            platform="CentOS",
            os_version="7",
            architecture="x86_64",
            licence_type=licence,
            image_url="https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/c.qcow2",
        )
    if kind == "copy":
        destinations = draw(st.lists(st.sampled_from(places), min_size=1, max_size=2, unique=True))
        return lambda: service.copy_image(caller, some_image, destinations)
    if kind in ("share", "unshare"):
        receivers = draw(st.lists(st.sampled_from(accounts), min_size=1, max_size=2, unique=True))
        method = service.share_image if kind == "share" else service.unshare_image
        return lambda: method(caller, some_image, receivers)
    if kind == "delete":
        chosen = draw(st.lists(st.sampled_from(image_list), min_size=1, max_size=2, unique=True))
        return lambda: service.delete_images(caller, chosen)
    if kind == "modify":
        name = draw(names)
        return lambda: service.modify_image(caller, some_image, name=name)
    if kind == "trust":
        trusted = draw(st.none() | st.lists(st.sampled_from(accounts), max_size=2, unique=True))
        return lambda: service.set_trusted_sharers(caller, trusted)
    finish = service.provider.complete if kind == "complete" else service.provider.fail
    return lambda: finish(some_image)


@st.composite
def _malformed_operation(draw: st.DrawFn, service: ImageService) -> Callable[[], Any]:
    caller = draw(
        st.sampled_from([*account_ids_of(service), _UNREGISTERED]) | malformed_account_ids()
    )
    image = draw(image_ids() | malformed_image_ids())
    name = draw(image_names() | invalid_image_names())
    region = draw(st.sampled_from([r.id for r in Region.all()]) | st.just("ap-nowhere"))
    calls: list[Callable[[], Any]] = [
        lambda: service.get_image(caller, image),
        lambda: service.describe_images(caller, region, name=name),
        lambda: service.copy_image(caller, image, [region]),
        lambda: service.share_image(caller, image, [caller]),
        lambda: service.modify_image(caller, image, name=name),
        lambda: service.delete_images(caller, [image]),
        lambda: service.image_quota(caller, region),
        lambda: service.import_image(
            caller,
            region,
            name=name,
            platform="Ubuntu",
            os_version="22.04",
            architecture="x86_64",
            image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/u.raw",
        ),
    ]
    chosen: Callable[[], Any] = draw(st.sampled_from(calls))
    return chosen


@st.composite
def catalogs(
    draw: st.DrawFn,
    *,
    limits: Limits = SMALL_LIMITS,
    accounts: int = 4,
    regions: Sequence[Region | str] = ("ap-guangzhou", "ap-singapore", "eu-frankfurt"),
    images: int = 0,
    shares: int = 0,
    max_operations: int = 30,
    instant: bool | None = None,
) -> ImageService:
    """An :class:`~imagecatalog.ImageService` reached through a random sequence
    of operations (refused ones included, which change nothing).

    Knobs: *accounts* registered accounts and the *regions* in play (each with
    one public image); *images* custom images (as far as the *limits* allow),
    made first round robin over the accounts and regions, of which the first
    *shares* are then shared with another account; then up to *max_operations*
    random operations; *instant* is drawn when None.
    """
    mode = draw(st.booleans()) if instant is None else instant
    service = new_catalog(limits, accounts=accounts, regions=regions, instant=mode)
    owners = account_ids_of(service)
    places = [Region.of(region).id for region in regions]
    made = []
    for number in range(images):  # round robin over accounts, then regions
        owner = owners[number % len(owners)]
        region = places[(number // len(owners)) % len(places)]
        with contextlib.suppress(ImageCatalogError):
            image = service.import_image(
                owner,
                region,
                name=f"seeded-{number}",
                platform="Ubuntu",
                os_version="22.04",
                architecture="x86_64",
                image_url="https://imports-1250000000.cos.ap-guangzhou.myqcloud.com/s.qcow2",
            )
            made.append(image if mode else service.provider.complete(image))
    for image in made[:shares]:
        assert image.owner is not None
        receiver = draw(st.sampled_from([a for a in owners if a != image.owner.id] or owners))
        with contextlib.suppress(ImageCatalogError):
            service.share_image(image.owner, image.id, [receiver])
    for _ in range(draw(st.integers(min_value=0, max_value=max_operations))):
        with contextlib.suppress(ImageCatalogError):
            draw(operations(service))()
    return service
