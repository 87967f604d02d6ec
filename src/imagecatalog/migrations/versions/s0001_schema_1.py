"""Schema 1: the tables and indexes imagecatalog 0.1.0 created.

A database created by 0.1.0 has no Alembic version table: the store records this
revision as applied (it is what 0.1.0 built), then migrates from here.

Revision ID: s0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "imagecatalog_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "ic_accounts",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("trusted_sharers", sa.Text, nullable=True),
    )
    op.create_index("ix_ic_accounts_seq", "ic_accounts", ["seq"])
    op.create_table(
        "ic_images",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(20), nullable=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("description", sa.String(256), nullable=False),
        sa.Column("os_type", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("os_name", sa.String(128), nullable=False),
        sa.Column("architecture", sa.String(16), nullable=False),
        sa.Column("size_gb", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("licence_type", sa.String(16), nullable=False),
        sa.Column("software", sa.Text, nullable=False),
        sa.Column("support", sa.String(16), nullable=True),
        sa.Column("copied_from", sa.String(12), nullable=True),
    )
    op.create_index(
        "ix_ic_images_public",
        "ic_images",
        ["region", "created_at", "id"],
        postgresql_where=sa.text("owner IS NULL"),
        sqlite_where=sa.text("owner IS NULL"),
    )
    op.create_index("ix_ic_images_custom", "ic_images", ["owner", "region", "created_at", "id"])
    op.create_index("ux_ic_images_name", "ic_images", ["owner", "region", "name"], unique=True)
    op.create_table(
        "ic_shares",
        sa.Column(
            "image_id",
            sa.String(12),
            sa.ForeignKey("ic_images.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("account_id", sa.String(20), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("shared_at", sa.String(40), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index(
        "ix_ic_shares_receiver", "ic_shares", ["account_id", "region", "created_at", "image_id"]
    )
    op.create_table(
        "ic_instances",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("owner", sa.String(20), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("image_id", sa.String(12), nullable=False),
        sa.Column("os_type", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("os_name", sa.String(128), nullable=False),
        sa.Column("architecture", sa.String(16), nullable=False),
        sa.Column("system_disk_gb", sa.Integer, nullable=False),
        sa.Column("licence_type", sa.String(16), nullable=False),
        sa.Column("launched_at", sa.String(40), nullable=False),
        sa.Column("charges", sa.Text, nullable=False),
    )
    op.create_index("ix_ic_instances_seq", "ic_instances", ["seq"])
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])
