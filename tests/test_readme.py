"""The README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"


def test_readme_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks, "the README shows no Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
    assert "ImageQuotaLimitExceeded 10 10" in capsys.readouterr().out


def test_readme_quick_start_is_two_commands() -> None:
    quick_start = README.read_text(encoding="utf-8").split("## Quick start", 1)[1]
    quick_start = quick_start.split("\n## ", 1)[0]
    commands = re.findall(r"```console\n(.*?)\n```", quick_start, re.DOTALL)
    assert commands == [
        "python -m pip install . && python -m imagecatalog demo",
        'python -m pip install -e ".[test]" && python -m pytest',
    ]
