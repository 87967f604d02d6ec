"""``python -m imagecatalog serve`` in a subprocess, for the server's tests."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client

from imagecatalog.server import sign

ALICE, BOB = "100000000001", "100000000002"
SECRETS = {
    "AKIDalice": {"SecretKey": "alice-key", "AccountId": ALICE},
    "AKIDbob": {"SecretKey": "bob-key", "AccountId": BOB},
}


#: The page "Run the fake as a server", whose examples the tests run.
DOC = Path(__file__).parent.parent / "docs" / "server.md"


def doc_credentials() -> dict[str, dict[str, str]]:
    """The credentials file at the top of docs/server.md."""
    found = re.search(r"cat > credentials.json <<'EOF'\n(.*?)\nEOF", DOC.read_text("utf-8"), re.S)
    assert found, "docs/server.md no longer writes a credentials file"
    secrets: dict[str, dict[str, str]] = json.loads(found.group(1))
    return secrets


def doc_block(language: str, containing: str) -> str:
    """The one block of *language* in docs/server.md that contains *containing*."""
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text("utf-8"), re.S)
    [block] = [block for block in blocks if containing in block]
    return str(block)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``python -m imagecatalog serve`` in a subprocess."""

    def __init__(
        self,
        tmp_path: Path,
        store: str | None = None,
        *,
        options: list[str] | None = None,
        secrets: Mapping[str, Mapping[str, str]] = SECRETS,
    ) -> None:
        self.credentials = tmp_path / "credentials.json"
        self.credentials.write_text(json.dumps(secrets), encoding="utf-8")
        self.store = store
        self.options = options or []
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.scheme = "https" if "--certfile" in self.options else "http"

    def start(self) -> Server:
        command = [
            sys.executable,
            "-m",
            "imagecatalog",
            "serve",
            "--port",
            str(self.port),
            "--credentials",
            str(self.credentials),
        ]
        if self.store is not None:
            command += ["--store", self.store]
        command += ["--shutdown-timeout", "2", *self.options]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode())  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        """SIGTERM: uvicorn finishes the requests in flight, then exits by the
        signal it caught (status -15), as it has since 0.29."""
        if self.process is None:
            return
        try:
            if self.process.poll() is None:
                self.process.terminate()
            assert self.process.wait(timeout=20) in (0, -15)
        finally:
            if self.process.stderr is not None:
                self.process.stderr.close()

    def client(
        self,
        region: str = "ap-guangzhou",
        secret_id: str = "AKIDalice",
        key: str | None = None,
        certification: str | None = None,
    ) -> Any:
        profile = ClientProfile(
            httpProfile=HttpProfile(
                endpoint=f"127.0.0.1:{self.port}",
                protocol=self.scheme,
                certification=certification,
            )
        )
        secret = key if key is not None else SECRETS.get(secret_id, {}).get("SecretKey", "x")
        return cvm_client.CvmClient(credential.Credential(secret_id, secret), region, profile)

    def raw(
        self,
        body: bytes,
        *,
        action: str = "DescribeImages",
        version: str = "2017-03-12",
        region: str = "ap-guangzhou",
        secret_id: str = "AKIDalice",
        timestamp: int | None = None,
        authorization: str | None = None,
        method: str = "POST",
        signed_host: str | None = None,
        service: str = "cvm",
    ) -> tuple[int, str, dict[str, Any]]:
        """A request built by hand, signed as the SDK signs (unless *authorization*)."""
        stamp = int(time.time()) if timestamp is None else timestamp
        host = f"127.0.0.1:{self.port}"
        if authorization is None:
            date = time.strftime("%Y-%m-%d", time.gmtime(stamp))
            signature = sign(
                SECRETS[secret_id]["SecretKey"],
                method=method,
                host=host if signed_host is None else signed_host,
                content_type="application/json",
                body=body,
                timestamp=stamp,
                service=service,
            )
            authorization = (
                f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
                f"SignedHeaders=content-type;host, Signature={signature}"
            )
        request = urllib.request.Request(
            f"http://{host}/",
            data=body if method == "POST" else None,
            method=method,
            headers={
                "Content-Type": "application/json",
                "Host": host,
                "X-TC-Action": action,
                "X-TC-Version": version,
                "X-TC-Region": region,
                "X-TC-Timestamp": str(stamp),
                "Authorization": authorization,
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return (
                answer.status,
                answer.headers["Content-Type"],
                json.loads(answer.read())["Response"],
            )
