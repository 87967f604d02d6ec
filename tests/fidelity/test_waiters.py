"""Waiters and retries, as real clients write them, through the official SDK.

Grounding (each client's code path, read at the commits named in
docs/waiters.md):

- terraform's image resource waits with ``CvmService.DescribeImageById``
  (service_tencentcloud_cvm.go): DescribeImages by ``ImageIds``, retried while
  the set is empty or the state is not ``NORMAL``; ``CREATEFAILED`` ends the
  wait at once ("Create Image is failed"); ``NORMAL`` counts only with a
  non-empty ``SnapshotSet``.
- terraform's sync-image resource (resource_tc_cvm_sync_image.go) calls
  SyncImages, sets its ID to the *source* image's and waits, with
  ``CvmSyncImagesStateRefreshFunc``, until the source is ``NORMAL``.
- packer's ``WaitForImageReady`` (builder/tencentcloud/cvm/common.go) polls
  DescribeImages with an ``image-name`` filter every 5 seconds until the image
  of that exact name is in the state it waits for; its ``Retry`` retries a call
  whose code contains ``RequestLimitExceeded``, ``InternalError``,
  ``ResourceInUse`` or ``ResourceBusy``, with waits of 1, 2, 4, 5, 5... seconds.
- the Python SDK's ``StandardRetryer`` (tencentcloud/common/retry.py) retries
  ``RequestLimitExceeded`` when a ``ClientProfile(retryer=...)`` asks for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import models

from imagecatalog.api_codes import ACTION_CODES
from imagecatalog.clocks import DEFAULT_START, VirtualClock
from imagecatalog.tencentcloud import MockCvm, mock_cvm
from tests import image_pipeline
from tests.sdk import ALICE, BOB, SECRET_IDS, call, client, refused, request, ubuntu

_T = TypeVar("_T")


class WaitError(Exception):
    """A waiter gave up: the message says why."""


# The clients' waiters, written as they are -------------------------------------------


def terraform_describe_image_by_id(image_id: str, sleep: Callable[[float], None]) -> str:
    """terraform's ``DescribeImageById``: poll by ID until NORMAL (with its
    snapshot), fail at once on CREATEFAILED; every other state is retried."""
    for _ in range(60):
        described = call("DescribeImages", ImageIds=[image_id])
        if described.ImageSet:
            image = described.ImageSet[0]
            if image.ImageState == "CREATEFAILED":
                raise WaitError("Create Image is failed")
            if image.ImageState == "NORMAL" and image.SnapshotSet:
                return str(image.ImageId)
        sleep(3)
    raise WaitError("timeout")


def terraform_sync_image(image_id: str, regions: list[str], sleep: Callable[[float], None]) -> int:
    """terraform's sync-image resource: SyncImages, then wait on the *source*
    until it is NORMAL; returns how many polls it took."""
    call("SyncImages", ImageIds=[image_id], DestinationRegions=regions)
    waited, wait, polls = 0.0, 0.1, 0
    while waited < 60 * 60:  # 20 * ReadRetryTimeout
        polls += 1
        [image] = call("DescribeImages", ImageIds=[image_id]).ImageSet
        if image.ImageState == "NORMAL":
            return polls
        wait = min(max(wait * 2, 3.0), 10.0)  # WaitForState: MinTimeout 3 s, at most 10 s
        sleep(wait)
        waited += wait
    raise WaitError("timeout")


def packer_wait_for_image_ready(
    name: str, region: str, sleep: Callable[[float], None], status: str = "NORMAL"
) -> str:
    """packer's ``WaitForImageReady``: an ``image-name`` filter every 5 seconds,
    the first 20 results, the exact name, until its state is *status*."""
    for _ in range(720):
        found = _by_name(name, region)
        if found is not None and found.ImageState == status:
            return str(found.ImageId)
        sleep(5)
    raise WaitError(f"wait image({name}) status({status}) timeout")


def _by_name(name: str, region: str) -> Any:
    name_filter = models.Filter()
    name_filter.Name, name_filter.Values = "image-name", [name]
    answer = call("DescribeImages", region, Filters=[name_filter])
    if answer.TotalCount > 0:
        for image in answer.ImageSet:
            if image.ImageName == name:
                return image
    return None


def packer_retry(make: Callable[[], _T], sleep: Callable[[float], None]) -> _T:
    """packer's ``Retry``: 60 tries, retrying the codes it names, waiting 1, 2, 4,
    5, 5... seconds."""
    wait = 1.0
    for attempt in range(60):
        try:
            return make()
        except TencentCloudSDKException as error:
            retried = any(
                part in error.code
                for part in (
                    "RequestLimitExceeded",
                    "InternalError",
                    "ResourceInUse",
                    "ResourceBusy",
                )
            )
            if not retried or attempt == 59:
                raise
        sleep(wait)
        wait = min(wait * 2, 5.0)
    raise AssertionError("unreachable")


def instance_id(cvm: MockCvm) -> str:
    return str(
        call(
            "RunInstances", ImageId=ubuntu(cvm), Placement={"Zone": "ap-guangzhou-1"}
        ).InstanceIdSet[0]
    )


def create_image(cvm: MockCvm, name: str = "web") -> str:
    return str(call("CreateImage", InstanceId=instance_id(cvm), ImageName=name).ImageId)


# ready_after_polls --------------------------------------------------------------------


def test_terraforms_waiter_sees_creating_then_normal() -> None:
    with mock_cvm(credentials=SECRET_IDS, ready_after_polls=3) as cvm:
        waits: list[float] = []
        image_id = create_image(cvm)
        assert terraform_describe_image_by_id(image_id, waits.append) == image_id
        assert waits == [3, 3, 3]  # three polls saw CREATING
        asked = [c.params.get("ImageIds") for c in cvm.calls_of("DescribeImages")]
        assert asked == [[image_id]] * 4


def test_terraforms_waiter_fails_fast_on_createfailed() -> None:
    with mock_cvm(credentials=SECRET_IDS, ready_after_polls=2) as cvm:
        cvm.fail_next("create")
        image_id = create_image(cvm)
        with pytest.raises(WaitError, match="Create Image is failed"):
            terraform_describe_image_by_id(image_id, lambda _: None)
        # a failed image still counts against quota until deleted
        assert cvm.service.image_quota(ALICE, "ap-guangzhou").used == 1
        call("DeleteImages", ImageIds=[image_id])


def test_packers_waiter_polls_by_name() -> None:
    with mock_cvm(credentials=SECRET_IDS, ready_after_polls=2) as cvm:
        waits: list[float] = []
        image_id = create_image(cvm, "packer-web")
        assert packer_wait_for_image_ready("packer-web", "ap-guangzhou", waits.append) == image_id
        assert waits == [5, 5]


def test_a_copys_sync_percent_rises_and_terraform_waits_on_the_source() -> None:
    with mock_cvm(credentials=SECRET_IDS, ready_after_polls=3) as cvm:
        image_id = create_image(cvm)
        terraform_describe_image_by_id(image_id, lambda _: None)
        [copy] = call(
            "SyncImages",
            ImageIds=[image_id],
            DestinationRegions=["ap-tokyo"],
            ImageSetRequired=True,
        ).ImageSet
        shown = []
        while True:
            [image] = call("DescribeImages", "ap-tokyo", ImageIds=[copy.ImageId]).ImageSet
            shown.append((image.ImageState, image.SyncPercent))
            if image.ImageState == "NORMAL":
                break
        assert shown == [("SYNCING", 25), ("SYNCING", 50), ("SYNCING", 75), ("NORMAL", None)]
        # terraform's sync-image resource: the source is SYNCING while copies run
        polls = terraform_sync_image(image_id, ["ap-singapore"], lambda _: None)
        assert polls == 4  # the source follows its copy's three showings
        assert cvm.service.get_image(ALICE, image_id).state.value == "NORMAL"


def test_work_in_progress_is_refused_with_each_actions_documented_code() -> None:
    """While an image is CREATING (or is the SYNCING source of copies), the
    actions that need it settled refuse it with codes of their own lists:
    DeleteImages ("当镜像状态为`创建中`、`复制中`、`导入中`时, 不允许删除") and
    ModifyImageAttribute with InvalidImageId.IncorrectState ("镜像状态不合法");
    ModifyImageSharePermission ("镜像ID必须指定为状态为`NORMAL`的镜像"),
    RunInstances and SyncImages ("镜像ID对应的镜像状态必须为`NORMAL`") with
    InvalidParameterValue.InvalidImageState ("镜像被其他操作占用，请检查，并稍后重试")."""
    with mock_cvm(credentials=SECRET_IDS, ready_after_polls=5) as cvm:
        image_id = create_image(cvm)
        attempts: dict[str, tuple[str, Callable[[], object]]] = {
            "DeleteImages": (
                "InvalidImageId.IncorrectState",
                lambda: call("DeleteImages", ImageIds=[image_id]),
            ),
            "ModifyImageAttribute": (
                "InvalidImageId.IncorrectState",
                lambda: call("ModifyImageAttribute", ImageId=image_id, ImageName="x"),
            ),
            "ModifyImageSharePermission": (
                "InvalidParameterValue.InvalidImageState",
                lambda: call(
                    "ModifyImageSharePermission",
                    ImageId=image_id,
                    AccountIds=[BOB],
                    Permission="SHARE",
                ),
            ),
            "RunInstances": (
                "InvalidParameterValue.InvalidImageState",
                lambda: call(
                    "RunInstances", ImageId=image_id, Placement={"Zone": "ap-guangzhou-1"}
                ),
            ),
            "SyncImages": (
                "InvalidParameterValue.InvalidImageState",
                lambda: call("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"]),
            ),
        }
        before = cvm.service.contents()
        for action, (code, attempt) in attempts.items():
            assert code in ACTION_CODES[action], (action, code)
            refused(code, attempt)
        assert cvm.service.contents() == before
        cvm.finish_work()
        call("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"])
        for code, attempt in attempts.values():  # the source, SYNCING now
            refused(code, attempt)


# A virtual clock ------------------------------------------------------------------------


def test_waiters_under_a_virtual_clock_take_no_real_time() -> None:
    clock = VirtualClock()
    with mock_cvm(credentials=SECRET_IDS, clock=clock) as cvm:
        started = time.monotonic()
        image_id = create_image(cvm, "packer-web")
        # packer's waiter, its sleeps passing virtual time
        assert packer_wait_for_image_ready("packer-web", "ap-guangzhou", cvm.sleep) == image_id
        # five minutes of creating, seen at the poll when they end
        assert clock() == DEFAULT_START + timedelta(minutes=5)
        copying = clock()
        polls = terraform_sync_image(image_id, ["ap-tokyo"], cvm.sleep)
        # ten minutes of copying, seen at the first poll after them (polls 10 s apart)
        assert timedelta(minutes=10) <= clock() - copying < timedelta(minutes=10, seconds=10)
        assert polls > 10
        assert time.monotonic() - started < 30  # no real sleeping


# Retries ----------------------------------------------------------------------------------


def test_a_retrying_client_survives_throttling_and_changes_things_once() -> None:
    with mock_cvm(credentials=SECRET_IDS) as cvm:
        instance = instance_id(cvm)
        cvm.clear_calls()
        cvm.inject_error("CreateImage", "RequestLimitExceeded", times=2)
        waits: list[float] = []
        made = packer_retry(
            lambda: call("CreateImage", InstanceId=instance, ImageName="web"), waits.append
        )
        assert waits == [1, 2]
        mine = cvm.service.describe_images(ALICE, "ap-guangzhou", kinds=["PRIVATE_IMAGE"])
        assert [image.id for image in mine] == [made.ImageId]  # made once
        log = cvm.calls_of("CreateImage")
        assert [c.error_code for c in log] == ["RequestLimitExceeded", "RequestLimitExceeded", None]
        assert [c.injected for c in log] == [True, True, False]
        assert all(c.params == {"InstanceId": instance, "ImageName": "web"} for c in log)
        # a code packer does not retry is raised at once
        cvm.inject_error("DeleteImages", "MutexOperation.TaskRunning")
        with pytest.raises(TencentCloudSDKException) as raised:
            packer_retry(lambda: call("DeleteImages", ImageIds=[made.ImageId]), waits.append)
        assert raised.value.code == "MutexOperation.TaskRunning" and waits == [1, 2]


def test_the_sdks_own_retryer_runs_under_the_mock() -> None:
    """``ClientProfile(retryer=StandardRetryer(...))``: the SDK retries inside
    ``call``, around the request it sends, which is where the mock answers, so
    its retryer meets the injected throttling as it would the live API's.

    What it shows: StandardRetryer.send_request (tencentcloud/common/retry.py, up
    to common 3.1.195 at least) keeps the first error after a later success, so
    a retried call is sent again until ``max_attempts`` run out and then raises
    that stale error: a retried write would be made several times.  The log
    shows it, so a test can catch it before production does."""
    retry = pytest.importorskip("tencentcloud.common.retry")
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.cvm.v20170312 import cvm_client

    profile = ClientProfile(retryer=retry.StandardRetryer(max_attempts=3, backoff_fn=lambda n: 0))
    with mock_cvm(credentials=SECRET_IDS) as cvm:
        retrying = cvm_client.CvmClient(
            credential.Credential("AKIDalice", "secret"), "ap-guangzhou", profile
        )
        cvm.inject_error("DescribeImages", "RequestLimitExceeded", times=3)
        with pytest.raises(TencentCloudSDKException) as raised:
            retrying.DescribeImages(request("DescribeImages", Limit=1))
        assert raised.value.code == "RequestLimitExceeded"
        assert [c.error_code for c in cvm.calls] == ["RequestLimitExceeded"] * 3
        cvm.clear_calls()
        cvm.inject_error("DescribeImages", "RequestLimitExceeded", times=1)
        outcome: object
        try:
            outcome = retrying.DescribeImages(request("DescribeImages", Limit=1)).TotalCount
        except TencentCloudSDKException as stale:  # the SDK's bug, as described above
            outcome = stale.code
        codes = [c.error_code for c in cvm.calls]
        if outcome == "RequestLimitExceeded":  # sent again after its success, then raised
            assert codes == ["RequestLimitExceeded", None, None]
        else:  # a fixed SDK: one retry, one answer
            assert isinstance(outcome, int) and outcome > 0
            assert codes == ["RequestLimitExceeded", None]


def test_call_json_goes_through_the_mock_too() -> None:
    """``call_json`` (the SDK's generic call, which tccli-like code uses) sends
    its request through the same seam as the action methods."""
    with mock_cvm(credentials=SECRET_IDS) as cvm:
        answer = client().call_json("DescribeImages", {"Limit": 1})
        assert answer["Response"]["TotalCount"] > 0
        cvm.inject_error("DescribeImages", "InternalError")
        with pytest.raises(TencentCloudSDKException) as raised:
            client().call_json("DescribeImages", {"Limit": 1})
        assert raised.value.code == "InternalError"
        assert raised.value.requestId == cvm.calls[-1].request_id


def test_a_dry_run_is_logged_and_changes_nothing() -> None:
    with mock_cvm(credentials=SECRET_IDS) as cvm:
        image_id = create_image(cvm)
        before = cvm.service.contents()
        call("DeleteImages", ImageIds=[image_id], DryRun=True)
        assert cvm.service.contents() == before
        [dry] = cvm.calls_of("DeleteImages")
        assert dry.params == {"ImageIds": [image_id], "DryRun": True} and dry.succeeded


# The pipeline, waiting for real ---------------------------------------------------------


@pytest.mark.parametrize("timing", ["polls", "clock"])
def test_the_image_pipeline_runs_with_work_that_takes_time(
    monkeypatch: pytest.MonkeyPatch, timing: str
) -> None:
    """tests/image_pipeline.py, unmodified, with its polls seeing work in
    progress: by observation, or on a virtual clock its sleeps move on."""
    options: dict[str, Any] = (
        {"ready_after_polls": 2} if timing == "polls" else {"clock": VirtualClock()}
    )
    with mock_cvm(credentials={"AKIDci": ALICE}, **options) as cvm:
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if timing == "clock":
                cvm.sleep(seconds)

        monkeypatch.setattr(time, "sleep", sleep)  # where the pipeline's waiters sleep
        config = image_pipeline.Config(
            secret_id="AKIDci",
            region="ap-guangzhou",
            zone="ap-guangzhou-3",
            source_image_name="Ubuntu Server 22.04 LTS 64bit",
            image_name="web-2026-11-29",
            family="web-daily",
            copy_regions=["ap-shanghai", "ap-singapore"],
            share_accounts=[BOB],
            tags={"team": "web"},
            poll_interval=5,
            poll_attempts=1000,
        )
        built = image_pipeline.build(config)
        assert sleeps, "the waiters saw work in progress"
        states = {
            cvm.service.get_image(ALICE, image_id).state.value
            for image_id in image_pipeline.images_of(config, built).values()
        }
        assert states == {"NORMAL"}
        assert image_pipeline.cleanup(config, image_pipeline.images_of(config, built)) == []


def test_the_sdks_debug_log_prints_the_mocks_answers() -> None:
    """``CvmClient.set_stream_logger()`` logs each answer as HTTP (the SDK's
    ResponsePrettyFormatter reads the status, reason, version, headers and body)."""
    import io
    import logging

    sdk_log = logging.getLogger("tencentcloud_sdk_common")
    level, handlers = sdk_log.level, list(sdk_log.handlers)
    logged = io.StringIO()
    try:
        with mock_cvm(credentials=SECRET_IDS) as cvm:
            logging_client = client()
            logging_client.set_stream_logger(logged)
            cvm.inject_error("DescribeImages", "InternalError")
            with pytest.raises(TencentCloudSDKException):
                logging_client.DescribeImages(request("DescribeImages", Limit=1))
            logging_client.DescribeImages(request("DescribeImages", Limit=1))
    finally:
        sdk_log.setLevel(level)
        sdk_log.handlers[:] = handlers
    text = logged.getvalue()
    assert "HTTP/1.1 200 OK" in text and "Content-Type: application/json" in text
    assert '"Code": "InternalError"' in text and '"TotalCount"' in text


def test_every_way_of_calling_the_cvm_service_reaches_the_mock() -> None:
    """The mock answers at ``AbstractClient._call`` (and the region breaker's
    ``_call_with_region_breaker``) for clients of the CVM service: an action's
    method, ``call`` (bytes, as requests gives them), ``call_json``,
    ``call_with_region_breaker``, and the generic ``CommonClient("cvm", ...)``."""
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient

    with mock_cvm(credentials=SECRET_IDS) as cvm:
        body = client().call("DescribeImages", {"Limit": 1})
        assert isinstance(body, bytes) and b'"TotalCount"' in body
        assert client().call_with_region_breaker("DescribeImages", {"Limit": 1})
        common = CommonClient(
            "cvm", "2017-03-12", credential.Credential("AKIDbob", "secret"), "ap-guangzhou"
        )
        answer = common.call_json("DescribeImageQuota", {})
        assert answer["Response"]["ImageNumQuota"] == 500
        assert [(c.action, c.account) for c in cvm.calls][-1] == ("DescribeImageQuota", BOB)
        with pytest.raises(TencentCloudSDKException) as raised:
            client().call("DescribeImages", {}, headers="x")
        assert raised.value.code == "ClientError"


def test_a_mock_refused_at_its_making_registers_nobody() -> None:
    from imagecatalog import ImageService, InvalidParameterError

    service = ImageService(public_catalog=True)  # instant: no work can be seen
    with pytest.raises(InvalidParameterError, match="instant"):
        mock_cvm(service, account="100000000077", ready_after_polls=2)
    assert "100000000077" not in {p.account.id for p in service.contents().accounts}
