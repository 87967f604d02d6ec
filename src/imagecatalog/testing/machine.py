"""The catalog machine: random sequences of every operation, beside a reference model.

:class:`CatalogMachine` is a Hypothesis ``RuleBasedStateMachine`` that drives an
:class:`~imagecatalog.ImageService` through random sequences of every operation
(listings with every filter, nested units of work and dry runs included) beside
the naive :class:`~imagecatalog.testing.model.Model`.  After every step both
must agree on every answer and error code, a call that raised must have changed
nothing, and the catalog's invariants (:mod:`imagecatalog.invariants`) must hold.

Needs Hypothesis (``pip install "imagecatalog[testing]"``).  Run it on your own
store with :func:`catalog_machine`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from imagecatalog._deprecation import deprecated
from imagecatalog._legacy import LegacyStoreAdapter
from imagecatalog.accounts import Account
from imagecatalog.exceptions import ImageCatalogError
from imagecatalog.images import Image
from imagecatalog.invariants import catalog_violations
from imagecatalog.limits import Limits
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.query import ImageGroup, ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogStore
from imagecatalog.service import ImageService
from imagecatalog.testing import catalog_state
from imagecatalog.testing.model import (
    ACCOUNTS,
    ARCHITECTURES,
    IMPORTS,
    IN_PROGRESS,
    KIND_ORDER,
    QUOTA,
    REGIONS,
    SHARE_LIMIT,
    STRANGER,
    Model,
    ModelImage,
    Refused,
)
from imagecatalog.testing.strategies import CATALOG_NAMES, new_catalog

__all__ = ["CatalogMachine", "catalog_machine"]

NAMES = CATALOG_NAMES

#: Stands for "the owner of the image this rule picked" in the caller strategies.
OWNER = "owner"
#: Callers of owner-only operations: usually the owner, so that the machine gets
#: deep quickly, sometimes another account or one that does not exist.
#: The image families the machine puts images in.
FAMILIES = ("web-daily", "db-daily")
#: Stands for an account the image is shared with.
RECEIVER = "receiver"
MOSTLY_OWNER = st.sampled_from((OWNER, OWNER, OWNER, OWNER, *ACCOUNTS, STRANGER))
#: Accounts to share with: registered ones, now and then an unknown one.
RECEIVERS = st.sampled_from((*ACCOUNTS, *ACCOUNTS, STRANGER))
NOT_BELONG = "UnauthorizedOperation.ImageNotBelongToAccount"
INVALID_IMAGE_ID = "InvalidParameterValue.InvalidImageId"

#: Filter values the describe rule draws from: substrings of the names and
#: platforms in play (in other cases too), OS types and architectures.
NAME_PARTS = ("web", "DB", "golden", "ubuntu", "-", "zz")
PLATFORM_PARTS = ("ubu", "CENT", "win", "Ubuntu", "os")
OS_TYPES = ("Linux", "Windows")


class _Undone(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a nested unit of work to undo it."""


def _filters() -> st.SearchStrategy[dict[str, list[str]]]:
    """Some of DescribeImages' filters, with values that match now and then."""
    return st.fixed_dictionaries(
        {},
        optional={
            "kinds": st.lists(st.sampled_from(list(KIND_ORDER)), min_size=1, max_size=3),
            "names": st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=2),
            "platforms": st.lists(st.sampled_from(PLATFORM_PARTS), min_size=1, max_size=2),
            "os_types": st.lists(st.sampled_from(OS_TYPES), min_size=1, max_size=2),
            "architectures": st.lists(
                st.sampled_from(sorted(set(ARCHITECTURES.values()))), min_size=1, max_size=2
            ),
        },
    )


