"""Hypothesis strategies for the catalog's values and for whole catalogs."""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from imagecatalog import (
    Architecture,
    ImageCatalogError,
    ImageService,
    ImageState,
    Limits,
    OsType,
    Region,
)
from tests.support import stepping_clock

#: A few regions are enough to meet every rule and keep examples small.
REGIONS = ("ap-guangzhou", "ap-singapore", "eu-frankfurt")
ACCOUNTS = ("100000000001", "100000000002", "100000000003", "100000000004")
STRANGER = "100000000099"
#: More names than the test quota (3), so the quota is reached before names run out.
NAMES = ("web-golden", "db-primary", "cache", "ci-runner", "bastion")

_ID_CHARS = string.ascii_lowercase + string.digits

regions = st.sampled_from(REGIONS)
all_regions = st.sampled_from([region.id for region in Region.all()])
accounts = st.sampled_from(ACCOUNTS)
callers = st.sampled_from((*ACCOUNTS, STRANGER))
architectures = st.sampled_from(Architecture)
os_types = st.sampled_from(OsType)
image_names = st.sampled_from(NAMES)
valid_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60
).filter(lambda name: name.strip() != "")
invalid_names = st.one_of(
    st.just(""),
    st.just("   "),
    st.text(min_size=61, max_size=80).filter(lambda name: name.strip() != ""),
    st.sampled_from(["line\nbreak", "tab\tname", "bell\x07"]),
)
image_ids = st.text(alphabet=_ID_CHARS, min_size=8, max_size=8).map(lambda s: f"img-{s}")
malformed_image_ids = st.one_of(
    st.text(max_size=14).filter(lambda s: not (len(s) == 12 and s.startswith("img-"))),
    st.just("img-34vaef8fe"),
    st.just("IMG-12345678"),
)


def new_catalog(limits: Limits, *, instant: bool = False) -> ImageService:
    """A service with one public Linux image per region and four accounts."""
    service = ImageService(limits=limits, clock=stepping_clock(), instant=instant, id_seed=0)
    for region in REGIONS:
        service.publish_public_image(
            region,
            name="Ubuntu Server 22.04 LTS 64bit",
            os_type=OsType.LINUX,
            platform="Ubuntu",
            os_name="Ubuntu Server 22.04 LTS 64bit",
            architecture=Architecture.X86_64,
            size_gb=20,
        )
    for account in ACCOUNTS:
        service.register_account(account)
    return service


def _pick(draw: st.DrawFn, items: list[str]) -> str:
    return draw(st.sampled_from(items)) if items else "img-00000000"


def _operation(draw: st.DrawFn, service: ImageService) -> Callable[[], Any]:
    """One random, usually valid, operation on *service*."""
    images = sorted(image.id for image in service.repository.images())
    instances = sorted(instance.id for instance in service.repository.instances())
    caller = draw(accounts)
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
        return lambda: service.launch_instance(caller, _pick(draw, images))
    if kind == "create":
        instance = _pick(draw, instances) if instances else "ins-00000000"
        name = draw(image_names)
        return lambda: service.create_image(caller, instance, name=name)
    if kind == "import":
        region, name = draw(regions), draw(image_names)
        byol = draw(st.booleans())
        return lambda: service.import_image(
            caller,
            region,
            name=name,
            platform="CentOS",
            os_version="7",
            architecture="x86_64",
            licence_type="BYOL" if byol else "TencentCloud",
            image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/c.qcow2",
        )
    if kind == "copy":
        image = _pick(draw, images)
        destinations = draw(st.lists(regions, min_size=1, max_size=2, unique=True))
        return lambda: service.copy_image(caller, image, destinations)
    if kind in ("share", "unshare"):
        image = _pick(draw, images)
        receivers = draw(st.lists(accounts, min_size=1, max_size=2, unique=True))
        method = service.share_image if kind == "share" else service.unshare_image
        return lambda: method(caller, image, receivers)
    if kind == "delete":
        chosen = draw(st.lists(st.sampled_from(images), min_size=1, max_size=2, unique=True))
        return lambda: service.delete_images(caller, chosen)
    if kind == "modify":
        image, name = _pick(draw, images), draw(image_names)
        return lambda: service.modify_image(caller, image, name=name)
    if kind == "trust":
        trusted = draw(st.none() | st.lists(accounts, max_size=2, unique=True))
        return lambda: service.set_trusted_sharers(caller, trusted)
    image = _pick(draw, images)
    return lambda: (service.complete if kind == "complete" else service.fail)(image)


#: Limits small enough that random operations run into them.
SMALL_LIMITS = Limits(custom_images_per_region=3, accounts_per_shared_image=2)


@st.composite
def catalogs(
    draw: st.DrawFn,
    *,
    limits: Limits = SMALL_LIMITS,
    max_operations: int = 30,
    instant: bool | None = None,
) -> ImageService:
    """A service reached through a random sequence of operations (refusals included)."""
    service = new_catalog(limits, instant=draw(st.booleans()) if instant is None else instant)
    for _ in range(draw(st.integers(min_value=0, max_value=max_operations))):
        with contextlib.suppress(ImageCatalogError):
            _operation(draw, service)()
    return service


@st.composite
def any_operation(draw: st.DrawFn, service: ImageService) -> Callable[[], Any]:
    """Any operation on *service*, arguments possibly malformed."""
    if draw(st.booleans()):
        return _operation(draw, service)
    caller = draw(callers | st.sampled_from(["", "abc", "1" * 21]))
    image = draw(image_ids | malformed_image_ids)
    name = draw(valid_names | invalid_names)
    region = draw(all_regions | st.just("ap-nowhere"))
    choice = draw(st.integers(min_value=0, max_value=6))
    calls: list[Callable[[], Any]] = [
        lambda: service.get_image(caller, image),
        lambda: service.describe_images(caller, region, name=name),
        lambda: service.copy_image(caller, image, [region]),
        lambda: service.share_image(caller, image, [caller]),
        lambda: service.modify_image(caller, image, name=name),
        lambda: service.delete_images(caller, [image]),
        lambda: service.image_quota(caller, region),
    ]
    return calls[choice]


def normal_images(service: ImageService) -> list[str]:
    """IDs of the catalog's NORMAL custom images."""
    return sorted(
        image.id
        for image in service.repository.images()
        if image.owner is not None and image.state is ImageState.NORMAL
    )
