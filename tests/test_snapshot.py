"""Snapshots: the catalog survives the process."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagecatalog import (
    ImageCatalogError,
    ImageService,
    InMemoryImageRepository,
    InvalidParameterError,
    Limits,
    SnapshotError,
)
from imagecatalog.snapshot import FORMAT, VERSION, dump, dumps, load, restore, save
from imagecatalog.testing import CatalogBuilder, catalog_state
from imagecatalog.testing import strategies as ic

ALICE, BOB, CAROL = "100000000001", "100000000002", "100000000003"


@pytest.fixture
def service() -> ImageService:
    builder = (
        CatalogBuilder(limits=Limits(accounts_per_shared_image=5).with_quota(ALICE, 12))
        .custom_image(ALICE, "ap-guangzhou", "web-golden", shared_with=[BOB, CAROL])
        .imported_image(BOB, "ap-tokyo", "erp", licence_type="BYOL")
        .copied(ALICE, "web-golden", "ap-guangzhou", "ap-singapore")
    )
    service = builder.build()
    service.set_trusted_sharers(BOB, [ALICE])
    service.set_trusted_sharers(CAROL, [])
    return service


def test_a_snapshot_holds_the_whole_catalog(service: ImageService) -> None:
    data = dump(service)
    assert (data["format"], data["version"]) == (FORMAT, VERSION)
    assert data["limits"] == {
        "custom_images_per_region": 10,
        "accounts_per_shared_image": 5,
        "quota_overrides": {ALICE: 12},
        "receivers_may_copy": False,
    }
    assert [account["id"] for account in data["accounts"]] == [ALICE, BOB, CAROL]
    assert [account["trusted_sharers"] for account in data["accounts"]] == [None, [ALICE], []]
    assert len(data["images"]) == len(list(service.contents().images))
    assert len(data["instances"]) == 1
    restored = restore(json.loads(dumps(service)))
    assert catalog_state(restored) == catalog_state(service)
    assert restored.limits == service.limits


def test_save_and_load_a_file(service: ImageService, tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    save(service, path)
    restored = load(path)
    assert catalog_state(restored) == catalog_state(service)
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]  # no temporary left


def test_save_never_leaves_half_a_file(
    service: ImageService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "catalog.json"
    save(service, path)
    before = path.read_bytes()

    def crash(source: str, target: str) -> None:
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", crash)
    other = CatalogBuilder().accounts(ALICE).build()
    with pytest.raises(OSError, match="disk pulled out"):
        save(other, path)
    assert path.read_bytes() == before  # the old snapshot, whole
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]


def corrupt(data: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    change(changed)
    return changed


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d.update(version=VERSION + 1), "newer than the version"),
        (lambda d: d.update(version="1"), "not a positive integer"),
        (lambda d: d.update(format="something-else"), "not an imagecatalog snapshot"),
        (lambda d: d["images"][1].update(size_gb="20"), "$.images[1].size_gb"),
        (lambda d: d["images"][1].update(name="x" * 61), "$.images[1]"),
        (lambda d: d["images"][1].update(region="ap-moon"), "not a known region"),
        (lambda d: d["images"][1].update(created_at="2026-11-27T09:00:00"), "no timezone"),
        (lambda d: d["images"][1].update(owner="100000000077"), "unknown account"),
        (lambda d: d["images"].append(d["images"][1]), "more than once"),
        (lambda d: d["accounts"].append({"id": ALICE}), "more than once"),
        (lambda d: d["accounts"][1].update(trusted_sharers=["100000000077"]), "unknown account"),
        (lambda d: d["limits"].update(custom_images_per_region=-1), "$.limits"),
        (lambda d: d["instances"][0].update(owner="100000000077"), "unknown account"),
        (lambda d: d["limits"].update(accounts_per_shared_image=1), "over the share limit of 1"),
        (lambda d: d["limits"].update(quota_overrides={ALICE: 0}), "over its quota of 0"),
        (lambda d: d["images"][1].update(state="DELETING"), "$.images[1]"),
        (lambda d: d["images"][1]["shared_with"].append(d["images"][1]["shared_with"][0]), "twice"),
    ],
)
def test_a_corrupt_snapshot_loads_nothing(
    service: ImageService, change: Callable[[dict[str, Any]], object], says: str
) -> None:
    store = InMemoryImageRepository()
    with pytest.raises(SnapshotError) as raised:
        restore(corrupt(dump(service), change), store=store)
    assert isinstance(raised.value, InvalidParameterError)  # what 0.1.0 raised
    assert says in raised.value.message and "nothing was loaded" in raised.value.message
    assert list(store.all_images()) == [] and list(store.all_accounts()) == []


def test_unreadable_files(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"format": "imagecatalog-snapshot", "version": 1, "acc', "utf-8")
    with pytest.raises(InvalidParameterError, match="not valid JSON"):
        load(truncated)
    with pytest.raises(InvalidParameterError, match="cannot be read"):
        load(tmp_path / "missing.json")


def test_restore_needs_an_empty_repository(service: ImageService) -> None:
    with pytest.raises(InvalidParameterError, match="not empty"):
        restore(dump(service), store=service.store)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), ic.catalogs(instant=True))
def test_a_restored_catalog_behaves_identically(
    data: st.DataObject, original: ImageService
) -> None:
    """load(dump(c)) holds the same catalog and answers every call as c does."""
    restored = restore(dump(original))
    assert catalog_state(restored) == catalog_state(original)
    accounts = ic.account_ids_of(original)
    regions = sorted({image.region.id for image in original.contents().images})
    for account in accounts:
        for region in regions:
            assert restored.describe_images(account, region, limit=100) == (
                original.describe_images(account, region, limit=100)
            )
            assert restored.image_quota(account, region) == original.image_quota(account, region)
    # The same calls on both give the same outcome (new IDs aside).
    image_ids = sorted(image.id for image in original.contents().images)
    for _ in range(5):
        call = (
            data.draw(st.sampled_from(["share", "delete", "launch", "copy", "modify"])),
            data.draw(st.sampled_from(accounts)),
            data.draw(st.sampled_from(image_ids)),
            data.draw(st.sampled_from(accounts)),
        )
        assert attempt(original, *call) == attempt(restored, *call)


def attempt(service: ImageService, kind: str, caller: str, image_id: str, other: str) -> str:
    """Make one call; say "ok" or the refusal's code."""
    try:
        if kind == "share":
            service.share_image(caller, image_id, [other])
        elif kind == "delete":
            service.delete_images(caller, [image_id])
        elif kind == "launch":
            service.launch_instance(caller, image_id)
        elif kind == "copy":
            service.copy_image(caller, image_id, ["ap-singapore"])
        else:
            service.modify_image(caller, image_id, name="renamed")
    except ImageCatalogError as error:
        return error.code
    return "ok"


