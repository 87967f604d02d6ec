"""The repository contract: prove a store behaves like the in-memory one.

Two parts, both parametrised by a factory that makes an empty repository:

* :class:`RepositoryContract`, a pytest test class to subclass: unit tests of
  every :class:`~imagecatalog.ImageRepository` method and of its unit of work,
  and a run of the stateful machine below on top of the store;
* :func:`catalog_machine`, a Hypothesis ``RuleBasedStateMachine`` that drives an
  :class:`~imagecatalog.ImageService` on the store through random sequences of
  every operation beside a naive reference model written from SPEC §3 alone
  (dictionaries and loops, no indexes, no code shared with the service).  After
  every step both must agree on every answer and error code, a call that raised
  must have changed nothing, and the invariants must hold.

Needs pytest and Hypothesis (``pip install "imagecatalog[testing]"``)::

    from imagecatalog.testing.contract import RepositoryContract

    class TestMyStore(RepositoryContract):
        def make_repository(self):
            return MyStore(dsn=...)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from imagecatalog.accounts import Account
from imagecatalog.exceptions import ImageCatalogError
from imagecatalog.images import (
    Architecture,
    Image,
    ImageOrigin,
    ImageState,
    LicenceType,
    OsType,
    SharePermission,
)
from imagecatalog.instances import Instance
from imagecatalog.limits import Limits
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.regions import Region
from imagecatalog.repository import ImageRepository
from imagecatalog.service import ImageService
from imagecatalog.testing import catalog_state
from imagecatalog.testing.strategies import CATALOG_NAMES, new_catalog

__all__ = ["CatalogMachine", "RepositoryContract", "catalog_machine"]

ACCOUNTS = ("100000000001", "100000000002", "100000000003", "100000000004")
STRANGER = "100000000099"  # well formed, never registered
REGIONS = ("ap-guangzhou", "ap-singapore", "eu-frankfurt")
NAMES = CATALOG_NAMES

QUOTA = 2
SHARE_LIMIT = 2
IN_PROGRESS = {"CREATING", "SYNCING", "IMPORTING"}
KIND_ORDER = {"PUBLIC_IMAGE": 0, "PRIVATE_IMAGE": 1, "SHARED_IMAGE": 2}


class Refused(Exception):  # noqa: N818 - a verdict, not an error
    """The model's verdict: the call must fail with this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ModelImage:
    owner: str | None
    region: str
    name: str
    state: str
    byol: bool
    sequence: int
    shares: list[str] = field(default_factory=list)


class Model:
    """What SPEC §3 says the catalog holds, kept as plainly as possible."""

    def __init__(self) -> None:
        self.accounts = set(ACCOUNTS)
        self.images: dict[str, ModelImage] = {}
        self.instances: dict[str, tuple[str, str, bool]] = {}  # owner, region, byol
        self.trust: dict[str, set[str] | None] = dict.fromkeys(ACCOUNTS)
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def kind(self, viewer: str, image_id: str) -> str | None:
        image = self.images.get(image_id)
        if image is None:
            return None
        if image.owner is None:
            return "PUBLIC_IMAGE"
        if image.owner == viewer:
            return "PRIVATE_IMAGE"
        if viewer in image.shares:
            return "SHARED_IMAGE"
        return None

    def caller(self, account: str) -> None:
        if account not in self.accounts:
            raise Refused("InvalidAccountId.NotFound")

    def visible(self, viewer: str, image_id: str) -> tuple[ModelImage, str]:
        kind = self.kind(viewer, image_id)
        if kind is None:
            raise Refused("InvalidImageId.NotFound")
        return self.images[image_id], kind

    def owned(self, viewer: str, image_id: str, public_code: str, shared_code: str) -> ModelImage:
        image, kind = self.visible(viewer, image_id)
        if kind == "PUBLIC_IMAGE":
            raise Refused(public_code)
        if kind == "SHARED_IMAGE":
            raise Refused(shared_code)
        return image

    def room(self, owner: str, region: str, name: str) -> None:
        mine = [i for i in self.images.values() if i.owner == owner and i.region == region]
        if any(image.name == name for image in mine):
            raise Refused("InvalidImageName.Duplicate")
        if len(mine) >= QUOTA:
            raise Refused("ImageQuotaLimitExceeded")


