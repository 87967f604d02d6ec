"""Schema 3: images keep their tags, image family, deprecation and encryption;
instances their zone.

Images of schema 2 had none of these: no tags, no family, not deprecated, not
encrypted, which the new columns' defaults say; a NULL zone is the region's first.

Revision ID: s0003
Revises: s0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ic_images", sa.Column("tags", sa.Text, nullable=False, server_default="[]"))
    op.add_column("ic_images", sa.Column("family", sa.String(60), nullable=True))
    op.add_column(
        "ic_images",
        sa.Column("deprecated", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "ic_images",
        sa.Column("encrypted", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("ic_images", sa.Column("kms_key_id", sa.String(128), nullable=True))
    op.add_column("ic_instances", sa.Column("zone", sa.String(40), nullable=True))
    meta = sa.table("imagecatalog_meta", sa.column("key"), sa.column("value"))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="3"))
