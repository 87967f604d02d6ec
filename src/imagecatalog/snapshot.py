"""Catalog snapshots: the whole catalog as versioned JSON, and back.

A snapshot holds everything a catalog is: accounts and their trust lists,
images with their shares, instances, and the limits with their per-account
overrides.  :func:`save` writes one atomically (a temporary file renamed over
the target, so a reader never sees half a file); :func:`load` reads one into a
fresh store and refuses a corrupt file, or one written by a newer imagecatalog,
with a clear error and without loading anything.

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
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception

from imagecatalog._converters import strict_converter
from imagecatalog.accounts import Account
from imagecatalog.exceptions import ErrorCode, ImageCatalogError, InvalidParameterError
from imagecatalog.images import Image, ImageState, LicenceType
from imagecatalog.instances import Instance
from imagecatalog.limits import Limits
from imagecatalog.memory import InMemoryImageRepository
from imagecatalog.regions import Region
from imagecatalog.repository import ImageRepository
from imagecatalog.service import ImageService

__all__ = ["FORMAT", "VERSION", "dump", "dumps", "load", "restore", "save"]

#: The ``format`` field every snapshot carries.
FORMAT = "imagecatalog-snapshot"
#: The snapshot version this release writes, and the newest it reads.
VERSION = 1


@attrs.frozen(kw_only=True)
class _AccountRecord:
    id: str
    trusted_sharers: list[str] | None = None


@attrs.frozen(kw_only=True)
class _LimitsRecord:
    custom_images_per_region: int
    accounts_per_shared_image: int
    quota_overrides: dict[str, int] = attrs.Factory(dict)


@attrs.frozen(kw_only=True)
class _Snapshot:
    format: str
    version: int
    limits: _LimitsRecord
    accounts: list[_AccountRecord]
    images: list[Image]
    instances: list[Instance]


def _parse_time(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a time string, got {type(value).__name__}")
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError(f"time {value!r} has no timezone")
    return moment


def _make_converter() -> cattrs.Converter:
    converter = strict_converter()
    converter.register_structure_hook(datetime, _parse_time)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(Region, lambda value, _: Region.of(value))
    converter.register_unstructure_hook(Region, lambda region: region.id)
    converter.register_structure_hook(Account, lambda value, _: Account.of(value))
    converter.register_unstructure_hook(Account, lambda account: account.id)
    return converter


_CONVERTER = _make_converter()


def _corrupt(message: str, value: object = None) -> InvalidParameterError:
    return InvalidParameterError(
        f"the snapshot cannot be loaded: {message}; nothing was loaded",
        parameter="snapshot",
        value=value,
        code=ErrorCode.INVALID_PARAMETER_VALUE,
    )


# Writing ------------------------------------------------------------------------------


def dump(service: ImageService) -> dict[str, Any]:
    """The whole catalog of *service* as a JSON-ready dictionary (one consistent read)."""
    repository = service.repository
    with repository.transaction():
        accounts = [
            _AccountRecord(
                id=account.id,
                trusted_sharers=(
                    None
                    if (trusted := repository.trusted_sharers(account.id)) is None
                    else sorted(trusted)
                ),
            )
            for account in repository.accounts()
        ]
        images = sorted(repository.images(), key=lambda image: (image.created_at, image.id))
        instances = sorted(repository.instances(), key=lambda i: (i.launched_at, i.id))
    limits = service.limits
    snapshot = _Snapshot(
        format=FORMAT,
        version=VERSION,
        limits=_LimitsRecord(
            custom_images_per_region=limits.custom_images_per_region,
            accounts_per_shared_image=limits.accounts_per_shared_image,
            quota_overrides=dict(limits.quota_overrides),
        ),
        accounts=accounts,
        images=images,
        instances=instances,
    )
    data: dict[str, Any] = _CONVERTER.unstructure(snapshot)
    return data


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
    repository: ImageRepository | None = None,
    clock: Callable[[], datetime] | None = None,
    instant: bool = True,
    id_seed: int | None = None,
) -> ImageService:
    """A service holding the catalog saved at *path* (see :func:`restore`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        raise _corrupt(f"{path} cannot be read ({error})", str(path)) from error
    except json.JSONDecodeError as error:
        raise _corrupt(f"{path} is not valid JSON ({error})", str(path)) from error
    return restore(data, repository=repository, clock=clock, instant=instant, id_seed=id_seed)


def restore(
    data: object,
    *,
    repository: ImageRepository | None = None,
    clock: Callable[[], datetime] | None = None,
    instant: bool = True,
    id_seed: int | None = None,
) -> ImageService:
    """A service holding the catalog in the snapshot *data*.

    The catalog goes into *repository*, which must be empty (a fresh in-memory
    store by default), in one unit of work.  A snapshot that is not one, is
    newer than this release reads, has a bad field (named by its JSON path) or
    breaks a rule of the catalog raises
    :class:`~imagecatalog.InvalidParameterError`, and nothing is loaded.
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise _corrupt(f"it is not an imagecatalog snapshot (no format {FORMAT!r})")
    version = data.get("version")
    if type(version) is not int or version < 1:
        raise _corrupt(f"its version {version!r} is not a positive integer", version)
    if version > VERSION:
        raise _corrupt(
            f"it was written in snapshot version {version}, newer than the version "
            f"{VERSION} this release of imagecatalog reads; upgrade imagecatalog",
            version,
        )
    try:
        snapshot = _CONVERTER.structure(dict(data), _Snapshot)
    except Exception as error:  # cattrs groups every field's error
        problems = cattrs.transform_error(error, path="$", format_exception=_describe)
        raise _corrupt("; ".join(problems)) from None
    try:
        limits = Limits(
            custom_images_per_region=snapshot.limits.custom_images_per_region,
            accounts_per_shared_image=snapshot.limits.accounts_per_shared_image,
            quota_overrides=snapshot.limits.quota_overrides,
        )
    except ImageCatalogError as error:
        raise _corrupt(f"{error.message} @ $.limits") from None
    _check(snapshot, limits)
    store = InMemoryImageRepository() if repository is None else repository
    with store.transaction():
        if any(True for _ in store.accounts()) or any(True for _ in store.images()):
            raise _corrupt("the repository to load into is not empty")
        for record in snapshot.accounts:
            store.add_account(Account(id=record.id))
        for record in snapshot.accounts:
            if record.trusted_sharers is not None:
                store.set_trusted_sharers(record.id, frozenset(record.trusted_sharers))
        for image in snapshot.images:
            store.add_image(image)
        for instance in snapshot.instances:
            store.add_instance(instance)
    return ImageService(store, limits=limits, clock=clock, instant=instant, id_seed=id_seed)


def _describe(error: BaseException, kind: type | None) -> str:
    """Our own errors say what is wrong in their message; cattrs says the rest."""
    if isinstance(error, ImageCatalogError):
        return error.message
    if type(error) is ValueError:  # our hooks' own words, such as a time without a zone
        return f"{format_exception(error, kind)}: {error}"
    return format_exception(error, kind)


def _duplicates(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _check(snapshot: _Snapshot, limits: Limits) -> None:
    """The catalog's invariants, so that a loaded catalog is one the service could reach."""
    account_ids = [record.id for record in snapshot.accounts]
    known = set(account_ids)
    if repeated := _duplicates(account_ids):
        raise _corrupt(f"accounts {', '.join(repeated)} appear more than once")
    for index, record in enumerate(snapshot.accounts):
        for sharer in record.trusted_sharers or ():
            Account.of(sharer)
            if sharer not in known:
                raise _corrupt(f"$.accounts[{index}] trusts unknown account {sharer}")
    if repeated := _duplicates([image.id for image in snapshot.images]):
        raise _corrupt(f"images {', '.join(repeated)} appear more than once")
    names: Counter[tuple[str, str, str]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    for index, image in enumerate(snapshot.images):
        where = f"$.images[{index}]"
        if image.owner is None:
            continue
        if image.owner.id not in known:
            raise _corrupt(f"{where} belongs to unknown account {image.owner.id}")
        names[(image.owner.id, image.region.id, image.name)] += 1
        counts[(image.owner.id, image.region.id)] += 1
        receivers = [share.account.id for share in image.shared_with]
        if receivers and (
            image.state is not ImageState.NORMAL or image.licence_type is LicenceType.BYOL
        ):
            raise _corrupt(f"{where} is shared but is not a NORMAL TencentCloud-licensed image")
        if len(receivers) > limits.accounts_per_shared_image or _duplicates(receivers):
            raise _corrupt(f"{where} breaks the share limit or shares twice with one account")
        for receiver in receivers:
            if receiver not in known or receiver == image.owner.id:
                raise _corrupt(f"{where} is shared with unknown account or its owner {receiver}")
    if clashes := [key for key, count in names.items() if count > 1]:
        owner, region, name = clashes[0]
        raise _corrupt(f"account {owner} has several images named {name!r} in {region}")
    for (owner, region), used in counts.items():
        if used > limits.image_quota_for(owner):
            raise _corrupt(
                f"account {owner} has {used} custom images in {region}, over its quota of "
                f"{limits.image_quota_for(owner)}"
            )
    instance_ids = [instance.id for instance in snapshot.instances]
    if repeated := _duplicates(instance_ids):
        raise _corrupt(f"instances {', '.join(repeated)} appear more than once")
    for index, instance in enumerate(snapshot.instances):
        if instance.owner.id not in known:
            raise _corrupt(f"$.instances[{index}] belongs to unknown account {instance.owner.id}")
