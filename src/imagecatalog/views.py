"""The read side: answers to callers' questions, as each caller may see them.

Every listing goes through here, on top of a store's
:class:`~imagecatalog.CatalogReader`: the visibility rule picks the groups the
caller sees (:meth:`ImageGroup.visible_to <imagecatalog.query.ImageGroup.visible_to>`),
the store reads one page of them, and each image is narrowed to what the caller
may see of it (:meth:`Image.as_seen_by <imagecatalog.Image.as_seen_by>`).  The
functions here check no argument and open no unit of work: the service does both.
"""

from __future__ import annotations

from collections.abc import Sequence

from imagecatalog.accounts import Account
from imagecatalog.exceptions import StoreError
from imagecatalog.images import Image, ImageKind, ImagePage, ImageState
from imagecatalog.instances import Instance, InstancePage
from imagecatalog.query import KIND_ORDER, ImageGroup, ImageQuery
from imagecatalog.regions import Region
from imagecatalog.repository import CatalogReader

__all__ = [
    "describe_images",
    "describe_instances",
    "image_from_family",
    "owned_instance",
    "visible_image",
]


def describe_images(
    store: CatalogReader, viewer: Account, region: Region, query: ImageQuery
) -> ImagePage:
    """The page of *query* among the images *viewer* sees in *region*: public
    first, then the viewer's own, then those shared with it, each oldest first."""
    if query.image_ids is not None:
        return _by_ids(store, viewer, region, query, query.image_ids)
    if query.ids is not None:  # the image-id filter: look the few IDs up, then filter
        return _by_ids(store, viewer, region, query, sorted(query.ids))
    total = 0
    items: list[Image] = []
    kinds: list[ImageKind] = []
    groups = ImageGroup.visible_to(viewer, region, query.kinds)
    for group, (count, found) in zip(
        groups, _select_groups(store, groups, query, query.offset, query.limit), strict=True
    ):
        total += count
        items.extend(_as_seen(store, group, found, viewer.id))
        kinds.extend([group.kind] * len(found))
    return ImagePage(
        items=items, kinds=kinds, total_count=total, offset=query.offset, limit=query.limit
    )


def _select_groups(
    store: CatalogReader, groups: Sequence[ImageGroup], query: ImageQuery, offset: int, limit: int
) -> list[tuple[int, Sequence[Image]]]:
    """For each of *groups*, listed one after the other: its count and its share
    of the page from *offset*, at most *limit* in all.  One question to a store
    that answers several groups at once (one snapshot for the page and its
    total), else one per group."""
    select_groups = getattr(store, "select_image_groups", None)
    if select_groups is not None:
        answer: list[tuple[int, Sequence[Image]]] = select_groups(groups, query, offset, limit)
        return answer
    answer = []
    for group in groups:
        count, found = store.select_images(group, query, offset, limit)
        answer.append((count, found))
        offset = max(offset - count, 0)
        limit -= len(found)
    return answer


def image_from_family(
    store: CatalogReader,
    viewer: Account,
    region: Region,
    family: str,
    trusted: frozenset[Account] | None = None,
) -> tuple[Image, ImageKind] | None:
    """The image of *family* that DescribeImageFromFamily answers: among the
    images *viewer* may launch in *region* (with a trust list *trusted*, shared
    images of trusted owners only), the newest ``NORMAL``, not deprecated one of
    the family (by creation time; a service never gives two images one time),
    or None."""
    query = ImageQuery(families=[family])
    best: tuple[Image, ImageKind] | None = None
    for group in ImageGroup.visible_to(viewer, region):
        count, _ = store.select_images(group, query, 0, 0)
        if not count:
            continue
        _, found = store.select_images(group, query, 0, count)
        shared = group.kind is ImageKind.SHARED
        for image in _as_seen(store, group, found, viewer.id):
            if image.state is not _NORMAL or image.deprecated or image.family != family:
                continue
            if shared and trusted is not None and image.owner not in trusted:
                continue
            if best is None or (image.created_at, image.id) > (best[0].created_at, best[0].id):
                best = (image, group.kind)
    return best


