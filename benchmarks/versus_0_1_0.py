"""This release against 0.1.0, operation by operation, in the same run.

0.1.0's source is taken from the repository's history (``git archive``, commit
``70fce0f``) into a temporary folder; each operation runs in a fresh process on
either tree.  Where ``valgrind`` is installed, the cost is the number of machine
instructions per operation (cachegrind: the same count on every run, whatever else
the machine does); else the best of several timed rounds.

Run: ``python -m benchmarks.versus_0_1_0``; prints a Markdown section.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._common import ROOT, extract_src, machine, table

RELEASE_0_1_0 = "70fce0f"

#: One operation, on a catalog of 300 custom images (150 shared with 3 accounts).
WORKLOAD = r"""
import sys, time, warnings
warnings.simplefilter("ignore")
from imagecatalog import ImageService, Limits
op, n = sys.argv[1], int(sys.argv[2])
s = ImageService(limits=Limits(custom_images_per_region=100000, accounts_per_shared_image=500),
                 id_seed=1)
owner = s.register_account("100000000001")
others = [s.register_account(f"1000000001{i:02d}") for i in range(3)]
publish = getattr(s, "provider", s).publish_public_image
pub = publish("ap-guangzhou", name="Ubuntu", os_type="Linux", platform="Ubuntu",
              os_name="Ubuntu", architecture="x86_64", size_gb=20)
inst = s.launch_instance(owner, pub.id)
imgs = [s.create_image(owner, inst.id, name=f"img-{i}") for i in range(300)]
shared, plain = imgs[:150], imgs[150:]
for im in shared:
    s.share_image(owner, im.id, others)
calls = {
    "create": lambda i: s.create_image(owner, inst.id, name=f"x-{i}"),
    "copy": lambda i: s.copy_image(owner, plain[i].id, ["ap-tokyo"]),
    "launch": lambda i: s.launch_instance(owner, pub.id),
    "share (3 accounts)": lambda i: s.share_image(owner, plain[i].id, others),
    "unshare (3 accounts)": lambda i: s.unshare_image(owner, shared[i].id, others),
    "delete": lambda i: s.delete_images(owner, [plain[i].id]),
    "quota": lambda i: s.image_quota(owner, "ap-guangzhou"),
    "list first page (20)": lambda i: s.describe_images(owner, "ap-guangzhou", limit=20),
    "list own, page of 100": lambda i: s.describe_images(
        owner, "ap-guangzhou", kinds=["PRIVATE_IMAGE"], offset=100, limit=100),
    "list shared, page of 100": lambda i: s.describe_images(
        others[0], "ap-guangzhou", kinds=["SHARED_IMAGE"], limit=100),
}
call = calls[op]
if len(sys.argv) > 3:  # timing: the best round of ten calls, µs per call
    rounds = []
    for k in range(n // 10):
        start = time.perf_counter()
        for j in range(k * 10, k * 10 + 10):
            call(j)
        rounds.append((time.perf_counter() - start) / 10)
    print(min(rounds) * 1e6)
else:
    for j in range(n):
        call(j)
"""
OPERATIONS = [
    "create",
    "copy",
    "launch",
    "share (3 accounts)",
    "unshare (3 accounts)",
    "delete",
    "quota",
    "list first page (20)",
    "list own, page of 100",
    "list shared, page of 100",
]


def _extract_0_1_0(folder: Path) -> Path | None:
    """0.1.0's ``src`` folder, from git history; None without git or that commit."""
    return extract_src(RELEASE_0_1_0, folder)


def _instructions(src: Path, script: Path, op: str, calls: int) -> int:
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(script),
        op,
        str(calls),
    ]
    done = subprocess.run(
        command,
        env={**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    assert found is not None, done.stderr
    return int(found.group(1).replace(",", ""))


def _per_call(src: Path, script: Path, op: str) -> float:
    """Thousands of instructions per call (100 calls over 50: warm caches), or µs."""
    if shutil.which("valgrind"):
        low = _instructions(src, script, op, 50)
        high = _instructions(src, script, op, 150)
        return (high - low) / 100 / 1000
    done = subprocess.run(
        [sys.executable, str(script), op, "150", "time"],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def report() -> str:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        old = _extract_0_1_0(folder)
        if old is None:
            return "## This release against 0.1.0\n\n(skipped: no git history here)\n"
        script = folder / "workload.py"
        script.write_text(WORKLOAD, encoding="utf-8")
        new = ROOT / "src"
        unit = "thousand instructions" if shutil.which("valgrind") else "µs"
        rows = []
        for op in OPERATIONS:
            before, after = _per_call(old, script, op), _per_call(new, script, op)
            rows.append([op, f"{before:,.0f}", f"{after:,.0f}", f"{after / before:.2f}x"])
    method = (
        "machine instructions counted by valgrind's cachegrind (the same count on every "
        "run, whatever else the machine does), per call: the difference between 150 and "
        "50 calls, divided by 100"
        if unit != "µs"
        else "best of several timed rounds"
    )
    return "\n".join(
        [
            "## This release against 0.1.0",
            "",
            f"Machine: {machine()}.",
            "",
            "Command: `nox -s bench` (runs `python -m benchmarks.versus_0_1_0`). 0.1.0 "
            f"(commit {RELEASE_0_1_0}, from git history) and this tree run the same script "
            "in fresh processes: a catalog of 300 custom images, 150 shared with 3 accounts, "
            f"then one operation; the cost is {method}.",
            "",
            table(["operation", f"0.1.0 ({unit})", f"now ({unit})", "now / 0.1.0"], rows),
            "",
        ]
    )


if __name__ == "__main__":
    print(report())
