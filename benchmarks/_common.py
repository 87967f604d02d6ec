"""Helpers the benchmarks share: timing, memory, the machine, the report."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

#: The repository the benchmarks run from.
ROOT = Path(__file__).resolve().parent.parent


def median_us(action: Callable[[], object], repeat: int) -> float:
    """The median time of *action* over *repeat* runs, in microseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def per_item_us(action: Callable[[], object], items: int) -> float:
    """Run *action* once (it handles *items* items); microseconds per item."""
    start = time.perf_counter_ns()
    action()
    return (time.perf_counter_ns() - start) / 1000 / items


def rss_bytes() -> int:
    """This process's resident memory, after a full collection."""
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def machine() -> str:
    """One line naming the machine and the Python."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def extract_src(commit: str, folder: Path) -> Path | None:
    """The ``src`` folder of *commit*, taken from git history (``git archive``) into
    *folder*; None without git or that commit."""
    archive = folder / f"{commit}.tar"
    try:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "-o", str(archive), commit, "src"],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(folder / commit, filter="data")
    return folder / commit / "src"
