"""Helpers the tests share: a small catalog that reads like the domain, and a
way to assert that a refused call changed nothing."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from imagecatalog import (
    Image,
    ImageCatalogError,
    ImageService,
    Limits,
)
from imagecatalog.testing import CatalogBuilder, catalog_state, expect_refusal

__all__ = ["catalog_state"]

_E = TypeVar("_E", bound=ImageCatalogError)

ALICE = "100000000001"
BOB = "100000000002"
CAROL = "100000000003"
STRANGER = "100000000099"  # well formed, never registered

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


#: The PostgreSQL the SQL tests run against (.ci/run sets it when 127.0.0.1:5432 answers).
POSTGRES_URL = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    POSTGRES_URL is None,
    reason="IMAGECATALOG_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against "
    "(.ci/run sets it when 127.0.0.1:5432 answers)",
)


def new_service(*, limits: Limits | None = None, instant: bool = True) -> ImageService:
    """A service with public Ubuntu and Windows images in ap-guangzhou and
    ap-singapore, and the accounts Alice, Bob and Carol."""
    builder = CatalogBuilder(limits=limits, instant=instant, seed=7).accounts(ALICE, BOB, CAROL)
    for region in ("ap-guangzhou", "ap-singapore"):
        builder.public_image(region, platform="Ubuntu").public_image(region, platform="Windows")
    return builder.build()


def public_image(service: ImageService, region: str, platform: str = "Ubuntu") -> Image:
    """The public image of *platform* in *region*."""
    page = service.describe_images(ALICE, region, platform=platform, kinds=["PUBLIC_IMAGE"])
    return page.items[0]


def refuses(service: ImageService, error: type[_E], code: str, call: Callable[[], object]) -> _E:
    """Assert *call* raises *error* with *code* and leaves the catalog unchanged."""
    return expect_refusal(service, error, code, call)


class PostgresSchemas:
    """Makes a fresh schema per repository and drops them all at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = sa.create_engine(url)
        self.schemas: list[str] = []

    def url_for_new_schema(self) -> str:
        schema = f"ic_test_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}options=-csearch_path%3D{schema}"

    def drop_all(self) -> None:
        with self.admin.begin() as connection:
            for schema in self.schemas:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.admin.dispose()


@contextlib.contextmanager
def statements_sent(engine: sa.Engine, hook: Callable[[str], object]) -> Iterator[None]:
    """Call *hook* with the text of each statement a SQL store on *engine* sends
    from this thread, just before it is sent: those SQLAlchemy runs (the engine's
    events) and those the store sends on psycopg itself (logged to
    ``imagecatalog.sql`` at DEBUG; other threads' are left out, as other stores'
    may be among them)."""
    me = threading.get_ident()

    def on_engine(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        hook(statement)

    class OnDriver(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == me:
                hook(str(record.args[0]) if isinstance(record.args, tuple) else record.msg)

    logger = logging.getLogger("imagecatalog.sql")
    handler, level = OnDriver(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    sa.event.listen(engine, "before_cursor_execute", on_engine)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_engine)
        logger.removeHandler(handler)
        logger.setLevel(level)
