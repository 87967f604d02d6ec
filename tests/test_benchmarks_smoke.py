"""The benchmark code runs (tiny sizes, no timing asserted), so `nox -s bench` cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks import moto_compare, scaling, sdk_fake, versus_0_1_0
from benchmarks._common import ROOT


def test_scaling_benchmark_runs() -> None:
    section = scaling.report([200, 400])
    assert "| quota |" in section and "bytes per image" in section


def test_workload_runs_on_imagecatalog_and_the_floor() -> None:
    for timings in (moto_compare.run_imagecatalog(30), moto_compare.run_floor(30)):
        assert list(timings) == moto_compare.STEPS
        assert all(seconds >= 0 for seconds in timings.values())


def test_the_sdk_fake_benchmark_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_fake, "CALLS", 3)
    monkeypatch.setattr(sdk_fake, "ROUNDS", 1)
    times = sdk_fake.measure()
    assert set(times) == {
        "whole SDK call",
        "the fake (MockCvm.answer)",
        "the SDK parsing the same body",
        "ImageService.describe_images alone",
    }


@pytest.mark.parametrize("operation", versus_0_1_0.OPERATIONS)
def test_the_workload_against_0_1_0_runs_here(operation: str, tmp_path: Path) -> None:
    """The script the comparison with 0.1.0 runs works on this tree (timing mode)."""
    script = tmp_path / "workload.py"
    script.write_text(versus_0_1_0.WORKLOAD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), operation, "20", "time"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert float(done.stdout) > 0