def test_a_mock_cvm_catalog_reloads_with_open_accounts(tmp_path: Path) -> None:
    """A snapshot of ``mock_cvm()``'s catalog reloads as it served: its limits
    travel in the file, and ``strict_accounts=False`` opens its accounts again."""
    from imagecatalog.tencentcloud import mock_cvm

    with mock_cvm() as cvm:
        save(cvm.service, tmp_path / "catalog.json")
    strict = load(tmp_path / "catalog.json")
    assert strict.strict_accounts and strict.limits == cvm.service.limits
    reopened = load(tmp_path / "catalog.json", strict_accounts=False)
    assert not reopened.strict_accounts and reopened.limits == cvm.service.limits
    public = reopened.describe_images("200012345678", "ap-guangzhou").items[0]
    instance = reopened.launch_instance("200012345678", public.id)  # never registered
    assert instance.owner.id == "200012345678"
    assert not restore(dump(cvm.service), strict_accounts=False).strict_accounts


def test_an_instance_in_another_regions_zone_is_refused() -> None:
    """An instance's zone is a zone of its region, in a snapshot as anywhere."""
    service = CatalogBuilder().accounts("100000000001").build()
    public = service.provider.add_builtin_public_images()[0]
    service.launch_instance(
        "100000000001", public.id, region=public.region, zone=f"{public.region.id}-3"
    )
    data = dump(service)
    assert data["instances"][0]["zone"] == f"{public.region.id}-3"
    data["instances"][0]["zone"] = "ap-shanghai-7" + "0" * 40
    with pytest.raises(SnapshotError, match=r"zone .* \$\.instances\[0\]"):
        restore(data)
