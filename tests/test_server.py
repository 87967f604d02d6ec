"""The catalog as an HTTP endpoint, tested from outside: the real server in a
subprocess on a free port, and the official Python SDK pointed at it over HTTP
(no patching), plus raw requests for what no SDK would send.

Grounding: the API 3.0 protocol as the SDK speaks it (tencentcloud/common/
abstract_client.py: ``_build_req_with_tc3_signature`` puts the action, version,
region and timestamp in ``X-TC-*`` headers and signs ``content-type;host``;
``_check_status`` takes any status but 200 for a network failure;
``_check_error`` reads an error only from a ``Content-Type`` of exactly
``application/json``), and the common error codes page (AuthFailure.*,
InvalidAction, NoSuchVersion, RequestSizeLimitExceeded).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import models

pytest.importorskip("uvicorn")

from imagecatalog.server import sign
from tests.http_server import BOB, Server, doc_block, doc_credentials


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path).start()
    yield running
    running.stop()


def refused(code: str, make: Callable[[], object]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as raised:
        make()
    assert raised.value.code == code, (raised.value.code, raised.value.message)
    assert raised.value.requestId
    return raised.value


def test_the_official_sdk_works_against_the_server(server: Server) -> None:
    client = server.client()
    listing = client.DescribeImages(models.DescribeImagesRequest())
    assert listing.TotalCount > 0 and listing.ImageSet[0].ImageType == "PUBLIC_IMAGE"
    run = models.RunInstancesRequest()
    run.ImageId = listing.ImageSet[0].ImageId
    run.Placement = models.Placement()
    run.Placement.Zone = "ap-guangzhou-3"
    [instance_id] = client.RunInstances(run).InstanceIdSet
    create = models.CreateImageRequest()
    create.InstanceId, create.ImageName = instance_id, "web-golden"
    image_id = client.CreateImage(create).ImageId
    share = models.ModifyImageSharePermissionRequest()
    share.ImageId, share.AccountIds, share.Permission = image_id, [BOB], "SHARE"
    client.ModifyImageSharePermission(share)
    # Bob's SecretId acts as Bob: he sees the image shared with him
    mine = models.DescribeImagesRequest()
    mine.ImageIds = [image_id]
    [seen] = server.client(secret_id="AKIDbob").DescribeImages(mine).ImageSet
    assert seen.ImageType == "SHARED_IMAGE"
    quota = client.DescribeImageQuota(models.DescribeImageQuotaRequest())
    assert quota.ImageNumQuota == 500  # the newest profile, as the live API
    # the region is the request's: the image is not found from Shanghai
    refused(
        "InvalidImageId.NotFound",
        lambda: server.client("ap-shanghai").ModifyImageAttribute(
            _request("ModifyImageAttribute", ImageId=image_id, ImageName="x")
        ),
    )


def _request(action: str, **fields: Any) -> Any:
    made = getattr(models, f"{action}Request")()
    for key, value in fields.items():
        setattr(made, key, value)
    return made


def test_every_authentication_failure_has_its_code(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = models.DescribeImagesRequest()
    refused(
        "AuthFailure.SecretIdNotFound",
        lambda: server.client(secret_id="AKIDnobody").DescribeImages(request),
    )
    error = refused(
        "AuthFailure.SignatureFailure",
        lambda: server.client(key="not-alices-key").DescribeImages(request),
    )
    assert "alice-key" not in error.message  # a secret is never echoed
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 600)  # the client's clock is slow
    refused("AuthFailure.SignatureExpire", lambda: server.client().DescribeImages(request))
    monkeypatch.undo()
    # as the Node.js SDK signs: the service from the endpoint's host ("127"), the
    # host without its port (its signer), while Host carries the port
    status, kind, answer = server.raw(b"{}", signed_host="127.0.0.1", service="127")
    assert answer["TotalCount"] > 0
    status, kind, answer = server.raw(b"{}", signed_host="127.0.0.2", service="127")
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
    for authorization in ("", "Basic YWxpY2U6a2V5", "TC3-HMAC-SHA256 Credential=AKIDalice"):
        status, kind, answer = server.raw(b"{}", authorization=authorization)
        assert (status, kind) == (200, "application/json")
        assert answer["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_protocol_errors_are_answered_as_the_api_names_them(server: Server) -> None:
    cases: list[tuple[dict[str, Any], bytes, str]] = [
        ({"action": "DescribeNothing"}, b"{}", "InvalidAction"),
        ({"action": "ExportImages"}, b"{}", "UnsupportedOperation"),  # real, not modelled
        ({"version": "2099-01-01"}, b"{}", "NoSuchVersion"),
        ({}, b"not json", "InvalidParameter"),
        ({}, b"[1, 2]", "InvalidParameter"),
        ({}, b'{"Limit": "five"}', "InvalidParameter"),
        ({}, b'{"Limt": 5}', "UnknownParameter"),
        ({}, b"{" + b" " * (10 << 20) + b"}", "RequestSizeLimitExceeded"),  # the live 10 MB
    ]
    for options, body, code in cases:
        status, kind, answer = server.raw(body, **options)
        assert (status, kind) == (200, "application/json"), code
        assert answer["Error"]["Code"] == code, (code, answer)
        assert answer["RequestId"] and "Traceback" not in answer["Error"]["Message"]
    status, kind, answer = server.raw(b"", method="GET")
    assert (status, answer["Error"]["Code"]) == (200, "UnsupportedProtocol")
    # and it still answers
    assert server.client().DescribeImages(models.DescribeImagesRequest()).TotalCount > 0


def test_a_restart_on_a_sqlite_store_loses_nothing(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'catalog.db'}"
    first = Server(tmp_path, store=store).start()
    try:
        client = first.client()
        public = client.DescribeImages(models.DescribeImagesRequest())
        imported = models.ImportImageRequest()
        imported.ImageName, imported.OsType, imported.OsVersion = "erp", "CentOS", "7"
        imported.Architecture = "x86_64"
        imported.ImageUrl = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"
        image_id = client.ImportImage(imported).ImageId
    finally:
        first.stop()
    second = Server(tmp_path, store=store).start()
    try:
        again = second.client().DescribeImages(models.DescribeImagesRequest())
        assert again.TotalCount == public.TotalCount + 1  # the public catalog once
        mine = models.DescribeImagesRequest()
        mine.ImageIds = [image_id]
        assert second.client().DescribeImages(mine).ImageSet[0].ImageName == "erp"
    finally:
        second.stop()


TOKEN = "control-token-for-tests"


def control(
    server: Server, method: str, route: str, body: object = None, token: str = TOKEN
) -> tuple[int, Any]:
    """A call of the control API."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/_imagecatalog/{route}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_the_control_api_drives_time_faults_and_the_catalog(tmp_path: Path) -> None:
    """For tests in other languages: faults, the virtual clock, the call log and
    the catalog itself, behind a bearer token."""
    server = Server(tmp_path, options=["--control-token", TOKEN, "--virtual-clock"]).start()
    try:
        assert control(server, "GET", "health", token="wrong")[0] == 401
        assert control(server, "GET", "health") == (200, {"status": "ok"})
        client = server.client()
        assert (
            control(
                server,
                "POST",
                "faults",
                {"action": "DescribeImages", "code": "RequestLimitExceeded"},
            )[0]
            == 200
        )
        refused(
            "RequestLimitExceeded", lambda: client.DescribeImages(models.DescribeImagesRequest())
        )
        assert (
            control(server, "POST", "faults", {"code": "RequestLimitExeeded"})[0] == 400
        )  # a typo
        imported = models.ImportImageRequest()
        imported.ImageName, imported.OsType, imported.OsVersion = "erp", "CentOS", "7"
        imported.Architecture = "x86_64"
        imported.ImageUrl = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"
        image_id = client.ImportImage(imported).ImageId
        described = models.DescribeImagesRequest()
        described.ImageIds = [image_id]
        assert client.DescribeImages(described).ImageSet[0].ImageState == "IMPORTING"
        status, moved = control(server, "POST", "advance", {"seconds": 20 * 60})
        assert status == 200 and moved["now"]
        assert client.DescribeImages(described).ImageSet[0].ImageState == "NORMAL"
        status, log = control(server, "GET", "calls")
        assert [c["Action"] for c in log["calls"]][:2] == ["DescribeImages", "ImportImage"]
        assert (
            log["calls"][0]["ErrorCode"] == "RequestLimitExceeded" and log["calls"][0]["Injected"]
        )
        status, saved = control(server, "GET", "snapshot")
        assert status == 200 and saved["format"] == "imagecatalog-snapshot"
        assert control(server, "POST", "reset")[0] == 200
        assert client.DescribeImages(described).TotalCount == 0
        assert control(server, "POST", "snapshot", saved)[0] == 200
        assert client.DescribeImages(described).ImageSet[0].ImageName == "erp"
        assert control(server, "GET", "nowhere")[0] == 404
    finally:
        server.stop()


