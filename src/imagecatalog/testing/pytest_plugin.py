"""pytest fixtures for testing with imagecatalog.

Installed with imagecatalog and registered through the ``pytest11`` entry point,
so any test can ask for them by name; nothing to import or configure.  Every
fixture is function-scoped: each test gets a fresh catalog.

==========================  ==========================================================
fixture                     what it gives
==========================  ==========================================================
``image_service``           an empty :class:`~imagecatalog.ImageService` (in memory,
                            instant, the default limits, repeatable IDs and times)
``image_public_catalog``    a service with the built-in public images in every
                            region (:func:`imagecatalog.testing.public_catalog`)
``image_account_factory``   an :class:`~imagecatalog.testing.AccountFactory`:
                            ``image_account_factory(service)`` registers a fresh account
``image_catalog_builder``   a fresh :class:`~imagecatalog.testing.CatalogBuilder`
==========================  ==========================================================

Every name starts with ``image_`` so that it does not collide with common
plugins' fixtures (``account_factory`` is what pytest-factoryboy would
register, for one).  ``public_catalog``, the name 0.1.0 gave the second one, is
deprecated: it still works for a release, with a :class:`DeprecationWarning`.
This module imports neither Hypothesis nor anything heavy.
"""

from __future__ import annotations

import pytest

from imagecatalog._deprecation import deprecated
from imagecatalog.clocks import stepping_clock
from imagecatalog.service import ImageService
from imagecatalog.testing import AccountFactory, CatalogBuilder
from imagecatalog.testing import public_catalog as _public_catalog

__all__ = [
    "image_account_factory",
    "image_catalog_builder",
    "image_public_catalog",
    "image_service",
    "public_catalog",
]


@pytest.fixture
def image_service() -> ImageService:
    """An empty catalog: no accounts, no images."""
    return ImageService(clock=stepping_clock(), id_seed=0)


@pytest.fixture
def image_public_catalog() -> ImageService:
    """A catalog with public images in every known region and no accounts."""
    return _public_catalog()


@pytest.fixture
def public_catalog() -> ImageService:
    """Deprecated: ``image_public_catalog``."""
    deprecated("the public_catalog fixture", "ask for image_public_catalog")
    return _public_catalog()


@pytest.fixture
def image_account_factory() -> AccountFactory:
    """Registers fresh accounts: ``image_account_factory(service)``."""
    return AccountFactory()


@pytest.fixture
def image_catalog_builder() -> CatalogBuilder:
    """A builder for arranging a catalog in a few readable lines."""
    return CatalogBuilder()
