"""The official Tencent Cloud Node.js SDK (``tencentcloud-sdk-nodejs-cvm``,
pinned with its common package in tests/node/package-lock.json: the package
declares its common dependency as ``*``) against the real server.

The Node.js SDK signs differently from the Python one (its
``HttpConnection.doRequestWithSign3``): the service is the endpoint's first
label (``127`` for ``127.0.0.1:PORT``) and the host is signed without its port,
while the ``Host`` header carries it; the server verifies what the request
carries.  tests/node/scenario.js runs the calls; this test checks what each
answered.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.http_server import SECRETS, Server, doc_block, doc_credentials

pytest.importorskip("uvicorn")
NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    """tests/node with its node_modules, installed from the lock file if missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed")
    if not (NODE_DIR / "node_modules" / "tencentcloud-sdk-nodejs-cvm").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
        )
    return NODE_DIR


def test_the_node_sdk_works_against_the_server(node_sdk: Path, tmp_path: Path) -> None:
    server = Server(tmp_path).start()
    try:
        ran = subprocess.run(
            [
                "node",
                str(node_sdk / "scenario.js"),
                str(server.port),
                "AKIDalice",
                SECRETS["AKIDalice"]["SecretKey"],
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["total"] > 0 and result["firstType"] == "PUBLIC_IMAGE"
    assert result["imageId"].startswith("img-")
    assert result["familyImage"] == result["imageId"]
    assert result["quota"] == 500
    assert result["otherRegion"] == "InvalidImageId.NotFound"
    assert result["duplicate"] == "InvalidImageName.Duplicate"
    assert result["wrongKey"] == "AuthFailure.SignatureFailure"
    assert result["unknownId"] == "AuthFailure.SecretIdNotFound"
    assert result["expired"] == "AuthFailure.SignatureExpire"  # a client clock 10 min slow


def test_the_docs_node_example_runs_as_written(node_sdk: Path, tmp_path: Path) -> None:
    """docs/server.md's Node.js example, run as written against a server with the
    page's credentials; only the port is the test's."""
    example = doc_block("javascript", "tencentcloud-sdk-nodejs-cvm")
    assert "127.0.0.1:9000" in example
    server = Server(tmp_path, secrets=doc_credentials()).start()
    try:
        ran = subprocess.run(
            ["node", "-e", example.replace("127.0.0.1:9000", f"127.0.0.1:{server.port}")],
            cwd=node_sdk,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert ran.returncode == 0, ran.stderr
    assert int(ran.stdout) > 0