def test_without_a_token_there_is_no_control_api(server: Server) -> None:
    _, _, answer = server.raw(b"", method="GET")
    assert answer["Error"]["Code"] == "UnsupportedProtocol"
    with urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{server.port}/_imagecatalog/health"), timeout=10
    ) as reply:
        body = json.loads(reply.read())
    assert body["Response"]["Error"]["Code"] == "UnsupportedProtocol"


def test_tls_with_a_certificate_the_client_trusts(tmp_path: Path) -> None:
    """``--certfile``/``--keyfile`` for clients that speak HTTPS only (tccli); the
    SDK trusts the throwaway CA through ``HttpProfile(certification=...)``."""
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    certfile, keyfile, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    issued.private_key_pem.write_to_path(str(keyfile))
    authority.cert_pem.write_to_path(str(ca))
    server = Server(
        tmp_path, options=["--certfile", str(certfile), "--keyfile", str(keyfile)]
    ).start()
    try:
        client = server.client(certification=str(ca))
        assert client.DescribeImages(models.DescribeImagesRequest()).TotalCount > 0
        untrusting = server.client()  # the system's CAs: the certificate is refused
        with pytest.raises(TencentCloudSDKException) as raised:
            untrusting.DescribeImages(models.DescribeImagesRequest())
        assert raised.value.code == "ClientNetworkError"
    finally:
        server.stop()


