"""The SDK's asyncio client (``cvm_client_async``) under ``mock_cvm``: answered as the
SDK's client is, by the same catalog, faults and call log, and nothing leaves the process.

Grounding: tencentcloud/common/abstract_client_async.py (SDK 3.0.1492 and later, in the
split packages 3.1.1, with ``tencentcloud-sdk-python-common[async]``, that is httpx;
unchanged up to common 3.1.195 at least): an action method calls
``AbstractClient.call_and_deserialize``, which runs the chain ``_create_default_chain``
makes: ``_inter_retry`` (the profile's retryer, tencentcloud/common/retry_async.py),
``_inter_deserialize_resp`` (``check_err`` raises ``TencentCloudSDKException`` from a
JSON error body, the response model reads any other), the region breaker's when it is on,
then the interceptor ``_inter_build_request`` makes, which builds and signs the request
and hands it to ``_inter_send_request`` (httpx).  The mock makes that last interceptor
answer; everything above it is the SDK's own.

Each client here points at a loopback HTTP server that answers every request with an
error of its own, ``ReachedTheNetwork``, and records it: a request that escaped the mock
would be seen.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import models

from imagecatalog import Account
from imagecatalog.tencentcloud import MockCvm, mock_cvm
from tests.sdk import ALICE, BOB, SECRET_IDS, placement, request, sdk_filter, ubuntu

cvm_client_async = pytest.importorskip(
    "tencentcloud.cvm.v20170312.cvm_client_async",
    reason="the SDK's asyncio client: tencentcloud-sdk-python-cvm 3.1.1 or later (SDK "
    "3.0.1492), with httpx (tencentcloud-sdk-python-common[async])",
)
common_client_async = pytest.importorskip("tencentcloud.common.common_client_async")
retry_async = pytest.importorskip("tencentcloud.common.retry_async")


class Network:
    """An HTTP server on 127.0.0.1 that stands for the network: it records the
    ``X-TC-Action`` of every request and answers ``ReachedTheNetwork``."""

    def __init__(self) -> None:
        self.actions: list[str] = []
        network = self

        class Answer(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                network.actions.append(str(self.headers.get("X-TC-Action")))
                body = json.dumps(
                    {
                        "Response": {
                            "Error": {"Code": "ReachedTheNetwork", "Message": "a real request"},
                            "RequestId": "00000000-0000-0000-0000-000000000000",
                        }
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def network() -> Iterator[Network]:
    made = Network()
    yield made
    made.close()


def profile(network: Network, retryer: Any = None) -> Any:
    """A client profile that sends to *network* (over HTTP)."""
    return ClientProfile(
        httpProfile=HttpProfile(endpoint=network.endpoint, protocol="http"), retryer=retryer
    )


def async_client(network: Network, secret_id: str = "AKIDalice", retryer: Any = None) -> Any:
    """The SDK's asyncio CVM client, as the code under test would make one."""
    return cvm_client_async.CvmClient(
        credential.Credential(secret_id, "secret"), "ap-guangzhou", profile(network, retryer)
    )


async def no_wait(attempt: int) -> float:
    return 0


def test_the_async_client_and_the_async_common_client_are_answered_by_the_mock(
    network: Network,
) -> None:
    """DescribeImages through ``cvm_client_async.CvmClient`` (its action method: the
    request model's ``_serialize()`` into ``call_and_deserialize``, the response model
    out) and DescribeImageQuota through ``common_client_async.CommonClient("cvm", ...)``
    (``call_and_deserialize`` with the default ``resp_cls=dict``) are answered by the
    mock's catalog, for the account the SecretId maps to and the client's region, with
    the logged request ID, and no request reaches the network."""

    async def run(cvm: MockCvm) -> tuple[Any, Any]:
        async with async_client(network) as client:
            listing = await client.DescribeImages(
                request("DescribeImages", Filters=[sdk_filter("platform", "Ubuntu")], Limit=2)
            )
        common = common_client_async.CommonClient(
            "cvm",
            "2017-03-12",
            credential.Credential("AKIDbob", "secret"),
            "ap-singapore",
            profile(network),
        )
        async with common:
            quota = await common.call_and_deserialize("DescribeImageQuota", {})
        return listing, quota

    with mock_cvm(credentials=SECRET_IDS) as cvm:
        listing, quota = asyncio.run(run(cvm))
        expected = cvm.service.describe_images(ALICE, "ap-guangzhou", platform="Ubuntu")
    assert isinstance(listing, models.DescribeImagesResponse)
    assert listing.TotalCount == expected.total_count > 2
    assert [image.ImageId for image in listing.ImageSet] == [i.id for i in expected.items[:2]]
    assert quota["Response"]["ImageNumQuota"] == 500
    assert [(c.action, c.account, c.region, c.error_code) for c in cvm.calls] == [
        ("DescribeImages", ALICE, "ap-guangzhou", None),
        ("DescribeImageQuota", BOB, "ap-singapore", None),
    ]
    assert listing.RequestId == cvm.calls[0].request_id
    assert network.actions == []


