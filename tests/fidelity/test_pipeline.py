"""An image pipeline, written as packer's and terraform's image code calls the
API (tests/image_pipeline.py: each step names the client code it follows),
run unmodified under ``mock_cvm()``: two builds rotate the family, the old
image is deprecated, and the old build is cleaned up by cancelling shares of
the whole account list (one never shared) and deleting."""

from __future__ import annotations

import pytest

from imagecatalog.tencentcloud import mock_cvm
from tests.image_pipeline import BuildError, Config, build, cleanup, images_of

ALICE, BOB, CAROL = "100000000001", "100000000002", "100000000003"
REAL_ACCOUNT = "200012345678"  # nobody registered it: the live API knows every account


def config(name: str, **changes: object) -> Config:
    settings: dict[str, object] = {
        "secret_id": "AKIDci",
        "region": "ap-guangzhou",
        "zone": "ap-guangzhou-3",
        "source_image_name": "Ubuntu Server 22.04 LTS 64bit",
        "image_name": name,
        "family": "web-daily",
        "copy_regions": ["ap-shanghai", "ap-singapore"],
        "share_accounts": [BOB, REAL_ACCOUNT],
        "tags": {"team": "web", "built-by": "packer"},
        "poll_interval": 0,
    }
    settings.update(changes)
    return Config(**settings)  # type: ignore[arg-type]


def test_two_builds_rotate_the_family_and_clean_up() -> None:
    with mock_cvm(credentials={"AKIDci": ALICE}) as cvm:
        first = build(config("web-2026-11-28"))
        assert first.previous is None and set(first.copies) == {"ap-shanghai", "ap-singapore"}
        second = build(config("web-2026-11-29"))
        assert second.previous == first.image_id

        service = cvm.service
        old = service.get_image(ALICE, first.image_id)
        new = service.get_image(ALICE, second.image_id)
        assert old.deprecated and not new.deprecated
        assert new.family == "web-daily" and {t.key: t.value for t in new.tags} == {
            "team": "web",
            "built-by": "packer",
        }
        assert service.describe_image_from_family(ALICE, "ap-guangzhou", "web-daily") == new
        seen_by_bob = service.describe_images(BOB, "ap-shanghai", kinds=["SHARED_IMAGE"])
        assert {image.id for image in seen_by_bob} == {
            first.copies["ap-shanghai"],
            second.copies["ap-shanghai"],
        }

        # the old build is destroyed: shares of the whole list cancelled, images deleted
        problems = cleanup(
            config("web-2026-11-28", share_accounts=[BOB, REAL_ACCOUNT, CAROL]),
            images_of(config("x"), first),
        )
        assert problems == []
        for region, image_id in images_of(config("x"), first).items():
            assert image_id not in {i.id for i in service.describe_images(ALICE, region)}
        assert service.image_quota(ALICE, "ap-guangzhou").used == 1


def test_a_failed_build_cleans_up_after_itself() -> None:
    """A copy region of the wrong name fails SyncImages (InvalidRegion.NotFound);
    the build deletes the image it made, as packer's cleanup does."""
    with mock_cvm(credentials={"AKIDci": ALICE}) as cvm:
        with pytest.raises(BuildError, match=r"InvalidRegion\.NotFound"):
            build(config("web-broken", copy_regions=["ap-nowhere"]))
        assert cvm.service.image_quota(ALICE, "ap-guangzhou").used == 0