#: Stands for "the owner of the image this rule picked" in the caller strategies.
OWNER = "owner"
#: Callers of owner-only operations: usually the owner, so that the machine gets
#: deep quickly, sometimes another account or one that does not exist.
MOSTLY_OWNER = st.sampled_from((OWNER, OWNER, OWNER, OWNER, *ACCOUNTS, STRANGER))
#: Accounts to share with: registered ones, now and then an unknown one.
RECEIVERS = st.sampled_from((*ACCOUNTS, *ACCOUNTS, STRANGER))
NOT_BELONG = "UnauthorizedOperation.ImageNotBelongToAccount"
INVALID_IMAGE_ID = "InvalidParameterValue.InvalidImageId"


class CatalogMachine(RuleBasedStateMachine):
    """Drives :class:`ImageService` and :class:`Model` side by side."""

    publics = Bundle("publics")
    customs = Bundle("customs")
    instances = Bundle("instances")

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.instant = False
        self.service: ImageService = self.new_service()

    #: Makes the repository each run starts from; set by :func:`catalog_machine`.
    repository_factory: Callable[[], ImageRepository] = InMemoryImageRepository

    def new_service(self) -> ImageService:
        limits = Limits(custom_images_per_region=QUOTA, accounts_per_shared_image=SHARE_LIMIT)
        return new_catalog(
            limits,
            accounts=len(ACCOUNTS),
            regions=REGIONS,
            instant=self.instant,
            repository=type(self).repository_factory(),
        )

    def owner_or(self, caller: str, image: str) -> str:
        """*caller*, where ``OWNER`` stands for the image's owner (most rules are
        worth trying as the owner, so the machine reaches deep states quickly)."""
        if caller != OWNER:
            return caller
        found = self.model.images.get(image)
        return ACCOUNTS[0] if found is None or found.owner is None else found.owner

    @property
    def new_state(self) -> Callable[[str], str]:
        return lambda pending: "NORMAL" if self.instant else pending

    # Running one call on both sides -------------------------------------------------

    def run(self, call: Callable[[], Any], verdict: Callable[[], Any]) -> tuple[Any, Any] | None:
        """Ask the model for its verdict, then make the call.

        If the model refuses, the call must raise the same code and change
        nothing, and None is returned.  Otherwise the call must succeed, and
        ``(result, what the verdict returned)`` is returned.
        """
        try:
            expected = verdict()
        except Refused as refusal:
            code = refusal.code
        else:
            return call(), expected
        before = catalog_state(self.service)
        try:
            call()
        except ImageCatalogError as error:
            raised = error
        else:
            raise AssertionError(f"the service accepted what the model refuses ({code})")
        assert raised.code == code, f"expected {code}, got {raised.code}: {raised}"
        assert catalog_state(self.service) == before, "a refused call changed the catalog"
        return None

    @initialize(target=publics, instant=st.booleans())
    def public_images(self, instant: bool) -> Any:
        """Start from the public images, in instant or step-by-step mode."""
        self.instant = instant
        self.service = self.new_service()
        ids = []
        for image in self.service.repository.images():
            self.model.images[image.id] = ModelImage(
                owner=None,
                region=image.region.id,
                name=image.name,
                state="NORMAL",
                byol=False,
                sequence=self.model.next_sequence(),
            )
            ids.append(image.id)
        return multiple(*ids)

    def work_in_progress(self) -> bool:
        return any(image.state in IN_PROGRESS for image in self.model.images.values())

    # Rules ---------------------------------------------------------------------------

    @rule(
        target=instances,
        caller=st.sampled_from((*ACCOUNTS, STRANGER)),
        image=st.one_of(customs, publics),
    )
    def launch(self, caller: str, image: str) -> Any:
        model = self.model
        caller = self.owner_or(caller, image)

        def verdict() -> None:
            model.caller(caller)
            found, kind = model.visible(caller, image)
            if found.state != "NORMAL":
                raise Refused("InvalidParameterValue.InvalidImageState")
            trusted = model.trust[caller]
            if kind == "SHARED_IMAGE" and trusted is not None and found.owner not in trusted:
                raise Refused("UnauthorizedOperation.UntrustedSharedImage")

        outcome = self.run(lambda: self.service.launch_instance(caller, image), verdict)
        if outcome is None:
            return multiple()
        instance = outcome[0]
        found = model.images[image]
        model.instances[instance.id] = (caller, found.region, found.byol)
        assert instance.region.id == found.region and instance.image_id == image
        return instance.id

    @rule(target=customs, caller=MOSTLY_OWNER, instance=instances, name=st.sampled_from(NAMES))
    def create(self, caller: str, instance: str, name: str) -> Any:
        model = self.model
        if caller == OWNER:
            caller = model.instances[instance][0]

        def verdict() -> None:
            model.caller(caller)
            owner, region, _ = model.instances[instance]
            if owner != caller:
                raise Refused("InvalidInstanceId.NotFound")
            model.room(caller, region, name)

        outcome = self.run(lambda: self.service.create_image(caller, instance, name=name), verdict)
        if outcome is None:
            return multiple()
        image = outcome[0]
        _, region, byol = model.instances[instance]
        model.images[image.id] = ModelImage(
            owner=caller,
            region=region,
            name=name,
            state=self.new_state("CREATING"),
            byol=byol,
            sequence=model.next_sequence(),
        )
        return image.id

    @rule(
        target=customs,
        caller=st.sampled_from((*ACCOUNTS, STRANGER)),
        region=st.sampled_from(REGIONS),
        name=st.sampled_from(NAMES),
        byol=st.sampled_from([False, False, False, True]),
    )
    def import_image(self, caller: str, region: str, name: str, byol: bool) -> Any:
        model = self.model

        def verdict() -> None:
            model.caller(caller)
            model.room(caller, region, name)

        outcome = self.run(
            lambda: self.service.import_image(
                caller,
                region,
                name=name,
                platform="Ubuntu",
                os_version="22.04",
                architecture="x86_64",
                licence_type="BYOL" if byol else "TencentCloud",
                image_url="https://b-1.cos.ap-guangzhou.myqcloud.com/u.qcow2",
            ),
            verdict,
        )
        if outcome is None:
            return multiple()
        image = outcome[0]
        model.images[image.id] = ModelImage(
            owner=caller,
            region=region,
            name=name,
            state=self.new_state("IMPORTING"),
            byol=byol,
            sequence=model.next_sequence(),
        )
        return image.id

    @rule(
        target=customs,
        caller=MOSTLY_OWNER,
        image=customs,
        destinations=st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2, unique=True),
    )
    def copy(self, caller: str, image: str, destinations: list[str]) -> Any:
        model = self.model
        caller = self.owner_or(caller, image)

        def verdict() -> None:
            model.caller(caller)
            source = model.owned(caller, image, INVALID_IMAGE_ID, NOT_BELONG)
            if source.state != "NORMAL":
                raise Refused("InvalidParameterValue.InvalidImageState")
            if source.region in destinations:
                raise Refused("InvalidParameterValue.InvalidRegion")
            for destination in destinations:
                model.room(caller, destination, source.name)

        outcome = self.run(lambda: self.service.copy_image(caller, image, destinations), verdict)
        if outcome is None:
            return multiple()
        copies = outcome[0]
        source = model.images[image]
        assert [copy.region.id for copy in copies] == destinations
        for copy in copies:
            model.images[copy.id] = ModelImage(
                owner=caller,
                region=copy.region.id,
                name=source.name,
                state=self.new_state("SYNCING"),
                byol=source.byol,
                sequence=model.next_sequence(),
            )
        return multiple(*(copy.id for copy in copies))

    @precondition(work_in_progress)
    @rule(image=customs)
    def complete(self, image: str) -> None:
        model = self.model

        def verdict() -> None:
            if model.images.get(image) is None:
                raise Refused("InvalidImageId.NotFound")
            if model.images[image].state not in IN_PROGRESS:
                raise Refused("InvalidParameterValue.InvalidImageState")

        outcome = self.run(lambda: self.service.complete(image), verdict)
        if outcome is not None:
            model.images[image].state = "NORMAL"
            assert outcome[0].state.value == "NORMAL"

    @precondition(work_in_progress)
    @rule(image=customs)
    def fail(self, image: str) -> None:
        model = self.model

        def verdict() -> str:
            if model.images.get(image) is None:
                raise Refused("InvalidImageId.NotFound")
            if model.images[image].state not in IN_PROGRESS:
                raise Refused("InvalidParameterValue.InvalidImageState")
            return model.images[image].state

        outcome = self.run(lambda: self.service.fail(image), verdict)
        if outcome is None:
            return
        result, was = outcome
        if was == "SYNCING":  # a failed copy disappears
            assert result is None
            del model.images[image]
        else:
            failed = {"CREATING": "CREATEFAILED", "IMPORTING": "IMPORTFAILED"}[was]
            assert result is not None and result.state.value == failed
            model.images[image].state = failed

    @rule(
        caller=MOSTLY_OWNER,
        image=customs,
        receivers=st.lists(RECEIVERS, min_size=1, max_size=3, unique=True),
    )
    def share(self, caller: str, image: str, receivers: list[str]) -> None:
        model = self.model
        caller = self.owner_or(caller, image)

        def verdict() -> None:
            model.caller(caller)
            found = model.owned(caller, image, NOT_BELONG, NOT_BELONG)
            if found.state != "NORMAL":
                raise Refused("InvalidParameterValue.InvalidImageState")
            if found.byol:
                raise Refused("FailedOperation.BYOLImageShareFailed")
            if caller in receivers:
                raise Refused("FailedOperation.AccountIsYourSelf")
            if any(receiver not in model.accounts for receiver in receivers):
                raise Refused("InvalidAccountId.NotFound")
            if any(receiver in found.shares for receiver in receivers):
                raise Refused("FailedOperation.AccountAlreadyExists")
            if len(found.shares) + len(receivers) > SHARE_LIMIT:
                raise Refused("OverQuota")

        if self.run(lambda: self.service.share_image(caller, image, receivers), verdict):
            model.images[image].shares.extend(receivers)

    @rule(
        caller=MOSTLY_OWNER,
        image=customs,
        receivers=st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=2, unique=True),
    )
    def unshare(self, caller: str, image: str, receivers: list[str]) -> None:
        model = self.model
        caller = self.owner_or(caller, image)

        def verdict() -> None:
            model.caller(caller)
            found = model.owned(caller, image, NOT_BELONG, NOT_BELONG)
            if caller in receivers:
                raise Refused("FailedOperation.AccountIsYourSelf")
            if any(receiver not in found.shares for receiver in receivers):
                raise Refused("FailedOperation.AccountNotShared")

        if self.run(lambda: self.service.unshare_image(caller, image, receivers), verdict):
            found = model.images[image]
            found.shares = [account for account in found.shares if account not in receivers]

    @rule(caller=MOSTLY_OWNER, image=customs, name=st.sampled_from(NAMES))
    def modify(self, caller: str, image: str, name: str) -> None:
        model = self.model
        caller = self.owner_or(caller, image)

        def verdict() -> None:
            model.caller(caller)
            found = model.owned(
                caller, image, NOT_BELONG, "UnsupportedOperation.SharedImageModifyUnsupported"
            )
            if found.state in IN_PROGRESS:
                raise Refused("InvalidImageId.IncorrectState")
            if any(
                other.name == name
                and other is not found
                and other.owner == caller
                and other.region == found.region
                for other in model.images.values()
            ):
                raise Refused("InvalidImageName.Duplicate")

        if self.run(lambda: self.service.modify_image(caller, image, name=name), verdict):
            model.images[image].name = name

    @rule(caller=MOSTLY_OWNER, chosen=st.lists(customs, min_size=1, max_size=2, unique=True))
    def delete(self, caller: str, chosen: list[str]) -> None:
        model = self.model
        caller = self.owner_or(caller, chosen[0])

        def verdict() -> None:
            model.caller(caller)
            for image in chosen:
                found = model.owned(
                    caller,
                    image,
                    INVALID_IMAGE_ID,
                    "InvalidParameterValue.InvalidImageIdIsShared",
                )
                if found.state in IN_PROGRESS:
                    raise Refused("InvalidImageId.IncorrectState")
                if found.shares:
                    raise Refused("InvalidImageId.InShared")

        if self.run(lambda: self.service.delete_images(caller, chosen), verdict) is not None:
            for image in chosen:
                del model.images[image]

    @rule(
        caller=st.sampled_from((*ACCOUNTS, STRANGER)),
        trusted=st.none()
        | st.lists(st.sampled_from((*ACCOUNTS, STRANGER)), max_size=2, unique=True),
    )
    def trust(self, caller: str, trusted: list[str] | None) -> None:
        model = self.model

        def verdict() -> None:
            model.caller(caller)
            if trusted is not None and any(t not in model.accounts for t in trusted):
                raise Refused("InvalidAccountId.NotFound")

        if self.run(lambda: self.service.set_trusted_sharers(caller, trusted), verdict):
            model.trust[caller] = None if trusted is None else set(trusted)
            expected = None if trusted is None else {Account(id=t) for t in trusted}
            assert self.service.trusted_sharers(caller) == expected

    @rule(
        what=st.sampled_from(["get", "permissions", "quota"]),
        caller=MOSTLY_OWNER,
        image=st.one_of(customs, publics),
        region=st.sampled_from(REGIONS),
    )
    def look(self, what: str, caller: str, image: str, region: str) -> None:
        """Read without changing anything: one image, its shares, or a quota."""
        if what == "get":
            self.get(self.owner_or(caller, image), image)
        elif what == "permissions":
            self.permissions(caller, image)
        else:
            self.quota(self.owner_or(caller, image), region)

    def get(self, caller: str, image: str) -> None:
        model = self.model

        def verdict() -> str:
            model.caller(caller)
            return model.visible(caller, image)[1]

        outcome = self.run(lambda: self.service.get_image(caller, image), verdict)
        if outcome is not None:
            seen, kind = outcome
            seen_kind = seen.kind_for(caller)
            assert seen_kind is not None and seen_kind.value == kind

    def permissions(self, caller: str, image: str) -> None:
        model = self.model

        caller = self.owner_or(caller, image)

        def verdict() -> list[str]:
            model.caller(caller)
            return list(model.owned(caller, image, NOT_BELONG, NOT_BELONG).shares)

        outcome = self.run(lambda: self.service.share_permissions(caller, image), verdict)
        if outcome is not None:
            permissions, expected = outcome
            assert [p.account.id for p in permissions] == expected

    @rule(
        image=publics,
        operation=st.sampled_from(["copy", "share", "unshare", "modify", "delete", "permissions"]),
    )
    def owner_operation_on_public_image(self, image: str, operation: str) -> None:
        """Public images belong to the provider: every owner-only operation is refused."""
        caller = ACCOUNTS[0]
        if operation == "copy":
            self.copy(caller, image, ["eu-frankfurt"])
        elif operation == "share":
            self.share(caller, image, [ACCOUNTS[1]])
        elif operation == "unshare":
            self.unshare(caller, image, [ACCOUNTS[1]])
        elif operation == "modify":
            self.modify(caller, image, NAMES[0])
        elif operation == "delete":
            self.delete(caller, [image])
        else:
            self.permissions(caller, image)

    @rule(
        caller=st.sampled_from((*ACCOUNTS, STRANGER)),
        region=st.sampled_from(REGIONS),
        kinds=st.none()
        | st.lists(st.sampled_from(list(KIND_ORDER)), min_size=1, max_size=3, unique=True),
        offset=st.integers(min_value=0, max_value=6),
        limit=st.integers(1, 5),
    )
    def describe(
        self, caller: str, region: str, kinds: list[str] | None, offset: int, limit: int
    ) -> None:
        model = self.model

        def verdict() -> list[str]:
            model.caller(caller)
            seen = [
                (KIND_ORDER[kind], image.sequence, image_id)
                for image_id, image in model.images.items()
                if image.region == region
                and (kind := model.kind(caller, image_id)) is not None
                and (kinds is None or kind in kinds)
            ]
            return [image_id for _, _, image_id in sorted(seen)]

        outcome = self.run(
            lambda: self.service.describe_images(
                caller, region, kinds=kinds, offset=offset, limit=limit
            ),
            verdict,
        )
        if outcome is not None:
            page, expected = outcome
            assert [image.id for image in page.items] == expected[offset : offset + limit]
            assert page.total_count == len(expected)

    def quota(self, caller: str, region: str) -> None:
        model = self.model

        def verdict() -> int:
            model.caller(caller)
            return sum(1 for i in model.images.values() if i.owner == caller and i.region == region)

        outcome = self.run(lambda: self.service.image_quota(caller, region), verdict)
        if outcome is not None:
            quota, used = outcome
            assert (quota.used, quota.limit) == (used, QUOTA)

    # Invariants ----------------------------------------------------------------------

    @invariant()
    def service_holds_what_the_model_holds(self) -> None:
        stored = {image.id: image for image in self.service.repository.images()}
        assert set(stored) == set(self.model.images)
        for image_id, expected in self.model.images.items():
            image = stored[image_id]
            assert (image.owner.id if image.owner else None) == expected.owner
            assert (image.region.id, image.name, image.state.value) == (
                expected.region,
                expected.name,
                expected.state,
            )
            assert [share.account.id for share in image.shared_with] == expected.shares

    @invariant()
    def limits_hold(self) -> None:
        for account in ACCOUNTS:
            for region in REGIONS:
                assert self.service.image_quota(account, region).used <= QUOTA
        for image in self.service.repository.images():
            assert len(image.shared_with) <= SHARE_LIMIT

    @invariant()
    def indexes_agree_with_a_full_scan(self) -> None:
        repository = self.service.repository
        everything = list(repository.images())
        for account_id in ACCOUNTS:
            account = Account(id=account_id)
            for region_id in REGIONS:
                region = Region.of(region_id)
                in_region = [i for i in everything if i.region == region]
                own = {i.id for i in in_region if i.owner == account}
                shared = {i.id for i in in_region if account_id in i.shared_account_ids}
                public = {i.id for i in in_region if i.owner is None}
                assert {i.id for i in repository.custom_images(account, region)} == own
                assert {i.id for i in repository.images_shared_with(account, region)} == shared
                assert {i.id for i in repository.public_images(region)} == public
                assert repository.count_custom_images(account, region) == len(own)
                for image in in_region:
                    if image.owner == account:
                        assert repository.find_custom_image(account, region, image.name) == image


