"""A downstream project uses imagecatalog's testing toolkit as an installed package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parent / "examples" / "downstream"


def test_downstream_project_passes_with_the_plugin() -> None:
    """The example project finds the fixtures through the pytest11 entry point,
    with neither imagecatalog's source tree nor its tests on its path."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(EXAMPLE)  # the downstream project's own modules only
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--trace-config", "-p", "no:randomly"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imagecatalog.testing.pytest_plugin" in done.stdout  # loaded as a plugin
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", summary), summary
    assert int(summary.split()[0]) >= 10  # the janitor's tests and the contract
