"""The benchmark code runs (tiny sizes, no timing asserted), so `nox -s bench` cannot rot."""

from __future__ import annotations

from benchmarks import moto_compare, scaling


def test_scaling_benchmark_runs() -> None:
    section = scaling.report([200, 400])
    assert "| quota |" in section and "bytes per image" in section


def test_workload_runs_on_imagecatalog_and_the_floor() -> None:
    for timings in (moto_compare.run_imagecatalog(30), moto_compare.run_floor(30)):
        assert list(timings) == moto_compare.STEPS
        assert all(seconds >= 0 for seconds in timings.values())
