"""The command line and the demo it runs."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from imagecatalog.cli import main
from imagecatalog.demo import run_demo


def test_demo_tells_the_story_with_each_refusal_and_its_code() -> None:
    out = io.StringIO()
    run_demo(out=out)
    text = out.getvalue()
    for expected in (
        "PUBLIC_IMAGE",
        "copy img-",
        "SHARED_IMAGE",
        "PermissionDeniedError [UnsupportedOperation.SharedImageModifyUnsupported]",
        "UntrustedImageError [UnauthorizedOperation.UntrustedSharedImage]",
        "QuotaExceededError [ImageQuotaLimitExceeded]",
        "already has 10 of 10 custom images in ap-guangzhou",
        "SharingError [InvalidImageId.InShared]",
        "ImageNotFoundError [InvalidImageId.NotFound]",
    ):
        assert expected in text


def test_demo_is_repeatable() -> None:
    first, second = io.StringIO(), io.StringIO()
    run_demo(seed=1, out=first)
    run_demo(seed=1, out=second)
    assert first.getvalue() == second.getvalue()


def test_cli_runs_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3"]) == 0
    assert "Every refusal above left the catalog exactly as it was." in capsys.readouterr().out


def test_cli_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main([])
    assert raised.value.code == 2


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "imagecatalog", "demo"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "ImageQuotaLimitExceeded" in done.stdout
