"""Properties that hold for every catalog the service can reach."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagecatalog import (
    ImageCatalogError,
    ImageKind,
    ImageService,
    ImageState,
    InvalidParameterError,
    Region,
)
from imagecatalog.images import check_image_id, check_image_name
from imagecatalog.testing.strategies import (
    account_ids_of,
    catalogs,
    image_names,
    invalid_image_names,
    malformed_image_ids,
    operations,
)
from tests.support import catalog_state

REGIONS = ("ap-guangzhou", "ap-singapore", "eu-frankfurt")  # the catalogs' default regions


def normal_images(service: ImageService) -> list[str]:
    """IDs of the catalog's NORMAL custom images."""
    return sorted(
        image.id
        for image in service.contents().images
        if image.owner is not None and image.state is ImageState.NORMAL
    )


@given(catalogs())
def test_quota_is_never_exceeded(service: ImageService) -> None:
    """No account ever holds more custom images in a region than its quota."""
    counts = Counter(
        (image.owner.id, image.region.id)
        for image in service.contents().images
        if image.owner is not None
    )
    for (account, _), used in counts.items():
        assert used <= service.limits.image_quota_for(account)
    for account in account_ids_of(service):
        for region in REGIONS:
            assert service.image_quota(account, region).used == counts[(account, region)]


@given(catalogs())
def test_shares_never_exceed_the_limit(service: ImageService) -> None:
    """No image is ever shared with more accounts than the share limit, nor with
    its owner, nor twice with one account, nor while not NORMAL or BYOL."""
    for image in service.contents().images:
        receivers = [share.account.id for share in image.shared_with]
        assert len(receivers) <= service.limits.accounts_per_shared_image
        assert len(set(receivers)) == len(receivers)
        if receivers:
            assert image.owner is not None and image.owner.id not in receivers
            assert image.state is ImageState.NORMAL
            assert image.licence_type.value == "TencentCloud"


@given(catalogs())
def test_visibility_is_public_own_and_shared_in_region(service: ImageService) -> None:
    """In a region, an account sees exactly the public images, its own custom
    images and the images shared with it there, and nothing else."""
    everything = list(service.contents().images)
    for account in account_ids_of(service):
        for region in REGIONS:
            expected = {
                image.id
                for image in everything
                if image.region.id == region
                and (
                    image.owner is None
                    or image.owner.id == account
                    or account in {share.account.id for share in image.shared_with}
                )
            }
            page = service.describe_images(account, region, limit=100)
            assert {image.id for image in page.items} == expected
            assert page.total_count == len(expected)
            for image in page.items:
                assert image.region == Region.of(region)
                if image.kind_for(account) is not ImageKind.CUSTOM:
                    assert {s.account.id for s in image.shared_with} <= {account}


@given(st.data(), catalogs())
def test_a_refused_call_changes_nothing(data: st.DataObject, service: ImageService) -> None:
    """Any call that raises leaves the catalog exactly as it was, and raises
    only imagecatalog's typed errors."""
    for _ in range(5):
        call: Callable[[], Any] = data.draw(operations(service, malformed=True))
        before = catalog_state(service)
        try:
            call()
        except ImageCatalogError:
            assert catalog_state(service) == before


@given(st.data(), catalogs(instant=True))
def test_copies_keep_the_image_and_take_the_destination_region(
    data: st.DataObject, service: ImageService
) -> None:
    """A copy has its source's OS, platform, architecture, size, origin and
    owner, a new ID, no shares, and lives in the destination region."""
    sources = normal_images(service)
    if not sources:
        return
    source = service.store.get_image(data.draw(st.sampled_from(sources)))
    assert source is not None and source.owner is not None
    destination = data.draw(
        st.sampled_from(REGIONS).filter(lambda region: region != source.region.id)
    )
    quota = service.image_quota(source.owner, destination)
    taken = service.store.find_custom_image(source.owner, Region.of(destination), source.name)
    if quota.available == 0 or taken is not None:
        return  # refused there, by the quota or name rules tested elsewhere
    (copy,) = service.copy_image(source.owner, source.id, [destination])
    assert copy.region.id == destination and copy.id != source.id
    assert (
        copy.os_type,
        copy.platform,
        copy.os_name,
        copy.architecture,
        copy.size_gb,
        copy.origin,
        copy.owner,
        copy.copied_from,
        copy.shared_with,
    ) == (
        source.os_type,
        source.platform,
        source.os_name,
        source.architecture,
        source.size_gb,
        source.origin,
        source.owner,
        source.id,
        (),
    )


@given(image_names())
def test_any_valid_name_is_accepted(name: str) -> None:
    """Every name of 1 to 60 printable characters, not blank, is a valid image name."""
    assert check_image_name(name) == name


@given(invalid_image_names())
def test_invalid_names_are_refused(name: str) -> None:
    """Empty, blank, over-long or control-character names are refused."""
    with pytest.raises(InvalidParameterError) as raised:
        check_image_name(name)
    assert raised.value.parameter == "name"


@given(malformed_image_ids())
def test_malformed_image_ids_are_refused(image_id: str) -> None:
    """Anything but 'img-' and 8 lowercase letters or digits is malformed."""
    with pytest.raises(InvalidParameterError) as raised:
        check_image_id(image_id)
    assert raised.value.code == "InvalidImageId.Malformed"
