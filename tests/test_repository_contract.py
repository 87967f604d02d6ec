"""Our own store passes the contract any third-party store can run."""

from __future__ import annotations

from hypothesis import settings

from imagecatalog import CatalogStore, InMemoryImageRepository
from imagecatalog.testing.contract import RepositoryContract


class TestInMemoryRepository(RepositoryContract):
    """The unit contract; the stateful part runs briefly (tests/stateful runs it fully)."""

    stateful_settings = settings(settings(), max_examples=10, stateful_step_count=30)

    def make_repository(self) -> CatalogStore:
        return InMemoryImageRepository()
