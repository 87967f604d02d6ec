"""The catalog on the in-memory store against the naive reference model.

The machine itself is public (:mod:`imagecatalog.testing.contract`), so that any
store can run it; this module runs it on ours, with the loaded Hypothesis
profile and 100 steps per run.
"""

from __future__ import annotations

from hypothesis import settings

from imagecatalog import InMemoryImageRepository
from imagecatalog.testing.contract import catalog_machine

TestCatalog = catalog_machine(InMemoryImageRepository).TestCase
TestCatalog.settings = settings(
    settings(),  # the profile loaded in conftest.py
    stateful_step_count=100,
    max_examples=max(settings().max_examples, 100),
)