def catalog_machine(
    repository_factory: Callable[[], ImageRepository] = InMemoryImageRepository,
) -> type[CatalogMachine]:
    """The catalog machine running on repositories made by *repository_factory*.

    Use its ``TestCase`` in a test module (``TestCatalog = catalog_machine(f).TestCase``)
    or run it with ``hypothesis.stateful.run_state_machine_as_test``.
    """
    factory = staticmethod(repository_factory)
    return type(
        f"CatalogMachineOn{getattr(repository_factory, '__name__', 'Store')}",
        (CatalogMachine,),
        {"repository_factory": factory},
    )


_GUANGZHOU = Region.of("ap-guangzhou")
_SINGAPORE = Region.of("ap-singapore")
_ALICE = Account(id=ACCOUNTS[0])
_BOB = Account(id=ACCOUNTS[1])


def _sample_images() -> tuple[Image, Image, Image]:
    """A public image, and two of Alice's custom images in ap-guangzhou."""
    when = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    common: dict[str, Any] = {
        "region": _GUANGZHOU,
        "os_type": OsType.LINUX,
        "platform": "Ubuntu",
        "os_name": "Ubuntu Server 22.04 LTS 64bit",
        "architecture": Architecture.X86_64,
        "size_gb": 20,
        "state": ImageState.NORMAL,
        "created_at": when,
    }
    public = Image(
        id="img-pub00001",
        name="Ubuntu Server 22.04 LTS 64bit",
        owner=None,
        origin=ImageOrigin.OFFICIAL,
        **common,
    )
    web = Image(
        id="img-web00001",
        name="web-golden",
        owner=_ALICE,
        origin=ImageOrigin.CREATE_IMAGE,
        **common,
    )
    db = Image(
        id="img-db000001",
        name="db-primary",
        owner=_ALICE,
        origin=ImageOrigin.CREATE_IMAGE,
        **common,
    )
    return public, web, db


