"""Alembic's environment for imagecatalog: run on the connection the store hands over.

:class:`~imagecatalog.sql.SqlImageRepository` opens a transaction, takes the
catalog's lock, and passes its connection in ``config.attributes["connection"]``;
the migrations run inside that one transaction, so a database is migrated
whole or not at all.  There is no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context

from imagecatalog.sql import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    transactional_ddl=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
