"""docs/fidelity.md's table lists every parameter and field, and is up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from tencentcloud.cvm.v20170312 import models

from imagecatalog import fidelity
from imagecatalog.cvm import ACTION_PARAMETERS, CvmActions
from imagecatalog.service import ImageService

PAGE = Path(__file__).parents[2] / "docs" / "fidelity.md"


def fields_of(model: str) -> list[str]:
    return [name[1:] for name in vars(getattr(models, model)())]


def test_every_modelled_action_is_in_the_table() -> None:
    assert set(fidelity.REQUESTS) == set(CvmActions(ImageService()).actions)
    assert set(fidelity.RESPONSES) == set(fidelity.REQUESTS)


@pytest.mark.parametrize("action", sorted(ACTION_PARAMETERS))
def test_every_request_parameter_is_listed_once(action: str) -> None:
    names = [field.name for field in fidelity.REQUESTS[action]]
    assert len(names) == len(set(names))
    assert set(names) == ACTION_PARAMETERS[action]


@pytest.mark.parametrize("action", sorted(ACTION_PARAMETERS))
def test_every_response_field_is_listed(action: str) -> None:
    """The SDK's response model's fields (the newest SDK may add more; each one the
    fake knows is listed)."""
    names = {field.name for field in fidelity.RESPONSES[action]}
    assert set(fields_of(f"{action}Response")) - {"RequestId"} <= names


@pytest.mark.parametrize("model", ["Image", "Instance"])
def test_every_object_field_is_listed(model: str) -> None:
    names = [field.name for field in fidelity.OBJECTS[model]]
    assert len(names) == len(set(names))
    assert set(fields_of(model)) <= set(names)


def test_the_page_shows_the_table() -> None:
    """docs/fidelity.md holds :func:`fidelity.render` between its markers
    (regenerate with ``python -m imagecatalog.fidelity``)."""
    text = PAGE.read_text(encoding="utf-8")
    begin = text.index("-->", text.index("<!-- fidelity:begin")) + len("-->\n")
    end = text.index("<!-- fidelity:end -->")
    assert text[begin:end] == fidelity.render()