class CatalogMachine(RuleBasedStateMachine):
    """Drives :class:`ImageService` and :class:`Model` side by side."""

    publics = Bundle("publics")
    customs = Bundle("customs")
    instances = Bundle("instances")

    #: Makes the store each run starts from; set by :func:`catalog_machine`.
    store_factory: Callable[[], CatalogStore] = InMemoryImageRepository

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.instant = False
        self._stores: list[CatalogStore] = []
        self.service: ImageService = self.new_service()

    def teardown(self) -> None:
        """Close the stores this run made (a SQL store holds pooled connections)."""
        for store in self._stores:
            close = getattr(store, "close", None)
            if callable(close):
                close()
        self._stores.clear()

    def new_service(self) -> ImageService:
        limits = Limits(
            custom_images_per_region=QUOTA,
            accounts_per_shared_image=SHARE_LIMIT,
            receivers_may_copy=self.model.receivers_may_copy,
        )
        factory = type(self).store_factory
        old_factory = getattr(type(self), "repository_factory", None)
        if old_factory is not None:  # a subclass written for 0.1.0
            deprecated("CatalogMachine.repository_factory", "set store_factory instead")
            factory = old_factory
        store = factory()
        self._stores.append(store)
        return new_catalog(
            limits,
            accounts=len(ACCOUNTS),
            regions=REGIONS,
            instant=self.instant,
            store=store,
            strict_accounts=not self.model.open_accounts,
        )

    def owner_or(self, caller: str, image: str) -> str:
        """*caller*, where ``OWNER`` stands for the image's owner (most rules are
        worth trying as the owner, so the machine reaches deep states quickly)."""
        if caller != OWNER:
            return caller
        found = self.model.images.get(image)
        return ACCOUNTS[0] if found is None or found.owner is None else found.owner

    def new_state(self, pending: str) -> str:
        return "NORMAL" if self.instant else pending

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

    @initialize(
        target=publics,
        instant=st.booleans(),
        receivers_may_copy=st.booleans(),
        open_accounts=st.booleans(),
    )
    def public_images(self, instant: bool, receivers_may_copy: bool, open_accounts: bool) -> Any:
        """Start from the public images, in instant or step-by-step mode, under
        the seed's rules or the newest profile's (receivers may copy), with
        registered accounts only or every account (as the live API)."""
        self.instant = instant
        self.model.receivers_may_copy = receivers_may_copy
        # A store written to 0.1.0's protocol cannot remove an account again, so a
        # refused call that registered one (open accounts) could not be undone.
        self.model.open_accounts = open_accounts and not isinstance(
            self.service.store, LegacyStoreAdapter
        )
        self.service = self.new_service()
        ids = []
        for image in self.service.contents().images:
            self.model.images[image.id] = ModelImage(
                owner=None,
                region=image.region.id,
                name=image.name,
                state="NORMAL",
                byol=False,
                sequence=self.model.next_sequence(),
                platform=image.platform,
                os_type=image.os_type.value,
                architecture=image.architecture.value,
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

        def verdict() -> None:
            model.caller(caller)
            found, kind = model.visible(caller, image)
            if found.state != "NORMAL":
                raise Refused("InvalidParameterValue.InvalidImageState")
            trusted = model.trust.get(caller)
            if kind == "SHARED_IMAGE" and trusted is not None and found.owner not in trusted:
                raise Refused("UnauthorizedOperation.UntrustedSharedImage")

        outcome = self.run(lambda: self.service.launch_instance(caller, image), verdict)
        if outcome is None:
            return multiple()
        instance = outcome[0]
        found = model.images[image]
        model.instances[instance.id] = (
            caller,
            found.region,
            found.byol,
            found.platform,
            found.os_type,
            found.architecture,
        )
        assert instance.region.id == found.region and instance.image_id == image
        return instance.id

    @rule(target=customs, caller=MOSTLY_OWNER, instance=instances, name=st.sampled_from(NAMES))
    def create(self, caller: str, instance: str, name: str) -> Any:
        model = self.model
        if caller == OWNER:
            caller = model.instances[instance][0]

        def verdict() -> None:
            model.caller(caller)
            owner, region, *_ = model.instances[instance]
            if owner != caller:
                raise Refused("InvalidInstanceId.NotFound")
            model.room(caller, region, name)

        outcome = self.run(lambda: self.service.create_image(caller, instance, name=name), verdict)
        if outcome is None:
            return multiple()
        image = outcome[0]
        _, region, byol, platform, os_type, architecture = model.instances[instance]
        model.images[image.id] = ModelImage(
            owner=caller,
            region=region,
            name=name,
            state=self.new_state("CREATING"),
            byol=byol,
            sequence=model.next_sequence(),
            platform=platform,
            os_type=os_type,
            architecture=architecture,
        )
        return image.id

    @rule(
        target=customs,
        caller=st.sampled_from((*ACCOUNTS, STRANGER)),
        region=st.sampled_from(REGIONS),
        name=st.sampled_from(NAMES),
        byol=st.sampled_from([False, False, False, True]),
        system=st.sampled_from(IMPORTS),
        architecture=st.sampled_from(sorted(ARCHITECTURES)),
    )
    def import_image(
        self,
        caller: str,
        region: str,
        name: str,
        byol: bool,
        system: tuple[str, str, str],
        architecture: str,
    ) -> Any:
        model = self.model
        platform, image_platform, os_type = system

        def verdict() -> None:
            model.caller(caller)
            model.room(caller, region, name)

        outcome = self.run(
            lambda: self.service.import_image(
                caller,
                region,
                name=name,
                platform=platform,
                os_version="22.04",
                architecture=architecture,
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
            platform=image_platform,
            os_type=os_type,
            architecture=ARCHITECTURES[architecture],
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
            if model.receivers_may_copy and model.kind(caller, image) == "SHARED_IMAGE":
                source = model.images[image]
                if source.state != "NORMAL":
                    raise Refused("InvalidParameterValue.InvalidImageState")
                trusted = model.trust.get(caller)
                if trusted is not None and source.owner not in trusted:
                    raise Refused("UnauthorizedOperation.UntrustedSharedImage")
                if destinations != [source.region]:
                    raise Refused("InvalidParameterValue.InvalidRegion")
                model.room(caller, source.region, source.name)
                return
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
                platform=source.platform,
                os_type=source.os_type,
                architecture=source.architecture,
                family=source.family,  # a copy stays in its family, not deprecated
                copied_from=image,
            )
        if not self.instant and source.owner == caller:  # the owner's copies: SYNCING
            source.state = "SYNCING"
        return multiple(*(copy.id for copy in copies))

    @rule(
        target=customs, caller=st.sampled_from((*ACCOUNTS, RECEIVER)), image=customs, data=st.data()
    )
    def copy_into_its_region(self, caller: str, image: str, data: st.DataObject) -> Any:
        """A copy into the image's own region: how a receiver copies a shared image
        (``RECEIVER``: an account some image is shared with copies that image)."""
        shared = sorted(key for key, found in self.model.images.items() if found.shares)
        if caller == RECEIVER and shared:
            image = data.draw(st.sampled_from(shared), label="shared image")
            caller = data.draw(st.sampled_from(self.model.images[image].shares), label="receiver")
        elif caller == RECEIVER:
            caller = ACCOUNTS[1]
        found = self.model.images.get(image)
        return self.copy(caller, image, [REGIONS[0] if found is None else found.region])

    @precondition(work_in_progress)
    @rule(image=customs)
    def complete(self, image: str) -> None:
        model = self.model

        def verdict() -> None:
            if model.images.get(image) is None:
                raise Refused("InvalidImageId.NotFound")
            if model.images[image].state not in IN_PROGRESS or model.running_copies(image):
                raise Refused("InvalidParameterValue.InvalidImageState")

        outcome = self.run(lambda: self.service.provider.complete(image), verdict)
        if outcome is not None:
            model.images[image].state = "NORMAL"
            model.copy_ended(model.images[image].copied_from)
            assert outcome[0].state.value == "NORMAL"

    @precondition(work_in_progress)
    @rule(image=customs)
    def fail(self, image: str) -> None:
        model = self.model

        def verdict() -> str:
            if model.images.get(image) is None:
                raise Refused("InvalidImageId.NotFound")
            if model.images[image].state not in IN_PROGRESS or model.running_copies(image):
                raise Refused("InvalidParameterValue.InvalidImageState")
            return model.images[image].state

        outcome = self.run(lambda: self.service.provider.fail(image), verdict)
        if outcome is None:
            return
        result, was = outcome
        if was == "SYNCING":  # a failed copy disappears
            assert result is None
            source = model.images.pop(image).copied_from
            model.copy_ended(source)
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
            if not model.open_accounts and any(r not in model.accounts for r in receivers):
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

    @rule(
        caller=MOSTLY_OWNER,
        image=customs,
        family=st.sampled_from((*FAMILIES, "", None)),
        deprecated=st.sampled_from((True, False, None)),
    )
    def set_family(
        self, caller: str, image: str, family: str | None, deprecated: bool | None
    ) -> None:
        """ModifyImageAttribute's ImageFamily ("" leaves the family) and
        ImageDeprecated, alone or together."""
        model = self.model
        caller = self.owner_or(caller, image)

        def verdict() -> None:
            if family is None and deprecated is None:
                raise Refused("InvalidParameter")
            model.caller(caller)
            found = model.owned(
                caller, image, NOT_BELONG, "UnsupportedOperation.SharedImageModifyUnsupported"
            )
            if found.state in IN_PROGRESS:
                raise Refused("InvalidImageId.IncorrectState")

        call = lambda: self.service.modify_image(  # noqa: E731
            caller, image, family=family, deprecated=deprecated
        )
        if self.run(call, verdict):
            found = self.model.images[image]
            if family is not None:
                found.family = family or None
            if deprecated is not None:
                found.deprecated = deprecated

    @rule(
        caller=st.sampled_from((*ACCOUNTS, STRANGER)),
        region=st.sampled_from(REGIONS),
        family=st.sampled_from(FAMILIES),
        near_a_member=st.booleans(),
        data=st.data(),
    )
    def image_from_family(
        self, caller: str, region: str, family: str, near_a_member: bool, data: st.DataObject
    ) -> None:
        """DescribeImageFromFamily answers what the model picks: the newest NORMAL,
        not deprecated image of the family the caller sees in the region (asked,
        now and then, where an image of a family is, by its owner or a receiver)."""
        model = self.model
        members = sorted(key for key, image in model.images.items() if image.family)
        if near_a_member and members:
            found = model.images[data.draw(st.sampled_from(members), label="member")]
            assert found.owner is not None and found.family is not None
            caller = data.draw(st.sampled_from([found.owner, *found.shares]), label="caller")
            region, family = found.region, found.family

        def verdict() -> str | None:
            model.caller(caller)
            return model.newest_in_family(caller, region, family)

        outcome = self.run(
            lambda: self.service.describe_image_from_family(caller, region, family), verdict
        )
        if outcome is not None:
            found, expected = outcome
            assert (None if found is None else found.id) == expected

    @rule(caller=MOSTLY_OWNER, chosen=st.lists(customs, min_size=1, max_size=2, unique=True))
    def delete(self, caller: str, chosen: list[str]) -> None:
        model = self.model
        caller = self.owner_or(caller, chosen[0])

        def verdict() -> list[str]:
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
            return chosen

        outcome = self.run(lambda: self.service.delete_images(caller, chosen), verdict)
        if outcome is not None:
            deleted, expected = outcome
            assert [image.id for image in deleted] == expected
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
            if (
                not model.open_accounts
                and trusted is not None
                and any(t not in model.accounts for t in trusted)
            ):
                raise Refused("InvalidAccountId.NotFound")

        if self.run(lambda: self.service.set_trusted_sharers(caller, trusted), verdict):
            model.trust[caller] = None if trusted is None else set(trusted)
            expected = None if trusted is None else {Account(id=t) for t in trusted}
            assert self.service.trusted_sharers(caller) == expected

    # Units of work -------------------------------------------------------------------

    @rule(
        caller=MOSTLY_OWNER,
        image=customs,
        name=st.sampled_from(NAMES),
        receivers=st.lists(RECEIVERS, min_size=1, max_size=2, unique=True),
        inner_raises=st.booleans(),
        outer_raises=st.booleans(),
    )
    def nested_units_of_work(
        self,
        caller: str,
        image: str,
        name: str,
        receivers: list[str],
        inner_raises: bool,
        outer_raises: bool,
    ) -> None:
        """A rename, then a share in a nested block: a nested block that raises
        undoes only its own share; an outer block that raises undoes both; a
        refused call inside a block changes nothing and the block goes on."""
        before = catalog_state(self.service)
        saved = self.model.snapshot()
        with contextlib.suppress(_Undone), self.service.unit_of_work():
            self.modify(caller, image, name)
            after_rename = self.model.snapshot()
            with contextlib.suppress(_Undone), self.service.unit_of_work():
                self.share(caller, image, receivers)
                if inner_raises:
                    raise _Undone
            if inner_raises:
                self.model.restore(after_rename)
            if outer_raises:
                raise _Undone
        if outer_raises:
            self.model.restore(saved)
            assert catalog_state(self.service) == before, "an undone block left a trace"

    @rule(
        caller=MOSTLY_OWNER,
        image=customs,
        receivers=st.lists(RECEIVERS, min_size=1, max_size=2, unique=True),
    )
    def dry_run(self, caller: str, image: str, receivers: list[str]) -> None:
        """A block rolled back without an error (a dry run) keeps nothing, though
        its calls succeed and see their own writes."""
        before = catalog_state(self.service)
        saved = self.model.snapshot()
        with self.service.unit_of_work() as work:
            self.share(caller, image, receivers)
            work.rollback()
        self.model.restore(saved)
        assert catalog_state(self.service) == before, "a dry run left a trace"

    # Reads -----------------------------------------------------------------------------

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
        filters=_filters(),
        offset=st.integers(min_value=0, max_value=6),
        limit=st.integers(1, 5),
    )
    def describe(
        self, caller: str, region: str, filters: dict[str, list[str]], offset: int, limit: int
    ) -> None:
        """DescribeImages with any mix of filters lists what the model lists."""
        self.list_images(caller, region, filters, offset, limit)

    @rule(
        caller=st.sampled_from(ACCOUNTS),
        region=st.sampled_from(REGIONS),
        chosen=st.lists(st.one_of(customs, publics), min_size=1, max_size=3, unique=True),
        by_filter=st.booleans(),
    )
    def describe_by_id(self, caller: str, region: str, chosen: list[str], by_filter: bool) -> None:
        """DescribeImages by ImageIds, or by the image-id filter: only what the
        caller sees in the region, in listing order."""
        if by_filter:
            self.list_images(caller, region, {"ids": chosen}, 0, 100)
            return
        model = self.model

        def verdict() -> list[str]:
            model.caller(caller)
            return model.listing(caller, region, ids=chosen)

        outcome = self.run(
            lambda: self.service.describe_images(caller, region, image_ids=chosen, limit=100),
            verdict,
        )
        if outcome is not None:
            page, expected = outcome
            assert [image.id for image in page] == expected

    def list_images(
        self, caller: str, region: str, filters: dict[str, list[str]], offset: int, limit: int
    ) -> None:
        model = self.model

        def verdict() -> list[str]:
            model.caller(caller)
            return model.listing(caller, region, **filters)

        query = ImageQuery(offset=offset, limit=limit, **filters)
        outcome = self.run(lambda: self.service.describe_images(caller, region, query), verdict)
        if outcome is not None:
            page, expected = outcome
            assert [image.id for image in page] == expected[offset : offset + limit]
            assert page.total_count == len(expected)
            assert [kind.value for kind in page.kinds] == [
                model.kind(caller, image.id) for image in page
            ]
            for image in page:  # a receiver never learns who else an image is shared with
                if image.owner is not None and image.owner.id != caller:
                    assert [share.account.id for share in image.shared_with] == [caller]

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
        stored = {image.id: image for image in self.service.contents().images}
        assert set(stored) == set(self.model.images)
        for image_id, expected in self.model.images.items():
            image = stored[image_id]
            assert (image.owner.id if image.owner else None) == expected.owner
            assert (image.region.id, image.name, image.state.value) == (
                expected.region,
                expected.name,
                expected.state,
            )
            assert (image.platform, image.os_type.value, image.architecture.value) == (
                expected.platform,
                expected.os_type,
                expected.architecture,
            )
            assert [share.account.id for share in image.shared_with] == expected.shares
            assert (image.family, image.deprecated) == (expected.family, expected.deprecated)

    @invariant()
    def catalog_invariants_hold(self) -> None:
        problems = catalog_violations(self.service.contents())
        assert problems == [], "; ".join(map(str, problems))

    @invariant()
    def indexes_agree_with_a_full_scan(self) -> None:
        store = self.service.store
        everything = self.service.contents().images
        groups = [ImageGroup.public(Region.of(region)) for region in REGIONS]
        for account_id in ACCOUNTS:
            account = Account.of(account_id)
            for region_id in REGIONS:
                region = Region.of(region_id)
                groups.append(ImageGroup.owned(account, region))
                groups.append(ImageGroup.shared_with(account, region))
                named: list[Image] = [i for i in everything if i.owner == account]
                for image in named:
                    if image.region == region:
                        assert store.find_custom_image(account, region, image.name) == image
        for group in groups:
            expected = [image.id for image in everything if group.holds(image)]
            total, listed = store.select_images(group, _EVERYTHING, 0, 100)
            assert total == len(expected)
            assert [image.id for image in listed] == expected


_EVERYTHING = ImageQuery()


def catalog_machine(
    store_factory: Callable[[], CatalogStore] = InMemoryImageRepository,
    *,
    repository_factory: Callable[[], CatalogStore] | None = None,
) -> type[CatalogMachine]:
    """The catalog machine running on stores made by *store_factory*.

    Use its ``TestCase`` in a test module (``TestCatalog = catalog_machine(f).TestCase``)
    or run it with ``hypothesis.stateful.run_state_machine_as_test``.
    ``repository_factory=`` is the deprecated name of *store_factory*.
    """
    if repository_factory is not None:
        deprecated("catalog_machine(repository_factory=...)", "pass store_factory=")
        store_factory = repository_factory
    factory = staticmethod(store_factory)
    return type(
        f"CatalogMachineOn{getattr(store_factory, '__name__', 'Store')}",
        (CatalogMachine,),
        {"store_factory": factory},
    )