def test_writes_through_the_async_client_change_the_catalog(network: Network) -> None:
    """RunInstances, CreateImage and ModifyImageSharePermission awaited through the
    asyncio client change the mock's catalog as the SDK's client does (the action
    methods of cvm_client_async.py send what those of cvm_client.py send): Alice's new
    image, shared with Bob, is in his listing."""

    async def run(cvm: MockCvm) -> str:
        async with async_client(network) as client:
            launched = await client.RunInstances(
                request("RunInstances", ImageId=ubuntu(cvm), Placement=placement("ap-guangzhou"))
            )
            made = await client.CreateImage(
                request(
                    "CreateImage",
                    InstanceId=launched.InstanceIdSet[0],
                    ImageName="web-golden-async",
                )
            )
            await client.ModifyImageSharePermission(
                request(
                    "ModifyImageSharePermission",
                    ImageId=made.ImageId,
                    AccountIds=[BOB],
                    Permission="SHARE",
                )
            )
            return str(made.ImageId)

    with mock_cvm(credentials=SECRET_IDS) as cvm:
        image_id = asyncio.run(run(cvm))
        image = cvm.service.get_image(ALICE, image_id)
        shared = cvm.service.describe_images(BOB, "ap-guangzhou", image_ids=[image_id])
    assert (image.owner, image.name) == (Account.of(ALICE), "web-golden-async")
    assert [seen.id for seen in shared.items] == [image_id]
    assert network.actions == []


def test_errors_come_back_as_the_sdks_exception(network: Network) -> None:
    """A refusal of the catalog, an injected error and a request whose headers are not
    a dict raise ``TencentCloudSDKException`` as the SDK raises them: the first two
    from the answer's body (``check_err`` in ``_inter_deserialize_resp``), with the
    code, a message and the logged request ID; the last before anything is sent, as
    the interceptor of ``_inter_build_request`` does."""

    async def attempt(client: Any, action: str, **fields: Any) -> TencentCloudSDKException:
        with pytest.raises(TencentCloudSDKException) as raised:
            await getattr(client, action)(request(action, **fields))
        return raised.value

    async def run(cvm: MockCvm) -> list[TencentCloudSDKException]:
        async with async_client(network) as client:
            missing = await attempt(client, "DeleteImages", ImageIds=["img-00000000"])
            cvm.inject_error("DescribeImages", "RequestLimitExceeded")
            throttled = await attempt(client, "DescribeImages")
            bad = request("DescribeImages")
            bad.headers = "X-TC-TraceId: 1"
            with pytest.raises(TencentCloudSDKException) as raised:
                await client.DescribeImages(bad)
        return [missing, throttled, raised.value]

    with mock_cvm() as cvm:
        missing, throttled, bad_headers = asyncio.run(run(cvm))
    assert (missing.code, throttled.code) == ("InvalidImageId.NotFound", "RequestLimitExceeded")
    assert "img-00000000" in missing.message and throttled.message
    assert [missing.requestId, throttled.requestId] == [c.request_id for c in cvm.calls]
    assert [c.injected for c in cvm.calls] == [False, True]
    assert (bad_headers.code, bad_headers.message) == ("ClientError", "headers must be a dict.")
    assert network.actions == []


def test_the_sdks_async_retryer_runs_above_the_mock(network: Network) -> None:
    """``ClientProfile(retryer=retry_async.StandardRetryer(...))`` retries injected
    throttling, as ``_inter_retry`` sits above the interceptor the mock answers in.

    What it shows: like the SDK's client (tests/fidelity/test_waiters.py),
    ``StandardRetryer.send_request`` in tencentcloud/common/retry_async.py keeps the
    first error after a later success, so the call is sent until ``max_attempts`` run
    out and then raises that stale error; the log shows it."""
    retryer = retry_async.StandardRetryer(max_attempts=3, backoff_fn=no_wait)

    async def run() -> object:
        async with async_client(network, retryer=retryer) as client:
            try:
                return (await client.DescribeImages(request("DescribeImages"))).TotalCount
            except TencentCloudSDKException as stale:
                return stale.code

    with mock_cvm() as cvm:
        cvm.inject_error("DescribeImages", "RequestLimitExceeded", times=1)
        outcome = asyncio.run(run())
    codes = [c.error_code for c in cvm.calls]
    if outcome == "RequestLimitExceeded":  # sent again after its success, then raised
        assert codes == ["RequestLimitExceeded", None, None]
    else:  # a fixed SDK: one retry, one answer
        assert isinstance(outcome, int) and outcome > 0
        assert codes == ["RequestLimitExceeded", None]
    assert network.actions == []


