"""pytest fixtures for testing with imagecatalog.

Installed with imagecatalog and registered through the ``pytest11`` entry point,
so any test can ask for them by name; nothing to import or configure.  Every
fixture is function-scoped: each test gets a fresh catalog.

==========================  ==========================================================
fixture                     what it gives
==========================  ==========================================================
``image_service``           an empty :class:`~imagecatalog.ImageService` (in memory,
                            instant, the seed's limits, repeatable IDs and times)
``public_catalog``          a service with the built-in public images in every
                            region (:func:`imagecatalog.testing.public_catalog`)
``image_account_factory``   an :class:`~imagecatalog.testing.AccountFactory`:
                            ``image_account_factory(service)`` registers a fresh account
``image_catalog_builder``   a fresh :class:`~imagecatalog.testing.CatalogBuilder`
==========================  ==========================================================

The names carry "image" so that they do not collide with common plugins'
fixtures (``account_factory`` is what pytest-factoryboy would register, for one).
This module imports neither Hypothesis nor anything heavy.
"""

from __future__ import annotations

import pytest

from imagecatalog.service import ImageService
from imagecatalog.testing import (
    AccountFactory,
    CatalogBuilder,
    stepping_clock,
)
from imagecatalog.testing import (
    public_catalog as _public_catalog,
)

__all__ = ["image_account_factory", "image_catalog_builder", "image_service", "public_catalog"]


@pytest.fixture
def image_service() -> ImageService:
    """An empty catalog: no accounts, no images."""
    return ImageService(clock=stepping_clock(), id_seed=0)


@pytest.fixture
def public_catalog() -> ImageService:
    """A catalog with public images in every known region and no accounts."""
    return _public_catalog()


@pytest.fixture
def image_account_factory() -> AccountFactory:
    """Registers fresh accounts: ``image_account_factory(service)``."""
    return AccountFactory()


@pytest.fixture
def image_catalog_builder() -> CatalogBuilder:
    """A builder for arranging a catalog in a few readable lines."""
    return CatalogBuilder()