def _shared(image: Image, *accounts: Account) -> Image:
    when = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    return attrs.evolve(
        image, shared_with=[SharePermission(account=a, shared_at=when) for a in accounts]
    )


class RepositoryContract:
    """Tests every :class:`~imagecatalog.ImageRepository` must pass.

    Subclass it in a test module under a name pytest collects (``TestMyStore``)
    and define :meth:`make_repository` to return a new, empty store.  The
    in-memory store passes it; so must yours.  Set ``stateful_settings`` to tune
    the run of the catalog machine on your store.
    """

    #: Hypothesis settings for the stateful part (defaults: the loaded profile,
    #: 100 steps per run).
    stateful_settings: settings | None = None

    def make_repository(self) -> ImageRepository:
        """A new, empty repository of the kind under test."""
        raise NotImplementedError("define make_repository() in your RepositoryContract subclass")

    # Accounts and trust ------------------------------------------------------------

    def test_accounts_are_stored_in_order(self) -> None:
        repository = self.make_repository()
        assert list(repository.accounts()) == []
        assert not repository.has_account(_ALICE.id)
        with repository.transaction():
            repository.add_account(_ALICE)
            repository.add_account(_BOB)
        assert repository.has_account(_ALICE.id) and repository.has_account(_BOB.id)
        assert list(repository.accounts()) == [_ALICE, _BOB]

    def test_trust_lists_are_replaced_and_removed(self) -> None:
        repository = self.make_repository()
        with repository.transaction():
            repository.add_account(_ALICE)
        assert repository.trusted_sharers(_ALICE.id) is None
        with repository.transaction():
            repository.set_trusted_sharers(_ALICE.id, frozenset({_BOB.id}))
        assert repository.trusted_sharers(_ALICE.id) == frozenset({_BOB.id})
        with repository.transaction():
            repository.set_trusted_sharers(_ALICE.id, frozenset())
        assert repository.trusted_sharers(_ALICE.id) == frozenset()
        with repository.transaction():
            repository.set_trusted_sharers(_ALICE.id, None)
        assert repository.trusted_sharers(_ALICE.id) is None

    # Images and their indexes ----------------------------------------------------------

    def test_images_are_indexed_by_kind_owner_and_region(self) -> None:
        repository = self.make_repository()
        public, web, db = _sample_images()
        with repository.transaction():
            repository.add_account(_ALICE)
            repository.add_account(_BOB)
            for image in (public, web, _shared(db, _BOB)):
                repository.add_image(image)
        assert repository.get_image(web.id) == web
        assert repository.get_image("img-00000000") is None
        assert [i.id for i in repository.public_images(_GUANGZHOU)] == [public.id]
        assert list(repository.public_images(_SINGAPORE)) == []
        assert {i.id for i in repository.custom_images(_ALICE, _GUANGZHOU)} == {web.id, db.id}
        assert list(repository.custom_images(_BOB, _GUANGZHOU)) == []
        assert [i.id for i in repository.images_shared_with(_BOB, _GUANGZHOU)] == [db.id]
        assert list(repository.images_shared_with(_BOB, _SINGAPORE)) == []
        assert list(repository.images_shared_with(_ALICE, _GUANGZHOU)) == []
        assert repository.count_custom_images(_ALICE, _GUANGZHOU) == 2
        assert repository.count_custom_images(_ALICE, _SINGAPORE) == 0
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") == web
        assert repository.find_custom_image(_ALICE, _SINGAPORE, "web-golden") is None
        assert repository.find_custom_image(_BOB, _GUANGZHOU, "web-golden") is None
        assert {i.id for i in repository.images()} == {public.id, web.id, db.id}

    def test_replacing_an_image_moves_its_index_entries(self) -> None:
        repository = self.make_repository()
        _, web, _ = _sample_images()
        with repository.transaction():
            repository.add_image(_shared(web, _BOB))
        renamed = attrs.evolve(web, name="web-golden-v2", shared_with=())
        with repository.transaction():
            repository.replace_image(renamed)
        assert repository.get_image(web.id) == renamed
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") is None
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "web-golden-v2") == renamed
        assert list(repository.images_shared_with(_BOB, _GUANGZHOU)) == []
        assert repository.count_custom_images(_ALICE, _GUANGZHOU) == 1

    def test_listings_come_in_listing_order(self) -> None:
        """Each listing yields images by ``created_at``, then by ID, however they
        were added, renamed or shared."""
        repository = self.make_repository()
        public, web, db = _sample_images()
        early = datetime(2026, 1, 1, tzinfo=UTC)
        late = datetime(2026, 12, 1, tzinfo=UTC)
        newest = attrs.evolve(web, created_at=late)
        oldest = attrs.evolve(db, created_at=early)
        twin = attrs.evolve(web, id="img-aaaaaaaa", name="twin", created_at=late)
        with repository.transaction():
            for image in (newest, oldest, twin):
                repository.add_image(_shared(image, _BOB))
            repository.add_image(attrs.evolve(public, created_at=late))
            repository.add_image(attrs.evolve(public, id="img-pub00000", created_at=early))
        expected = [oldest.id, twin.id, newest.id]
        assert [i.id for i in repository.custom_images(_ALICE, _GUANGZHOU)] == expected
        assert [i.id for i in repository.images_shared_with(_BOB, _GUANGZHOU)] == expected
        assert [i.id for i in repository.public_images(_GUANGZHOU)] == [
            "img-pub00000",
            public.id,
        ]
        assert [i.id for i in repository.custom_images(_ALICE, _GUANGZHOU, 1, 2)] == [twin.id]
        assert [i.id for i in repository.images_shared_with(_BOB, _GUANGZHOU, 1)] == expected[1:]
        assert list(repository.public_images(_GUANGZHOU, 2, 5)) == []
        assert repository.count_public_images(_GUANGZHOU) == 2
        assert repository.count_images_shared_with(_BOB, _GUANGZHOU) == 3
        assert repository.count_images_shared_with(_BOB, _SINGAPORE) == 0
        with repository.transaction():
            repository.replace_image(attrs.evolve(_shared(oldest, _BOB), name="renamed"))
            repository.replace_image(oldest)  # unshared ...
            repository.replace_image(_shared(oldest, _BOB))  # ... and shared again
        assert [i.id for i in repository.custom_images(_ALICE, _GUANGZHOU)] == expected
        assert [i.id for i in repository.images_shared_with(_BOB, _GUANGZHOU)] == expected
        with repository.transaction():
            repository.replace_image(attrs.evolve(_shared(oldest, _BOB), name="renamed"))
        (first, *_) = repository.images_shared_with(_BOB, _GUANGZHOU)
        assert first.name == "renamed"  # a receiver never sees a stale copy

    def test_removing_an_image_forgets_it_everywhere(self) -> None:
        repository = self.make_repository()
        public, web, _ = _sample_images()
        with repository.transaction():
            repository.add_image(public)
            repository.add_image(_shared(web, _BOB))
        with repository.transaction():
            repository.remove_image(web.id)
            repository.remove_image(public.id)
        assert repository.get_image(web.id) is None
        assert list(repository.images()) == []
        assert list(repository.public_images(_GUANGZHOU)) == []
        assert list(repository.custom_images(_ALICE, _GUANGZHOU)) == []
        assert list(repository.images_shared_with(_BOB, _GUANGZHOU)) == []
        assert repository.count_custom_images(_ALICE, _GUANGZHOU) == 0
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") is None

    def test_instances_are_stored(self) -> None:
        repository = self.make_repository()
        instance = Instance(
            id="ins-r8hr2upy",
            owner=_ALICE,
            region=_GUANGZHOU,
            image_id="img-pub00001",
            os_type=OsType.LINUX,
            platform="Ubuntu",
            os_name="Ubuntu Server 22.04 LTS 64bit",
            architecture=Architecture.X86_64,
            system_disk_gb=20,
            licence_type=LicenceType.TENCENT_CLOUD,
            launched_at=datetime(2026, 11, 27, tzinfo=UTC),
        )
        assert repository.get_instance(instance.id) is None
        with repository.transaction():
            repository.add_instance(instance)
        assert repository.get_instance(instance.id) == instance
        assert list(repository.instances()) == [instance]

    # The unit of work ------------------------------------------------------------------

    def test_a_failed_unit_of_work_leaves_no_trace(self) -> None:
        repository = self.make_repository()
        public, web, db = _sample_images()
        with repository.transaction():
            repository.add_account(_ALICE)
            repository.add_image(web)

        class BoomError(Exception):
            pass

        def unit_of_work() -> None:
            with repository.transaction():
                repository.add_account(_BOB)
                repository.set_trusted_sharers(_ALICE.id, frozenset({_BOB.id}))
                repository.add_image(public)
                repository.add_image(db)
                repository.replace_image(_shared(attrs.evolve(web, name="renamed"), _BOB))
                repository.remove_image(db.id)
                raise BoomError

        with contextlib.suppress(BoomError):
            unit_of_work()
        assert list(repository.accounts()) == [_ALICE]
        assert repository.trusted_sharers(_ALICE.id) is None
        assert list(repository.images()) == [web]
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") == web
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "renamed") is None
        assert list(repository.images_shared_with(_BOB, _GUANGZHOU)) == []
        assert list(repository.public_images(_GUANGZHOU)) == []

    def test_a_nested_unit_of_work_is_a_savepoint(self) -> None:
        """A nested block that raises undoes its own writes only; the outer block
        goes on and keeps the rest."""
        repository = self.make_repository()
        public, web, db = _sample_images()
        with repository.transaction():
            repository.add_image(web)
            with contextlib.suppress(LookupError), repository.transaction():
                repository.add_image(db)
                repository.replace_image(attrs.evolve(web, name="renamed"))
                assert repository.get_image(db.id) == db  # reads see own writes
                raise LookupError
            assert repository.get_image(db.id) is None
            assert repository.get_image(web.id) == web
            with repository.transaction():
                repository.add_image(public)
        assert {image.id for image in repository.images()} == {web.id, public.id}
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "renamed") is None
        assert repository.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") == web

    def test_the_outer_unit_of_work_undoes_its_committed_savepoints(self) -> None:
        repository = self.make_repository()
        _, web, db = _sample_images()

        def outer() -> None:
            with repository.transaction():
                with repository.transaction():
                    repository.add_image(web)
                    with repository.transaction():
                        repository.add_image(db)
                assert repository.get_image(web.id) == web  # reads see own writes
                raise LookupError

        with contextlib.suppress(LookupError):
            outer()
        assert repository.get_image(web.id) is None
        assert repository.get_image(db.id) is None
        assert list(repository.images()) == []

    # The whole catalog on top of the store ---------------------------------------------

    def test_service_on_this_store_behaves_like_the_reference_model(self) -> None:
        machine = catalog_machine(self.make_repository)
        run_state_machine_as_test(
            machine,
            settings=self.stateful_settings
            or settings(
                settings(), stateful_step_count=100, max_examples=max(settings().max_examples, 100)
            ),
        )