def test_injected_latency_holds_the_awaiting_task_not_the_event_loop(network: Network) -> None:
    """The mock awaits injected latency and answers in a worker thread
    (``asyncio.to_thread``), as the server does, so a call slowed by
    ``inject_latency`` keeps only its own task waiting, as a slow
    network keeps the SDK's awaited ``httpx.AsyncClient.send``: a call made meanwhile is
    answered first, and the slow one still takes its time."""
    seconds = 1.0

    async def run() -> tuple[bool, float]:
        async with async_client(network) as client:
            started = time.monotonic()
            slow = asyncio.create_task(client.DescribeImages(request("DescribeImages")))
            await asyncio.sleep(0.05)  # the slow call is under way
            await client.DescribeImageQuota(request("DescribeImageQuota"))
            slow_was_done = slow.done()
            await slow
            return slow_was_done, time.monotonic() - started

    with mock_cvm() as cvm:
        cvm.inject_latency("DescribeImages", seconds, times=1)
        slow_was_done, took = asyncio.run(run())
    assert not slow_was_done
    assert took >= seconds
    assert [c.action for c in cvm.calls] == ["DescribeImageQuota", "DescribeImages"]
    assert network.actions == []


def test_calls_waiting_out_injected_latency_hold_no_thread(network: Network) -> None:
    """The mock awaits injected latency before it answers in a worker thread, so
    calls waiting it out hold no thread: a hundred at once (more than asyncio's
    default pool has threads, 32 at most) take the latency once, together."""
    seconds = 1.0

    async def run() -> float:
        async with async_client(network) as client:
            started = time.monotonic()
            answers = await asyncio.gather(
                *(client.DescribeImageQuota(request("DescribeImageQuota")) for _ in range(100))
            )
            assert all(answer.ImageNumQuota == 500 for answer in answers)
            return time.monotonic() - started

    with mock_cvm() as cvm:
        cvm.inject_latency("DescribeImageQuota", seconds)
        took = asyncio.run(run())
    assert seconds <= took < 3 * seconds  # in turns of at most 32: 4 s or more
    assert len(cvm.calls) == 100
    assert network.actions == []


# The SDK's own signing calls datetime.utcfromtimestamp, deprecated since Python 3.12.
@pytest.mark.filterwarnings("ignore:datetime.datetime.utcfromtimestamp:DeprecationWarning")
def test_only_the_cvm_service_is_answered_and_stop_lets_requests_out(network: Network) -> None:
    """A client of another service (``CommonClient("cbs", ...)``) is passed to the
    SDK's own interceptor and reaches the network under the mock; once the mock
    stops, the CVM client does too: the seam is the SDK's again.  And a call under
    way when the mock stops (its retryer waiting between tries) sends its next try
    for real, as the SDK's client does."""

    async def reached(make: Any) -> str:
        with pytest.raises(TencentCloudSDKException) as raised:
            await make()
        return str(raised.value.code)

    def cbs() -> Any:
        return common_client_async.CommonClient(
            "cbs",
            "2017-05-12",
            credential.Credential("AKIDalice", "secret"),
            "ap-guangzhou",
            profile(network),
        )

    mock = mock_cvm()

    async def stop_then_retry(attempt: int) -> float:
        mock.stop()
        return 0

    retrying = retry_async.StandardRetryer(max_attempts=2, backoff_fn=stop_then_retry)

    async def run() -> list[str]:
        with mock:
            other = await reached(lambda: cbs().call_and_deserialize("DescribeDisks", {}))
            answered = await async_client(network).DescribeImageQuota(request("DescribeImageQuota"))
        assert answered.ImageNumQuota == 500
        after = await reached(
            lambda: async_client(network).DescribeImages(request("DescribeImages"))
        )
        mock.start()
        mock.inject_error("DescribeImageQuota", "RequestLimitExceeded")
        under_way = await reached(
            lambda: async_client(network, retryer=retrying).DescribeImageQuota(
                request("DescribeImageQuota")
            )
        )
        return [other, after, under_way]

    assert asyncio.run(run()) == ["ReachedTheNetwork"] * 3
    assert not mock.active
    assert network.actions == ["DescribeDisks", "DescribeImages", "DescribeImageQuota"]
    assert [(c.action, c.error_code) for c in mock.calls] == [
        ("DescribeImageQuota", None),
        ("DescribeImageQuota", "RequestLimitExceeded"),
    ]
