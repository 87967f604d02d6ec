"""``python -m imagecatalog``: the command line."""

from __future__ import annotations

from imagecatalog.cli import main

raise SystemExit(main())
