"""Schema 2: images and instances keep their boot mode; an owner's instances are indexed.

Every image and instance of schema 1 booted with Legacy BIOS (ImportImage's
default), which the new columns' default says.

Revision ID: s0002
Revises: s0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("ic_images", "ic_instances"):
        op.add_column(
            table,
            sa.Column("boot_mode", sa.String(16), nullable=False, server_default="Legacy BIOS"),
        )
    op.create_index("ix_ic_instances_owner", "ic_instances", ["owner", "launched_at", "id"])
    op.create_index(
        "ix_ic_instances_owner_region", "ic_instances", ["owner", "region", "launched_at", "id"]
    )
    meta = sa.table("imagecatalog_meta", sa.column("key"), sa.column("value"))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="2"))
