"""The CVM action layer (imagecatalog.cvm): one parse, call and render for every transport.

The fast paths are held to the plain ones: a listing rendered from cached JSON says
exactly what the rendering of the plain body says, and the Image object built key by
key is the wire class's, field for field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imagecatalog import ImageCatalogError, ImageKind, ImageService
from imagecatalog.cvm import CvmActions
from imagecatalog.serialization import _CONVERTER, _wire, to_api, to_api_json
from imagecatalog.testing import CatalogBuilder
from imagecatalog.testing import strategies as ic

ALICE, BOB = "100000000001", "100000000002"


@given(ic.images(), st.sampled_from(ImageKind))
def test_to_api_is_the_wire_class_through_the_converter(image: Any, kind: ImageKind) -> None:
    """The provider's Image object built key by key equals the one the private
    converter makes from the wire class (keys, order and values)."""
    fast = to_api(image, "0", kind=kind)
    reference = _CONVERTER.unstructure(_wire(image, kind))
    assert fast == reference
    assert list(fast) == list(reference)


@given(ic.images(), st.sampled_from(ImageKind))
def test_cached_json_is_the_json_of_to_api(image: Any, kind: ImageKind) -> None:
    """An image's JSON, rendered once and kept, is the JSON of its Image object."""
    first = to_api_json(image, kind)
    assert json.loads(first) == to_api(image, "0", kind=kind)
    assert to_api_json(image, kind) is first  # kept
    other = ImageKind.SHARED if kind is not ImageKind.SHARED else ImageKind.CUSTOM
    assert json.loads(to_api_json(image, other))["ImageType"] == other.value


def catalog() -> ImageService:
    builder = CatalogBuilder().accounts(ALICE, BOB)
    for number in range(5):
        builder.custom_image(ALICE, "ap-guangzhou", f"web-golden-{number}", shared_with=[BOB])
    builder.custom_image(BOB, "ap-guangzhou", "db-primary")
    return builder.build()


@given(
    caller=st.sampled_from([ALICE, BOB]),
    filters=st.lists(
        st.fixed_dictionaries(
            {
                "Name": st.sampled_from(["image-type", "image-name", "platform"]),
                "Values": st.lists(
                    st.sampled_from(["PRIVATE_IMAGE", "SHARED_IMAGE", "web", "Ubuntu", "db"]),
                    min_size=1,
                    max_size=2,
                ),
            }
        ),
        max_size=1,
    ),
    offset=st.integers(0, 6),
    limit=st.integers(1, 4),
)
def test_rendered_listings_say_what_the_plain_body_says(
    caller: str, filters: list[dict[str, Any]], offset: int, limit: int
) -> None:
    """handle_json (what the SDK fake sends) is handle's body as JSON, whatever the
    filters and the page, and a repeated call renders the same text."""
    actions = CvmActions(SERVICE)
    params = {"Filters": filters, "Offset": offset, "Limit": limit}
    code: str | None = None
    try:
        body = actions.handle("DescribeImages", params, caller=caller, region="ap-guangzhou")
    except ImageCatalogError as refused:  # "web" as an image-type: both paths refuse alike
        code = refused.code
    if code is not None:
        with pytest.raises(ImageCatalogError) as also:
            actions.handle_json(
                "DescribeImages", params, caller=caller, region="ap-guangzhou", request_id="r"
            )
        assert also.value.code == code
        return
    text = actions.handle_json(
        "DescribeImages", params, caller=caller, region="ap-guangzhou", request_id="req-1"
    )
    assert json.loads(text) == {"Response": {**body, "RequestId": "req-1"}}
    again = actions.handle_json(
        "DescribeImages", params, caller=caller, region="ap-guangzhou", request_id="req-1"
    )
    assert again == text


SERVICE = catalog()


def test_other_actions_are_rendered_from_their_body() -> None:
    """Every action but the listing is its plain body with the request ID."""
    actions = CvmActions(SERVICE)
    text = actions.handle_json(
        "DescribeImageQuota", {}, caller=ALICE, region="ap-guangzhou", request_id="req-2"
    )
    assert json.loads(text) == {"Response": {"ImageNumQuota": 10, "RequestId": "req-2"}}


def test_a_changed_image_is_rendered_anew() -> None:
    """The cache is by the image value: a renamed image (a new value) renders anew."""
    service = catalog()
    actions = CvmActions(service)

    def names() -> list[str]:
        text = actions.handle_json(
            "DescribeImages",
            {"Filters": [{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}]},
            caller=ALICE,
            region="ap-guangzhou",
            request_id="req-3",
        )
        return [image["ImageName"] for image in json.loads(text)["Response"]["ImageSet"]]

    assert "web-golden-0" in names()
    (first,) = service.describe_images(ALICE, "ap-guangzhou", name="web-golden-0")
    service.modify_image(ALICE, first, name="web-golden-renamed")
    assert "web-golden-renamed" in names() and "web-golden-0" not in names()
