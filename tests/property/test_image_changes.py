"""The package's one unchecked copy of an image, held to attrs.evolve.

``Image.with_shares``, ``with_state``, ``renamed``, ``issued``, ``copied`` and
``as_seen_by`` change an image without re-running the validators of the fields
they leave alone (``images._changed``).  Each must accept exactly what
:func:`attrs.evolve` accepts and give the same image, so that an invariant added to
``Image`` later cannot be skipped silently by the fast path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from imagecatalog import Account, Image, ImageCatalogError, ImageState, Region, SharePermission
from imagecatalog.testing import strategies as ic

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def outcome(change: Callable[[], Image]) -> tuple[str, Any]:
    """("ok", the image) or ("refused", the error's class)."""
    try:
        return ("ok", change())
    except ImageCatalogError as error:
        return ("refused", type(error))


def shares() -> st.SearchStrategy[tuple[SharePermission, ...]]:
    return st.lists(
        st.builds(
            lambda account, moment: SharePermission(account=Account(id=account), shared_at=moment),
            ic.account_ids(),
            st.just(NOW),
        ),
        max_size=3,
    ).map(tuple)


def times() -> st.SearchStrategy[datetime]:
    """Aware times, and now and then a naive one (which Image refuses)."""
    return st.one_of(
        st.datetimes(timezones=st.just(UTC)),
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    )


@given(ic.images(), shares())
def test_with_shares_is_evolve(image: Image, new: tuple[SharePermission, ...]) -> None:
    """Sharing a public image is refused by both; any other share list is kept as given."""
    assert outcome(lambda: image.with_shares(new)) == outcome(
        lambda: attrs.evolve(image, shared_with=new)
    )


@given(ic.images(), st.sampled_from(ImageState))
def test_with_state_is_evolve(image: Image, state: ImageState) -> None:
    """A new state, whatever it is, is the same image in that state."""
    assert image.with_state(state) == attrs.evolve(image, state=state)


@given(
    ic.images(),
    st.none() | ic.image_names() | ic.invalid_image_names(),
    st.none() | st.text(max_size=300),
)
def test_renamed_is_evolve(image: Image, name: str | None, description: str | None) -> None:
    """A name or description the rules refuse is refused by both, with the same error."""
    changes: dict[str, Any] = {
        key: value
        for key, value in (("name", name), ("description", description))
        if value is not None
    }
    assert outcome(lambda: image.renamed(name=name, description=description)) == outcome(
        lambda: attrs.evolve(image, **changes)
    )


@given(
    ic.images(),
    ic.image_ids() | ic.malformed_image_ids(),
    times(),
    st.none() | st.sampled_from(ImageState),
)
def test_issued_is_evolve(
    image: Image, image_id: str, moment: datetime, state: ImageState | None
) -> None:
    """A malformed ID or a naive time is refused by both."""
    changes: dict[str, Any] = {"id": image_id, "created_at": moment}
    if state is not None:
        changes["state"] = state
    assert outcome(lambda: image.issued(id=image_id, created_at=moment, state=state)) == outcome(
        lambda: attrs.evolve(image, **changes)
    )


@given(
    ic.images(),
    ic.image_ids() | ic.malformed_image_ids(),
    ic.regions(),
    ic.image_names() | ic.invalid_image_names(),
    st.sampled_from(ImageState),
    times(),
)
def test_copied_is_evolve(
    image: Image,
    image_id: str,
    region: Region,
    name: str,
    state: ImageState,
    moment: datetime,
) -> None:
    """A copy is the source under a new ID, region, name, state and time, unshared,
    recording its source; what evolve refuses, copying refuses."""
    assert outcome(
        lambda: image.copied(id=image_id, region=region, name=name, state=state, created_at=moment)
    ) == outcome(
        lambda: attrs.evolve(
            image,
            id=image_id,
            region=region,
            name=name,
            state=state,
            created_at=moment,
            copied_from=image.id,
            shared_with=(),
        )
    )


@given(ic.images(), ic.account_ids())
def test_as_seen_by_is_evolve(image: Image, viewer: str) -> None:
    """What a viewer sees is the image with at most the viewer's own share
    (all of them for the owner)."""
    own = (
        image.shared_with
        if image.owner is not None and image.owner.id == viewer
        else tuple(share for share in image.shared_with if share.account.id == viewer)
    )
    assert image.as_seen_by(viewer) == attrs.evolve(image, shared_with=own)
