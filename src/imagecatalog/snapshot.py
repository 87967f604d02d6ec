"""Catalog snapshots: the whole catalog as versioned JSON, and back.

A snapshot holds everything a catalog is: accounts and their trust lists,
images with their shares, instances, and the limits with their per-account
overrides, as storage records (:mod:`imagecatalog.records`).  :func:`save`
writes one atomically (a temporary file renamed over the target, so a reader
never sees half a file); :func:`load` reads one into a fresh store and refuses a
corrupt file, or one written by a newer imagecatalog, with a
:class:`~imagecatalog.SnapshotError` and without loading anything.  Files of
every older version load: each is upgraded, one version at a time, first.

>>> import tempfile, pathlib
>>> from imagecatalog.testing import CatalogBuilder
>>> service = CatalogBuilder().custom_image("100000000001", "ap-guangzhou", "web").build()
>>> path = pathlib.Path(tempfile.mkdtemp()) / "catalog.json"
>>> save(service, path)
>>> load(path).image_quota("100000000001", "ap-guangzhou")
Quota(used=1, limit=10)
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception

from imagecatalog._deprecation import replaced_argument
from imagecatalog.contents import CatalogContents
from imagecatalog.exceptions import ImageCatalogError, SnapshotError
from imagecatalog.records import (
    AccountRecord,
    ImageRecord,
    InstanceRecord,
    LimitsRecord,
    account_from_record,
    account_record,
    from_data,
    image_from_record,
    image_record,
    instance_from_record,
    instance_record,
    limits_from_record,
    limits_record,
    to_data,
)
from imagecatalog.repository import CatalogStore
from imagecatalog.service import ImageService

__all__ = ["FORMAT", "VERSION", "dump", "dumps", "load", "restore", "save"]

#: The ``format`` field every snapshot carries.
FORMAT = "imagecatalog-snapshot"
#: The snapshot version this release writes, and the newest it reads.
VERSION = 2


@attrs.frozen(kw_only=True)
class SnapshotRecord:
    """A whole snapshot, as stored."""

    format: str
    version: int
    limits: LimitsRecord
    accounts: list[AccountRecord]
    images: list[ImageRecord]
    instances: list[InstanceRecord]


def _add_boot_modes(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: images and instances gained a boot mode; before, every one
    booted with Legacy BIOS (ImportImage's default)."""

    def with_boot_mode(items: object) -> object:
        if not isinstance(items, list):
            return items  # not a list: the record check names the field
        return [
            {"boot_mode": "Legacy BIOS", **item} if isinstance(item, Mapping) else item
            for item in items
        ]

    return {
        **data,
        "images": with_boot_mode(data.get("images")),
        "instances": with_boot_mode(data.get("instances")),
    }


#: How to upgrade a snapshot of version *n* (the key) to version *n* + 1.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _add_boot_modes}


# Writing ------------------------------------------------------------------------------


def dump(service: ImageService) -> dict[str, Any]:
    """The whole catalog of *service* as a JSON-ready dictionary (one consistent read)."""
    contents = service.contents()
    return to_data(
        SnapshotRecord(
            format=FORMAT,
            version=VERSION,
            limits=limits_record(contents.limits),
            accounts=[account_record(profile) for profile in contents.accounts],
            images=[image_record(image) for image in contents.images],
            instances=[instance_record(instance) for instance in contents.instances],
        )
    )


def dumps(service: ImageService) -> str:
    """The snapshot of *service* as JSON text."""
    return json.dumps(dump(service), ensure_ascii=False, indent=1) + "\n"


def save(service: ImageService, path: str | os.PathLike[str]) -> None:
    """Write the snapshot of *service* to *path* atomically.

    The text goes to a temporary file beside *path*, is flushed to disk, then
    renamed over *path*: *path* holds the old snapshot or the new one, never
    half of one.
    """
    target = Path(path)
    text = dumps(service)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# Reading ------------------------------------------------------------------------------


