"""The store contract: prove a store behaves like the in-memory one.

:class:`RepositoryContract` is a pytest test class to subclass, parametrised by
a factory that makes an empty store: unit tests of every method of
:class:`~imagecatalog.CatalogStore` and of its unit of work, and a run of the
catalog machine (:mod:`imagecatalog.testing.machine`) on top of the store.

Needs pytest and Hypothesis (``pip install "imagecatalog[testing]"``)::

    from imagecatalog.testing.contract import RepositoryContract

    class TestMyStore(RepositoryContract):
        def make_repository(self):
            return MyStore(dsn=...)
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from imagecatalog.accounts import Account, AccountProfile
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
from imagecatalog.query import ImageGroup, ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogStore, ConcurrentCatalogStore, adapt_store
from imagecatalog.testing.machine import CatalogMachine, catalog_machine
from imagecatalog.testing.model import ACCOUNTS

__all__ = ["CatalogMachine", "RepositoryContract", "catalog_machine"]

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


def _instance(instance_id: str, owner: Account, region: Region, minute: int) -> Instance:
    return Instance(
        id=instance_id,
        owner=owner,
        region=region,
        image_id="img-pub00001",
        os_type=OsType.LINUX,
        platform="Ubuntu",
        os_name="Ubuntu Server 22.04 LTS 64bit",
        architecture=Architecture.X86_64,
        system_disk_gb=20,
        licence_type=LicenceType.TENCENT_CLOUD,
        launched_at=datetime(2026, 11, 27, 9, minute, tzinfo=UTC),
    )


def _shared(image: Image, *accounts: Account) -> Image:
    when = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    return attrs.evolve(
        image, shared_with=[SharePermission(account=a, shared_at=when) for a in accounts]
    )


def _listed(store: CatalogStore, group: ImageGroup, offset: int = 0, limit: int = 100) -> list[str]:
    return [image.id for image in store.select_images(group, _EVERYTHING, offset, limit)[1]]


def _count(store: CatalogStore, group: ImageGroup) -> int:
    return store.select_images(group, _EVERYTHING, 0, 0)[0]


_EVERYTHING = ImageQuery()


class RepositoryContract:
    """Tests every :class:`~imagecatalog.CatalogStore` must pass.

    Subclass it in a test module under a name pytest collects (``TestMyStore``)
    and define :meth:`make_repository` to return a new, empty store.  The
    in-memory store passes it; so must yours.  Set ``stateful_settings`` to tune
    the run of the catalog machine on your store.
    """

    #: Hypothesis settings for the stateful part (defaults: the loaded profile,
    #: 100 steps per run).
    stateful_settings: settings | None = None

    def make_repository(self) -> CatalogStore:
        """A new, empty store of the kind under test."""
        raise NotImplementedError("define make_repository() in your RepositoryContract subclass")

    def _new_store(self) -> CatalogStore:
        """A new store; one written to 0.1.0's protocol is adapted (deprecated), as
        :class:`~imagecatalog.ImageService` adapts it."""
        return adapt_store(self.make_repository())

    # Accounts and trust ------------------------------------------------------------

    def test_accounts_are_stored_in_order(self) -> None:
        store = self._new_store()
        assert list(store.all_accounts()) == []
        assert store.get_account(_ALICE.id) is None
        with store.transaction():
            store.add_account(AccountProfile(account=_ALICE))
            store.add_account(AccountProfile(account=_BOB, trusted_sharers={_ALICE}))
        assert store.get_account(_ALICE.id) == AccountProfile(account=_ALICE)
        assert [profile.account for profile in store.all_accounts()] == [_ALICE, _BOB]

    def test_trust_lists_are_replaced_and_removed(self) -> None:
        store = self._new_store()
        alice = AccountProfile(account=_ALICE)
        with store.transaction():
            store.add_account(alice)
        for trusted in (frozenset({_BOB}), frozenset(), None):
            with store.transaction():
                store.replace_account(attrs.evolve(alice, trusted_sharers=trusted))
            found = store.get_account(_ALICE.id)
            assert found is not None and found.trusted_sharers == trusted
        assert [profile.account for profile in store.all_accounts()] == [_ALICE]

    # Images and their groups ------------------------------------------------------------

    def test_images_are_grouped_by_kind_owner_and_region(self) -> None:
        store = self._new_store()
        public, web, db = _sample_images()
        with store.transaction():
            store.add_account(AccountProfile(account=_ALICE))
            store.add_account(AccountProfile(account=_BOB))
            for image in (public, web, _shared(db, _BOB)):
                store.add_image(image)
        assert store.get_image(web.id) == web
        assert store.get_image("img-00000000") is None
        assert _listed(store, ImageGroup.public(_GUANGZHOU)) == [public.id]
        assert _listed(store, ImageGroup.public(_SINGAPORE)) == []
        assert set(_listed(store, ImageGroup.owned(_ALICE, _GUANGZHOU))) == {web.id, db.id}
        assert _listed(store, ImageGroup.owned(_BOB, _GUANGZHOU)) == []
        assert _listed(store, ImageGroup.shared_with(_BOB, _GUANGZHOU)) == [db.id]
        assert _listed(store, ImageGroup.shared_with(_BOB, _SINGAPORE)) == []
        assert _listed(store, ImageGroup.shared_with(_ALICE, _GUANGZHOU)) == []
        assert _count(store, ImageGroup.owned(_ALICE, _GUANGZHOU)) == 2
        assert _count(store, ImageGroup.owned(_ALICE, _SINGAPORE)) == 0
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") == web
        assert store.find_custom_image(_ALICE, _SINGAPORE, "web-golden") is None
        assert store.find_custom_image(_BOB, _GUANGZHOU, "web-golden") is None
        assert {i.id for i in store.all_images()} == {public.id, web.id, db.id}

    def test_a_shared_group_holds_each_image_with_at_least_its_receivers_share(self) -> None:
        """A store may hand out an image of a shared group as stored, or as that
        group's account sees it; either way the account's own share is there."""
        store = self._new_store()
        _, web, _ = _sample_images()
        carol = Account(id=ACCOUNTS[2])
        with store.transaction():
            store.add_image(_shared(web, _BOB, carol))
        (seen,) = store.select_images(ImageGroup.shared_with(carol, _GUANGZHOU), _EVERYTHING, 0, 5)[
            1
        ]
        assert carol.id in seen.shared_account_ids
        assert seen.as_seen_by(carol) == _shared(web, carol)

    def test_queries_filter_within_a_group(self) -> None:
        """The store applies the query's filters (:meth:`ImageQuery.matches`), counts
        every match, and pages through them."""
        store = self._new_store()
        public, web, db = _sample_images()
        arm = attrs.evolve(web, id="img-arm00001", name="Web-ARM", architecture=Architecture.ARM64)
        windows = attrs.evolve(
            db, id="img-win00001", name="win-app", platform="Windows", os_type=OsType.WINDOWS
        )
        with store.transaction():
            for image in (public, web, db, arm, windows):
                store.add_image(image)
        mine = ImageGroup.owned(_ALICE, _GUANGZHOU)

        def ids(query: ImageQuery, offset: int = 0, limit: int = 100) -> tuple[int, set[str]]:
            total, found = store.select_images(mine, query, offset, limit)
            return total, {image.id for image in found}

        assert ids(ImageQuery(names=["web"])) == (2, {web.id, arm.id})
        assert ids(ImageQuery(names=["WEB", "app"])) == (3, {web.id, arm.id, windows.id})
        assert ids(ImageQuery(platforms=["win"])) == (1, {windows.id})
        assert ids(ImageQuery(os_types=["Linux"]))[0] == 3
        assert ids(ImageQuery(architectures=["arm"])) == (1, {arm.id})
        assert ids(ImageQuery(ids=[db.id, public.id])) == (1, {db.id})
        assert ids(ImageQuery(names=["web"], architectures=["x86_64"])) == (1, {web.id})
        assert ids(ImageQuery(names=["nothing"])) == (0, set())
        total, first = ids(ImageQuery(os_types=["Linux"]), 0, 2)
        _, rest = ids(ImageQuery(os_types=["Linux"]), 2, 2)
        assert total == 3 and len(first) == 2 and len(rest) == 1 and not first & rest
        assert store.select_images(mine, ImageQuery(names=["web"]), 0, 0) == (2, [])

    def test_replacing_an_image_moves_it_between_groups(self) -> None:
        store = self._new_store()
        _, web, _ = _sample_images()
        with store.transaction():
            store.add_image(_shared(web, _BOB))
        renamed = attrs.evolve(web, name="web-golden-v2", shared_with=())
        with store.transaction():
            store.replace_image(renamed)
        assert store.get_image(web.id) == renamed
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") is None
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "web-golden-v2") == renamed
        assert _listed(store, ImageGroup.shared_with(_BOB, _GUANGZHOU)) == []
        assert _count(store, ImageGroup.owned(_ALICE, _GUANGZHOU)) == 1

    def test_groups_come_in_listing_order(self) -> None:
        """Each group yields images by ``created_at``, then by ID, however they
        were added, renamed or shared."""
        store = self._new_store()
        public, web, db = _sample_images()
        early = datetime(2026, 1, 1, tzinfo=UTC)
        late = datetime(2026, 12, 1, tzinfo=UTC)
        newest = attrs.evolve(web, created_at=late)
        oldest = attrs.evolve(db, created_at=early)
        twin = attrs.evolve(web, id="img-aaaaaaaa", name="twin", created_at=late)
        with store.transaction():
            for image in (newest, oldest, twin):
                store.add_image(_shared(image, _BOB))
            store.add_image(attrs.evolve(public, created_at=late))
            store.add_image(attrs.evolve(public, id="img-pub00000", created_at=early))
        expected = [oldest.id, twin.id, newest.id]
        mine, bobs = ImageGroup.owned(_ALICE, _GUANGZHOU), ImageGroup.shared_with(_BOB, _GUANGZHOU)
        assert _listed(store, mine) == expected
        assert _listed(store, bobs) == expected
        assert _listed(store, ImageGroup.public(_GUANGZHOU)) == ["img-pub00000", public.id]
        assert _listed(store, mine, 1, 1) == [twin.id]
        assert _listed(store, bobs, 1) == expected[1:]
        assert _listed(store, ImageGroup.public(_GUANGZHOU), 2, 3) == []
        assert _count(store, ImageGroup.public(_GUANGZHOU)) == 2
        assert _count(store, bobs) == 3
        assert _count(store, ImageGroup.shared_with(_BOB, _SINGAPORE)) == 0
        assert [image.id for image in store.all_images()] == [
            oldest.id,  # img-db000001 and img-pub00000 share a time: by ID
            "img-pub00000",
            twin.id,
            public.id,
            newest.id,
        ]
        with store.transaction():
            store.replace_image(attrs.evolve(_shared(oldest, _BOB), name="renamed"))
            store.replace_image(oldest)  # unshared ...
            store.replace_image(_shared(oldest, _BOB))  # ... and shared again
        assert _listed(store, mine) == expected
        assert _listed(store, bobs) == expected
        with store.transaction():
            store.replace_image(attrs.evolve(_shared(oldest, _BOB), name="renamed"))
        first = store.select_images(bobs, _EVERYTHING, 0, 1)[1][0]
        assert first.name == "renamed"  # a receiver never sees a stale copy

    def test_removing_an_image_forgets_it_everywhere(self) -> None:
        store = self._new_store()
        public, web, _ = _sample_images()
        with store.transaction():
            store.add_image(public)
            store.add_image(_shared(web, _BOB))
        with store.transaction():
            store.remove_image(web.id)
            store.remove_image(public.id)
        assert store.get_image(web.id) is None
        assert list(store.all_images()) == []
        assert _listed(store, ImageGroup.public(_GUANGZHOU)) == []
        assert _listed(store, ImageGroup.owned(_ALICE, _GUANGZHOU)) == []
        assert _listed(store, ImageGroup.shared_with(_BOB, _GUANGZHOU)) == []
        assert _count(store, ImageGroup.owned(_ALICE, _GUANGZHOU)) == 0
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") is None

    def test_instances_are_stored_and_listed_per_owner(self) -> None:
        store = self._new_store()
        first = _instance("ins-r8hr2upy", _ALICE, _GUANGZHOU, 1)
        second = _instance("ins-aaaaaaaa", _ALICE, _SINGAPORE, 2)
        third = _instance("ins-bbbbbbbb", _ALICE, _GUANGZHOU, 3)
        bobs = _instance("ins-cccccccc", _BOB, _GUANGZHOU, 4)
        assert store.get_instance(first.id) is None
        with store.transaction():
            for instance in (third, bobs, second, first):
                store.add_instance(instance)
        assert store.get_instance(first.id) == first
        assert list(store.all_instances()) == [first, second, third, bobs]
        assert store.select_instances(_ALICE, None, 0, 10) == (3, [first, second, third])
        assert store.select_instances(_ALICE, _GUANGZHOU, 0, 10) == (2, [first, third])
        assert store.select_instances(_ALICE, None, 1, 1) == (3, [second])
        assert store.select_instances(_ALICE, _SINGAPORE, 0, 0) == (1, [])
        assert store.select_instances(Account(id=ACCOUNTS[3]), None, 0, 10) == (0, [])

    # The unit of work ------------------------------------------------------------------

    def test_a_failed_unit_of_work_leaves_no_trace(self) -> None:
        store = self._new_store()
        public, web, db = _sample_images()
        alice = AccountProfile(account=_ALICE)
        with store.transaction():
            store.add_account(alice)
            store.add_image(web)

        class BoomError(Exception):
            pass

        def unit_of_work() -> None:
            with store.transaction():
                store.add_account(AccountProfile(account=_BOB))
                store.replace_account(attrs.evolve(alice, trusted_sharers={_BOB}))
                store.add_image(public)
                store.add_image(db)
                store.replace_image(_shared(attrs.evolve(web, name="renamed"), _BOB))
                store.remove_image(db.id)
                store.add_instance(_instance("ins-r8hr2upy", _ALICE, _GUANGZHOU, 1))
                raise BoomError

        with contextlib.suppress(BoomError):
            unit_of_work()
        assert list(store.all_accounts()) == [alice]
        assert list(store.all_images()) == [web]
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") == web
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "renamed") is None
        assert _listed(store, ImageGroup.shared_with(_BOB, _GUANGZHOU)) == []
        assert _listed(store, ImageGroup.public(_GUANGZHOU)) == []
        assert list(store.all_instances()) == []
        assert store.select_instances(_ALICE, None, 0, 10) == (0, [])

    def test_a_nested_unit_of_work_is_a_savepoint(self) -> None:
        """A nested block that raises undoes its own writes only; the outer block
        goes on and keeps the rest."""
        store = self._new_store()
        public, web, db = _sample_images()
        with store.transaction():
            store.add_image(web)
            with contextlib.suppress(LookupError), store.transaction():
                store.add_image(db)
                store.replace_image(attrs.evolve(web, name="renamed"))
                assert store.get_image(db.id) == db  # reads see own writes
                raise LookupError
            assert store.get_image(db.id) is None
            assert store.get_image(web.id) == web
            with store.transaction():
                store.add_image(public)
        assert {image.id for image in store.all_images()} == {web.id, public.id}
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "renamed") is None
        assert store.find_custom_image(_ALICE, _GUANGZHOU, "web-golden") == web

    def test_the_outer_unit_of_work_undoes_its_committed_savepoints(self) -> None:
        store = self._new_store()
        _, web, db = _sample_images()

        def outer() -> None:
            with store.transaction():
                with store.transaction():
                    store.add_image(web)
                    with store.transaction():
                        store.add_image(db)
                assert store.get_image(web.id) == web  # reads see own writes
                raise LookupError

        with contextlib.suppress(LookupError):
            outer()
        assert store.get_image(web.id) is None
        assert store.get_image(db.id) is None
        assert list(store.all_images()) == []

    # Stores that let calls run beside each other (optional) ----------------------------

    def _concurrent_store(self) -> ConcurrentCatalogStore:
        store = self._new_store()
        if not isinstance(store, ConcurrentCatalogStore):
            pytest.skip(f"{type(store).__name__} is not a ConcurrentCatalogStore")
        return store

    def test_several_groups_list_as_one(self) -> None:
        """select_image_groups answers what select_images answers group by group, for
        every page: the counts and each group's share of the page (SQL filters, a
        substring filter, none)."""
        store = self._concurrent_store()
        carol = Account(id=ACCOUNTS[2])
        public, web, db = _sample_images()
        images = [public, web, db]
        for number in range(3):
            images.append(attrs.evolve(public, id=f"img-pub0001{number}", name=f"pub {number}"))
            images.append(
                _shared(
                    attrs.evolve(web, id=f"img-bob0000{number}", owner=_BOB, name=f"b{number}"),
                    _ALICE,
                    carol,
                )
            )
        with store.transaction():
            for profile in (_ALICE, _BOB, carol):
                store.add_account(AccountProfile(account=profile))
            for image in images:
                store.add_image(image)
        groups = ImageGroup.visible_to(_ALICE, _GUANGZHOU)
        queries = [
            _EVERYTHING,
            ImageQuery(os_types=[OsType.LINUX]),
            ImageQuery(names=["b"]),
            ImageQuery(ids=["img-bob00001", "img-web00001", "img-pub00001"]),
        ]
        for query in queries:
            for offset in range(0, 12, 3):
                for limit in (0, 1, 4, 100):
                    expected, start, room = [], offset, limit
                    for group in groups:
                        count, found = store.select_images(group, query, start, room)
                        expected.append((count, [image.id for image in found]))
                        start = max(start - count, 0)
                        room -= len(found)
                    answer = store.select_image_groups(groups, query, offset, limit)
                    got = [(count, [image.id for image in found]) for count, found in answer]
                    assert got == expected, (query, offset, limit)
        assert store.select_image_groups([], _EVERYTHING, 0, 10) == []

    def test_account_exists_agrees_with_get_account(self) -> None:
        store = self._concurrent_store()
        with store.transaction():
            store.add_account(AccountProfile(account=_ALICE))
        assert store.account_exists(_ALICE.id)
        assert not store.account_exists(_BOB.id)
        with contextlib.suppress(LookupError), store.write_transaction([_BOB.id]):
            store.add_account(AccountProfile(account=_BOB))
            assert store.account_exists(_BOB.id)  # its own write
            raise LookupError
        assert not store.account_exists(_BOB.id)  # undone: never known

    def test_reads_and_account_scoped_units_of_work(self) -> None:
        """A unit of work for some accounts keeps or undoes its writes as a whole (a
        nested block is a savepoint); a block of reads sees what is committed, and
        inside a unit of work, the unit's own writes."""
        store = self._concurrent_store()
        public, web, db = _sample_images()
        with store.write_transaction([_ALICE.id]):
            store.add_account(AccountProfile(account=_ALICE))
            store.add_image(web)
            with contextlib.suppress(LookupError), store.write_transaction([_ALICE.id]):
                store.add_image(db)
                raise LookupError
            with store.read_transaction():
                assert store.get_image(web.id) == web
                assert store.get_image(db.id) is None
        with contextlib.suppress(LookupError), store.write_transaction([_ALICE.id]):
            store.replace_image(_shared(web, _BOB))
            raise LookupError
        with store.read_transaction():
            assert store.get_image(web.id) == web
            assert _listed(store, ImageGroup.owned(_ALICE, _GUANGZHOU)) == [web.id]
        assert store.get_image(public.id) is None

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