def _as_seen(
    store: CatalogReader, group: ImageGroup, found: Sequence[Image], viewer_id: str
) -> list[Image]:
    """*found*, as the viewer may see each image, after checking that each is in
    *group* (the group's definition, :meth:`ImageGroup.holds`, written out per kind:
    this runs for every listed image)."""
    kind, region_id, _ = group.key
    if kind == _PUBLIC:
        for image in found:
            if image.owner is not None or image.region.id != region_id:
                raise _outside(store, image, group)
        return list(found)  # public images are never shared: nothing to hide
    if kind == _CUSTOM:
        for image in found:
            owner = image.owner
            if owner is None or owner.id != viewer_id or image.region.id != region_id:
                raise _outside(store, image, group)
        return list(found)  # the owner sees every share
    seen = []
    for image in found:
        owner = image.owner
        if owner is None or owner.id == viewer_id or image.region.id != region_id:
            raise _outside(store, image, group)
        shares = image.shared_with
        if len(shares) == 1 and shares[0].account.id == viewer_id:
            seen.append(image)  # already as the viewer sees it: its own share alone
        elif viewer_id in image.shared_account_ids:
            seen.append(image.as_seen_by(viewer_id))
        else:
            raise _outside(store, image, group)
    return seen


_PUBLIC, _CUSTOM = ImageKind.PUBLIC.value, ImageKind.CUSTOM.value
_NORMAL = ImageState.NORMAL


def _outside(store: CatalogReader, image: Image, group: ImageGroup) -> StoreError:
    return StoreError(
        f"the store {type(store).__name__} listed image {image.id} in the group of "
        f"{group.kind.value} images of {group.account or 'everyone'} in {group.region.id}, "
        "where it does not belong; nothing was answered (fix the store's select_images)"
    )


def _by_ids(
    store: CatalogReader,
    viewer: Account,
    region: Region,
    query: ImageQuery,
    image_ids: object,
) -> ImagePage:
    """The images named, those *viewer* sees in *region* and that pass the
    filters, in listing order (unknown, invisible or other regions' IDs are left out)."""
    assert isinstance(image_ids, (tuple, list))
    found: list[tuple[int, Image, ImageKind]] = []
    for image_id in image_ids:
        image = store.get_image(image_id)
        if image is None or image.region != region or not query.matches(image):
            continue
        kind = image.kind_for(viewer)
        if kind is None or (query.kinds is not None and kind not in query.kinds):
            continue
        found.append((KIND_ORDER[kind], image, kind))
    found.sort(key=lambda entry: (entry[0], entry[1].created_at, entry[1].id))
    page = found[query.offset : query.offset + query.limit]
    return ImagePage(
        items=[image.as_seen_by(viewer) for _, image, _ in page],
        kinds=[kind for _, _, kind in page],
        total_count=len(found),
        offset=query.offset,
        limit=query.limit,
    )


def describe_instances(
    store: CatalogReader,
    owner: Account,
    region: Region | None,
    offset: int,
    limit: int,
    instance_ids: Sequence[str] | None = None,
) -> InstancePage:
    """The page of *owner*'s instances (in *region*, unless None; among
    *instance_ids*, if given: unknown IDs are left out), in launch order."""
    if instance_ids is None:
        total, items = store.select_instances(owner, region, offset, limit)
        return InstancePage(items=items, total_count=total, offset=offset, limit=limit)
    found = [owned_instance(store, owner, instance_id, region) for instance_id in instance_ids]
    matches = sorted(
        (instance for instance in found if instance is not None),
        key=lambda instance: (instance.launched_at, instance.id),
    )
    return InstancePage(
        items=tuple(matches[offset : offset + limit]),
        total_count=len(matches),
        offset=offset,
        limit=limit,
    )


def visible_image(
    store: CatalogReader, viewer: Account, image_id: str, region: Region | None = None
) -> Image | None:
    """The image *image_id* as *viewer* sees it, or None if the viewer cannot see
    it (or, with *region*, if it is in another region)."""
    image = store.get_image(image_id)
    if image is None or image.kind_for(viewer) is None:
        return None
    if region is not None and image.region != region:
        return None
    return image.as_seen_by(viewer)


def owned_instance(
    store: CatalogReader, owner: Account, instance_id: str, region: Region | None = None
) -> Instance | None:
    """The instance *instance_id* if *owner* owns it (in *region*, if given), else None."""
    instance = store.get_instance(instance_id)
    if instance is None or instance.owner != owner:
        return None
    return instance if region is None or instance.region == region else None