def load(
    path: str | os.PathLike[str],
    *,
    store: CatalogStore | None = None,
    clock: Callable[[], datetime] | None = None,
    instant: bool = True,
    id_seed: int | None = None,
    repository: CatalogStore | None = None,
    strict_accounts: bool = True,
) -> ImageService:
    """A service holding the catalog saved at *path* (see :func:`restore`)."""
    store = replaced_argument(
        store, repository, where="load", new_name="store", old_name="repository"
    )
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        raise SnapshotError(f"{path} cannot be read ({error})", value=str(path)) from error
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path} is not valid JSON ({error})", value=str(path)) from error
    return restore(
        data,
        store=store,
        clock=clock,
        instant=instant,
        id_seed=id_seed,
        strict_accounts=strict_accounts,
    )


def restore(
    data: object,
    *,
    store: CatalogStore | None = None,
    clock: Callable[[], datetime] | None = None,
    instant: bool = True,
    id_seed: int | None = None,
    repository: CatalogStore | None = None,
    strict_accounts: bool = True,
) -> ImageService:
    """A service holding the catalog in the snapshot *data*.

    The catalog goes into *store*, which must be empty (a fresh in-memory
    store by default), in one unit of work.  A snapshot that is not one, is
    newer than this release reads, has a bad field (named by its JSON path) or
    breaks a rule of the catalog raises :class:`~imagecatalog.SnapshotError`,
    and nothing is loaded.  *strict_accounts* is the new service's (see
    :class:`~imagecatalog.ImageService`): a snapshot of a ``mock_cvm()``'s
    catalog, reloaded to serve the live API's open accounts again, wants
    ``strict_accounts=False``.
    """
    store = replaced_argument(
        store, repository, where="restore", new_name="store", old_name="repository"
    )
    record = _read(data)
    contents = _contents(record)
    service = ImageService(
        store,
        limits=contents.limits,
        clock=clock,
        instant=instant,
        id_seed=id_seed,
        strict_accounts=strict_accounts,
    )
    service.provider.load(contents)
    return service


def _read(data: object) -> SnapshotRecord:
    """The snapshot record in *data*, upgraded to this release's version."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise SnapshotError(f"it is not an imagecatalog snapshot (no format {FORMAT!r})")
    version = data.get("version")
    if type(version) is not int or version < 1:
        raise SnapshotError(f"its version {version!r} is not a positive integer", value=version)
    if version > VERSION:
        raise SnapshotError(
            f"it was written in snapshot version {version}, newer than the version "
            f"{VERSION} this release of imagecatalog reads; upgrade imagecatalog",
            value=version,
        )
    upgraded = dict(data)
    while version < VERSION:
        upgraded = UPGRADES[version](upgraded)
        version += 1
        upgraded["version"] = version
    try:
        return from_data(upgraded, SnapshotRecord)
    except Exception as error:  # cattrs groups every field's error
        problems = cattrs.transform_error(error, path="$", format_exception=_describe)
        raise SnapshotError("; ".join(problems)) from None


def _contents(record: SnapshotRecord) -> CatalogContents:
    """The domain values of *record*; a bad value is named by its JSON path."""

    def convert(where: str, make: Callable[[], Any]) -> Any:
        try:
            return make()
        except ImageCatalogError as error:
            raise SnapshotError(f"{error.message} @ {where}") from None

    return CatalogContents(
        limits=convert("$.limits", partial(limits_from_record, record.limits)),
        accounts=[
            convert(f"$.accounts[{index}]", partial(account_from_record, item))
            for index, item in enumerate(record.accounts)
        ],
        images=[
            convert(f"$.images[{index}]", partial(image_from_record, item))
            for index, item in enumerate(record.images)
        ],
        instances=[
            convert(f"$.instances[{index}]", partial(instance_from_record, item))
            for index, item in enumerate(record.instances)
        ],
    )


def _describe(error: BaseException, kind: type | None) -> str:
    """Our own errors say what is wrong in their message; cattrs says the rest."""
    if isinstance(error, ImageCatalogError):
        return error.message
    if type(error) is ValueError:  # our hooks' own words, such as a time without a zone
        return f"{format_exception(error, kind)}: {error}"
    return format_exception(error, kind)
