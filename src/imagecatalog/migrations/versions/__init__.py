"""One file per schema version (see :mod:`imagecatalog.migrations`)."""