POSTGRES_URL = os.environ.get("IMAGECATALOG_TEST_POSTGRES_URL")


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs IMAGECATALOG_TEST_POSTGRES_URL")
def test_two_servers_on_one_postgresql_store_keep_every_rule(tmp_path: Path) -> None:
    """Two server processes on one catalog, clients racing through both for the
    last quota slot and the last share slot: exactly one winner each."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import PostgresSchemas

    assert POSTGRES_URL is not None
    schemas = PostgresSchemas(POSTGRES_URL)
    store = schemas.url_for_new_schema()
    first = Server(tmp_path, store=store, options=["--profile", "seed"]).start()
    second = Server(tmp_path, store=store, options=["--profile", "seed"]).start()
    try:
        url = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"

        def import_image(server: Server, name: str) -> str:
            request = _request(
                "ImportImage",
                ImageName=name,
                ImageUrl=url,
                OsType="CentOS",
                OsVersion="7",
                Architecture="x86_64",
            )
            try:
                return str(server.client().ImportImage(request).ImageId)
            except TencentCloudSDKException as error:
                return str(error.code)

        made = [import_image(first if n % 2 else second, f"erp-{n}") for n in range(9)]
        assert all(result.startswith("img-") for result in made)
        with ThreadPoolExecutor(8) as pool:
            raced = list(
                pool.map(lambda n: import_image(first if n % 2 else second, f"last-{n}"), range(8))
            )
        assert sum(result.startswith("img-") for result in raced) == 1, raced
        assert set(raced) - {r for r in raced if r.startswith("img-")} == {
            "ImageQuotaLimitExceeded"
        }

        image_id = made[0]
        receivers = [f"2000000{n:05d}" for n in range(57)]
        for start in range(0, 49, 7):
            first.client().ModifyImageSharePermission(
                _request(
                    "ModifyImageSharePermission",
                    ImageId=image_id,
                    AccountIds=receivers[start : start + 7],
                    Permission="SHARE",
                )
            )

        def share(n: int) -> str:
            server = first if n % 2 else second
            try:
                server.client().ModifyImageSharePermission(
                    _request(
                        "ModifyImageSharePermission",
                        ImageId=image_id,
                        AccountIds=[receivers[49 + n]],
                        Permission="SHARE",
                    )
                )
                return "shared"
            except TencentCloudSDKException as error:
                return str(error.code)

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(share, range(8)))
        assert outcomes.count("shared") == 1, outcomes
        listed = first.client().DescribeImageSharePermission(
            _request("DescribeImageSharePermission", ImageId=image_id)
        )
        assert len(listed.SharePermissionSet) == 50
    finally:
        first.stop()
        second.stop()
        schemas.drop_all()


def test_the_control_api_refuses_bad_requests_with_reasons(tmp_path: Path) -> None:
    server = Server(tmp_path, options=["--control-token", TOKEN]).start()
    try:
        for method, route, body in [
            ("POST", "faults", {"code": "InternalError", "times": "twice"}),
            ("POST", "faults", {"code": "InternalError", "when": "now"}),
            ("POST", "faults", [1, 2]),
            ("POST", "fail-next", {"kind": "export"}),
            ("POST", "advance", {"seconds": 5}),  # no virtual clock here
            ("POST", "snapshot", {"format": "something else"}),
        ]:
            status, answer = control(server, method, route, body)
            assert status == 400 and answer["error"], (route, body, answer)
            if route == "advance":  # the server's own way to a virtual clock
                assert "--virtual-clock" in answer["error"], answer
        assert control(server, "GET", "health", token="")[0] == 401
        assert server.client().DescribeImages(models.DescribeImagesRequest()).TotalCount > 0
    finally:
        server.stop()


def test_what_the_cold_review_found(server: Server) -> None:
    """Unsigned payloads, more signed headers, the scope's service, a Host with
    two ports, a timestamp of other digits, a body shorter than its length."""
    # the SDK's unsigned payload: X-TC-Content-SHA256 and the hash of that text
    unsigned = server.client()
    unsigned.profile.unsignedPayload = True
    assert unsigned.DescribeImageQuota(models.DescribeImageQuotaRequest()).ImageNumQuota == 500
    # a client that signs x-tc-action too (the API's own signing examples do)
    stamp = int(time.time())
    host = f"127.0.0.1:{server.port}"
    signed = {"content-type": "application/json", "host": host, "x-tc-action": "describeimages"}
    signature = sign(
        "alice-key",
        method="POST",
        host=host,
        content_type="application/json",
        body=b"{}",
        timestamp=stamp,
        service="cvm",
        signed=signed,
    )
    date = time.strftime("%Y-%m-%d", time.gmtime(stamp))
    authorization = (
        f"TC3-HMAC-SHA256 Credential=AKIDalice/{date}/cvm/tc3_request, "
        f"SignedHeaders=content-type;host;x-tc-action, Signature={signature}"
    )
    _, _, answer = server.raw(b"{}", timestamp=stamp, authorization=authorization)
    assert answer["TotalCount"] > 0
    # ...and the action it signed cannot be swapped for another
    _, _, answer = server.raw(
        b"{}", action="DeleteImages", timestamp=stamp, authorization=authorization
    )
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
    # a scope's service other than cvm (or the host's first label, as Node signs)
    _, _, answer = server.raw(b"{}", service="zz")
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
    # X-TC-Timestamp of digits that are not ASCII
    request = urllib.request.Request(
        f"http://{host}/",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", "X-TC-Timestamp": "1²"},
    )
    request.add_header("Authorization", authorization)
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert json.loads(reply.read())["Response"]["Error"]["Code"].startswith("AuthFailure.")
    # a Content-Length the body never reaches: answered, not hung
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            b"POST / HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}"
        )
        reply = ""
        while "RequestId" not in reply:
            chunk = raw.recv(65536).decode("latin-1")
            if not chunk:
                break
            reply += chunk
    assert " 200 " in reply.split("\r\n", 1)[0] and "RequestSizeLimitExceeded" in reply


def test_injected_latency_holds_no_thread_and_a_stopping_server_ends_it(tmp_path: Path) -> None:
    """Calls waiting out injected latency hold up no one: more of them than any
    worker pool has threads (asyncio's default has at most 32), and another
    client is still answered at once.  SIGTERM ends the latency at once: each
    waiting call then runs and is answered, and the process exits well before
    the fault's 120 seconds or the shutdown timeout's 60."""
    from concurrent.futures import ThreadPoolExecutor

    server = Server(
        tmp_path, options=["--control-token", TOKEN, "--shutdown-timeout", "60"]
    ).start()
    waiting = ThreadPoolExecutor(40)
    try:
        assert (
            control(server, "POST", "faults", {"action": "DescribeImages", "latency": 120})[0]
            == 200
        )
        slow = [
            waiting.submit(
                lambda: server.client().DescribeImages(models.DescribeImagesRequest()).TotalCount
            )
            for _ in range(40)
        ]
        time.sleep(1)
        began = time.monotonic()
        quota = server.client().DescribeImageQuota(models.DescribeImageQuotaRequest())
        assert quota.ImageNumQuota == 500
        assert time.monotonic() - began < 5
        assert not any(call.done() for call in slow)
    finally:
        began = time.monotonic()
        server.stop()
        stopped = time.monotonic() - began
        waiting.shutdown(wait=False, cancel_futures=True)
    assert stopped < 20
    assert all(call.result(timeout=20) > 0 for call in slow)


class WriteLockHolder:
    """A unit of work another process would hold on a SQL store: started with
    :meth:`start`, it holds the store's write lock (and writes nothing that stays)
    until :meth:`release`."""

    def __init__(self, store: str) -> None:
        from imagecatalog import ImageService
        from imagecatalog.sql import SqlImageRepository

        self.repository = SqlImageRepository(store)
        self._service = ImageService(self.repository)
        self._inside, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        with self._service.unit_of_work() as unit:
            self._service.register_account("100000000009")
            self._inside.set()
            self._release.wait(60)
            unit.rollback()

    def start(self) -> None:
        self._thread.start()
        assert self._inside.wait(30), "the unit of work did not begin"

    def release(self) -> None:
        self._release.set()
        if self._thread.ident is not None:
            self._thread.join(30)
        self.repository.close()


def test_a_control_call_waiting_for_the_store_holds_up_no_one(tmp_path: Path) -> None:
    """The control API runs its calls in worker threads, as the API's: ``advance``,
    which ends work by writing to the store, waits there for a unit of work
    another process holds, and meanwhile the server still answers health checks
    and the SDK."""
    store = f"sqlite:///{tmp_path / 'catalog.db'}"
    server = Server(
        tmp_path, store=store, options=["--control-token", TOKEN, "--virtual-clock"]
    ).start()
    holder = WriteLockHolder(store)
    advanced: list[tuple[int, Any]] = []
    advancing = threading.Thread(
        target=lambda: advanced.append(control(server, "POST", "advance", {"seconds": 3600}))
    )
    try:
        imported = _request(
            "ImportImage",
            ImageName="erp",
            ImageUrl="https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2",
            OsType="CentOS",
            OsVersion="7",
            Architecture="x86_64",
        )
        image_id = server.client().ImportImage(imported).ImageId
        try:
            holder.start()
            advancing.start()
            time.sleep(1)  # advance is waiting for the store
            began = time.monotonic()
            assert control(server, "GET", "health") == (200, {"status": "ok"})
            assert server.client().DescribeImageQuota(models.DescribeImageQuotaRequest())
            assert time.monotonic() - began < 5
            assert advancing.is_alive()
        finally:
            holder.release()
            if advancing.ident is not None:
                advancing.join(30)
        assert advanced and advanced[0][0] == 200, advanced
        described = _request("DescribeImages", ImageIds=[image_id])
        assert server.client().DescribeImages(described).ImageSet[0].ImageState == "NORMAL"
    finally:
        server.stop()


def test_text_no_utf_8_can_hold_is_answered_not_crashed_on(tmp_path: Path) -> None:
    """A lone surrogate (``\\ud800`` in a request's JSON) echoed in an error message
    or kept in the call log is answered as JSON with it escaped, not with
    uvicorn's bare HTTP 500."""
    server = Server(tmp_path, options=["--control-token", TOKEN]).start()
    try:
        status, kind, answer = server.raw(b'{"\\ud800": 1}')
        assert (status, kind) == (200, "application/json")
        assert answer["Error"]["Code"] == "UnknownParameter" and answer["RequestId"]
        status, log = control(server, "GET", "calls")
        assert status == 200 and log["calls"][-1]["Params"] == {"\ud800": 1}
    finally:
        server.stop()


def test_the_docs_python_and_control_examples_run_as_written(tmp_path: Path) -> None:
    """docs/server.md's Python SDK example and its control API example (curl),
    run as written against a server with the page's credentials and control
    token; only the port is the test's."""
    token = doc_block("console", "--control-token").split("export TOKEN=")[1].split()[0]
    server = Server(tmp_path, secrets=doc_credentials(), options=["--control-token", token]).start()
    endpoint = f"127.0.0.1:{server.port}"
    try:
        example = doc_block("python", "cvm_client.CvmClient")
        assert "127.0.0.1:9000" in example
        python = subprocess.run(
            [sys.executable, "-c", example.replace("127.0.0.1:9000", endpoint)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert python.returncode == 0, python.stderr
        assert int(python.stdout) > 0
        curl = doc_block("console", "_imagecatalog/faults")
        assert "127.0.0.1:9000" in curl
        ran = subprocess.run(
            ["bash", "-euc", curl.replace("127.0.0.1:9000", endpoint)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout) == {
            "action": "CreateImage",
            "code": "RequestLimitExceeded",
            "times": 2,
        }
    finally:
        server.stop()


@pytest.mark.parametrize(
    "token", ["too-short", "jeton-de-contrôle-pour-tests", " control-token-for-tests"]
)
def test_a_control_token_no_header_can_carry_is_refused(token: str) -> None:
    """The token travels in ``Authorization``, which the server reads as Latin-1
    bytes, trimmed: a token of other characters, or with spaces around it, could
    never match, so the server refuses it when it starts."""
    from imagecatalog import InvalidParameterError
    from imagecatalog.server import CvmServer, make_endpoint

    with pytest.raises(InvalidParameterError, match="printable ASCII"):
        CvmServer(make_endpoint(), {}, control_token=token)


@pytest.mark.parametrize("workers", [0, 257, True, "8"])
def test_the_worker_count_is_checked(workers: object) -> None:
    from imagecatalog import InvalidParameterError
    from imagecatalog.server import CvmServer, make_endpoint

    with pytest.raises(InvalidParameterError, match="from 1 to 256"):
        CvmServer(make_endpoint(), {}, workers=workers)  # type: ignore[arg-type]


def test_writes_waiting_for_the_store_hold_no_read_up(tmp_path: Path) -> None:
    """Catalog calls run in the server's own pool of workers (16 by default), not
    asyncio's few default threads: while another process holds the SQLite file's
    write lock, ten writes wait in the server for it, and a read still answers at
    once (reads take no lock); when the lock is let go, every write succeeds."""
    store = f"sqlite:///{tmp_path / 'catalog.db'}"
    server = Server(tmp_path, store=store).start()
    holder = WriteLockHolder(store)
    answers: list[object] = []

    def write(number: int) -> None:
        request = _request(
            "ImportImage",
            ImageName=f"erp-{number}",
            ImageUrl="https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2",
            OsType="CentOS",
            OsVersion="7",
            Architecture="x86_64",
        )
        try:
            answers.append(server.client().ImportImage(request).ImageId)
        except Exception as error:
            answers.append(error)

    writers = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(10)]
    try:
        holder.start()
        for writer in writers:
            writer.start()
        time.sleep(1.5)  # the writes are waiting in the server for the file's lock
        assert not answers
        began = time.monotonic()
        quota = server.client().DescribeImageQuota(models.DescribeImageQuotaRequest())
        assert time.monotonic() - began < 5
        assert quota.ImageNumQuota == 500
    finally:
        holder.release()
        for writer in writers:
            writer.join(60)
        server.stop()
    assert len(answers) == 10 and all(isinstance(answer, str) for answer in answers), answers


def test_a_bad_credentials_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "credentials.json"
    bad.write_text(
        '{"AKIDa": {"SecretKey": "k", "AccountId": "100000000001"}, '
        '"AKIDa": {"SecretKey": "j", "AccountId": "100000000002"}}',
        encoding="utf-8",
    )
    ran = subprocess.run(
        [sys.executable, "-m", "imagecatalog", "serve", "--credentials", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 2 and "twice" in ran.stderr and "Traceback" not in ran.stderr
