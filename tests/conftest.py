"""Shared fixtures: a small catalog in which the tests read like the domain."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from imagecatalog import Image, ImageService, Instance
from tests.support import ALICE, POSTGRES_URL, PostgresSchemas, new_service, public_image

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def service() -> ImageService:
    """The small catalog, with instant operations and the default limits."""
    return new_service()


@pytest.fixture
def slow_service() -> ImageService:
    """The small catalog with ``instant=False``: work waits for complete/fail."""
    return new_service(instant=False)


@pytest.fixture
def launch(service: ImageService) -> Callable[..., Instance]:
    """Launch an instance for *owner* from the public Ubuntu image of *region*."""

    def launch(owner: str = ALICE, region: str = "ap-guangzhou") -> Instance:
        return service.launch_instance(owner, public_image(service, region).id)

    return launch


@pytest.fixture
def make_image(service: ImageService, launch: Callable[..., Instance]) -> Callable[..., Image]:
    """Create a custom image for *owner* in *region* (from a fresh instance)."""
    counter: Iterator[int] = iter(range(10**6))

    def make(owner: str = ALICE, region: str = "ap-guangzhou", name: str | None = None) -> Image:
        instance = launch(owner, region)
        return service.create_image(
            owner, instance.id, name=name or f"web-golden-{next(counter):03d}"
        )

    return make


# The downstream example is a separate project: tests/test_downstream.py runs it.
collect_ignore_glob = ["examples/*"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresSchemas]:
    """Schemas of their own on the test PostgreSQL, each dropped after the module."""
    assert POSTGRES_URL is not None
    schemas = PostgresSchemas(POSTGRES_URL)
    yield schemas
    schemas.drop_all()
