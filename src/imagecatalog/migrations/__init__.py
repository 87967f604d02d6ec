"""The SQL store's schema, as Alembic migrations.

Each file in ``versions/`` moves a database one schema version forward; the
first creates the schema 0.1.0 created.  :class:`~imagecatalog.sql.SqlImageRepository`
runs them itself (``SqlImageRepository(url)`` migrates an older database forward
in one transaction), so users never call Alembic.  For maintainers: a new
migration is a new file in ``versions/`` whose ``down_revision`` is the last
one's, which ends by recording the new version in ``imagecatalog_meta``, and
:data:`imagecatalog.sql.SCHEMA_VERSION` goes up by one (see docs/sql.md).
"""
