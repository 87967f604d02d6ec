"""Files and databases written by release 0.1.0 load with nothing lost.

The fixtures in ``tests/fixtures/v0_1_0`` were written once by 0.1.0 and are never
regenerated.  Each test reads the snapshot's JSON by hand (not through the code under
test) and checks every field of every record against what the current release loads,
through the service's public reads only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from imagecatalog import BootMode, ImageService, SchemaVersionError, sql
from imagecatalog.snapshot import load
from imagecatalog.sql import SCHEMA_VERSION, SqlImageRepository

FIXTURES = Path(__file__).parent / "fixtures" / "v0_1_0"
RAW: dict[str, Any] = json.loads((FIXTURES / "snapshot-v1.json").read_text("utf-8"))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def assert_holds_the_v1_catalog(service: ImageService) -> None:
    """*service* holds exactly the catalog of the version-1 snapshot."""
    limits = RAW["limits"]
    assert service.limits.custom_images_per_region == limits["custom_images_per_region"]
    assert service.limits.accounts_per_shared_image == limits["accounts_per_shared_image"]
    for account_id, quota in limits["quota_overrides"].items():
        assert service.limits.image_quota_for(account_id) == quota
    for account in RAW["accounts"]:
        trusted = service.trusted_sharers(account["id"])
        if account["trusted_sharers"] is None:
            assert trusted is None
        else:
            assert trusted is not None
            assert sorted(sharer.id for sharer in trusted) == sorted(account["trusted_sharers"])
    viewer = RAW["accounts"][0]["id"]
    owned: dict[tuple[str, str], int] = {}
    for record in RAW["images"]:
        owner = record["owner"]
        image = service.get_image(owner or viewer, record["id"])
        assert image.name == record["name"]
        assert image.description == record["description"]
        assert image.region.id == record["region"]
        assert (None if image.owner is None else image.owner.id) == owner
        assert image.os_type.value == record["os_type"]
        assert image.platform == record["platform"]
        assert image.os_name == record["os_name"]
        assert image.architecture.value == record["architecture"]
        assert image.size_gb == record["size_gb"]
        assert image.state.value == record["state"]
        assert image.origin.value == record["origin"]
        assert image.created_at == _time(record["created_at"])
        assert image.licence_type.value == record["licence_type"]
        assert list(image.software) == record["software"]
        assert (None if image.support is None else image.support.value) == record["support"]
        assert image.copied_from == record["copied_from"]
        assert [(s.account.id, s.shared_at) for s in image.shared_with] == [
            (s["account"], _time(s["shared_at"])) for s in record["shared_with"]
        ]
        assert image.boot_mode is BootMode.LEGACY_BIOS  # 0.1.0 knew no other
        if owner is not None:
            owned[(owner, record["region"])] = owned.get((owner, record["region"]), 0) + 1
    for (owner, region), count in owned.items():
        assert service.image_quota(owner, region).used == count
    for record in RAW["instances"]:
        instance = service.get_instance(record["owner"], record["id"])
        assert instance.region.id == record["region"]
        assert instance.image_id == record["image_id"]
        assert instance.os_type.value == record["os_type"]
        assert instance.platform == record["platform"]
        assert instance.os_name == record["os_name"]
        assert instance.architecture.value == record["architecture"]
        assert instance.system_disk_gb == record["system_disk_gb"]
        assert instance.licence_type.value == record["licence_type"]
        assert instance.launched_at == _time(record["launched_at"])
        assert instance.boot_mode is BootMode.LEGACY_BIOS
        assert [
            (c.item.value, c.region.id, c.quantity, c.unit, c.reason) for c in instance.charges
        ] == [
            (c["item"], c["region"], c["quantity"], c["unit"], c["reason"])
            for c in record["charges"]
        ]


def test_the_fixture_covers_what_it_promises() -> None:
    """The fixture is worth loading: every state, shares, trust lists, charges."""
    states = {image["state"] for image in RAW["images"]}
    assert states == {"NORMAL", "CREATING", "CREATEFAILED", "SYNCING", "IMPORTING", "IMPORTFAILED"}
    assert any(image["shared_with"] for image in RAW["images"])
    assert any(instance["charges"] for instance in RAW["instances"])
    assert {str(a["trusted_sharers"]) for a in RAW["accounts"]} >= {"None", "[]"}
    assert RAW["version"] == 1


def test_a_version_1_snapshot_loads_with_nothing_lost() -> None:
    assert_holds_the_v1_catalog(load(FIXTURES / "snapshot-v1.json"))


def test_a_schema_1_database_opens_with_nothing_lost(tmp_path: Path) -> None:
    database = tmp_path / "catalog.sqlite"
    shutil.copyfile(FIXTURES / "catalog-schema-v1.sqlite", database)
    with SqlImageRepository(f"sqlite:///{database}") as store:
        assert_holds_the_v1_catalog(ImageService(store, limits=load_limits()))


def test_a_schema_1_database_is_refused_when_told_not_to_migrate(tmp_path: Path) -> None:
    """migrate=False opens nothing older than this release's schema, and says which
    versions met; the database is left as it was."""
    database = tmp_path / "catalog.sqlite"
    shutil.copyfile(FIXTURES / "catalog-schema-v1.sqlite", database)
    with pytest.raises(SchemaVersionError) as raised:
        SqlImageRepository(f"sqlite:///{database}", migrate=False)
    assert (raised.value.found, raised.value.expected) == (1, SCHEMA_VERSION)
    assert f"schema version 1, older than the version {SCHEMA_VERSION}" in raised.value.message
    assert database.read_bytes() == (FIXTURES / "catalog-schema-v1.sqlite").read_bytes()


def test_a_migration_that_fails_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migrations run in one transaction: when anything in it fails, the
    database keeps its old schema and every row, and opens again later."""
    database = tmp_path / "catalog.sqlite"
    shutil.copyfile(FIXTURES / "catalog-schema-v1.sqlite", database)
    migrate = sql._migrate

    def migrate_then_fail(connection: Any, found: int | None) -> None:
        migrate(connection, found)
        raise OSError("the disk filled up")

    monkeypatch.setattr(sql, "_migrate", migrate_then_fail)
    with pytest.raises(OSError, match="disk filled up"):
        SqlImageRepository(f"sqlite:///{database}")
    monkeypatch.undo()
    with pytest.raises(SchemaVersionError) as raised:
        SqlImageRepository(f"sqlite:///{database}", migrate=False)
    assert raised.value.found == 1
    with SqlImageRepository(f"sqlite:///{database}") as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert_holds_the_v1_catalog(ImageService(store, limits=load_limits()))


def load_limits() -> Any:
    """The snapshot's limits (a database does not hold limits: they are the service's)."""
    return load(FIXTURES / "snapshot-v1.json").limits


@pytest.mark.parametrize("name", ["snapshot-v1.json", "catalog-schema-v1.sqlite"])
def test_the_fixtures_are_unchanged(name: str) -> None:
    """Guard against regenerating the fixtures: they are 0.1.0's files, byte for byte."""
    expected = {
        "snapshot-v1.json": "94c1917eb649f58756572d938d9d3f446b7c020bbab8b376fde1eaf15b7d8bd6",
        "catalog-schema-v1.sqlite": (
            "0652e073bf6df648808cbba2676328546f0ceca18a79001df8e4ae523ab99729"
        ),
    }
    assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == expected[name]
