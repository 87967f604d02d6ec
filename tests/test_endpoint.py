"""The endpoint's time and faults: injected errors, latency, the call log, and the
provider's work progressing by polls, by a virtual clock or by hand."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imagecatalog import ImageService, ImageState, InvalidParameterError, Limits
from imagecatalog.api_codes import ACTION_CODES, COMMON_CODES, CVM_CODES, is_documented
from imagecatalog.clocks import DEFAULT_START, VirtualClock
from imagecatalog.endpoint import (
    DEFAULT_DURATIONS,
    Endpoint,
    FaultDraw,
    InjectedError,
    WorkKind,
)
from imagecatalog.exceptions import ImageCatalogError, InvalidImageStateError

ALICE, BOB = "100000000001", "100000000002"
GUANGZHOU = "ap-guangzhou"
URL = "https://images-1250000000.cos.ap-guangzhou.myqcloud.com/erp.qcow2"


def service(**options: Any) -> ImageService:
    made = ImageService(public_catalog=True, strict_accounts=False, **options)
    return made


def answer(endpoint: Endpoint, action: str, region: str = GUANGZHOU, **params: Any) -> Any:
    text = endpoint.answer(action, params, caller=ALICE, region=region)
    return json.loads(text)["Response"]


def ubuntu(endpoint: Endpoint) -> str:
    return endpoint.service.describe_images(ALICE, GUANGZHOU, name="Ubuntu Server 22.04")[0].id


def instance(endpoint: Endpoint) -> str:
    run = answer(
        endpoint, "RunInstances", ImageId=ubuntu(endpoint), Placement={"Zone": "ap-guangzhou-1"}
    )
    return str(run["InstanceIdSet"][0])


def create(endpoint: Endpoint, name: str = "web") -> str:
    made = answer(endpoint, "CreateImage", InstanceId=instance(endpoint), ImageName=name)
    return str(made["ImageId"])


def seen(endpoint: Endpoint, image_id: str, region: str = GUANGZHOU) -> dict[str, Any]:
    [image] = answer(endpoint, "DescribeImages", region, ImageIds=[image_id])["ImageSet"]
    return dict(image)


# Faults ---------------------------------------------------------------------------------


def test_an_injected_error_answers_before_the_catalog_and_changes_nothing() -> None:
    endpoint = Endpoint(service())
    image_id = create(endpoint)
    before = endpoint.service.contents()
    fault = endpoint.inject_error("DeleteImages", "RequestLimitExceeded", times=2)
    for _ in range(2):
        with pytest.raises(InjectedError) as raised:
            answer(endpoint, "DeleteImages", ImageIds=[image_id])
        assert raised.value.code == "RequestLimitExceeded"
        assert raised.value.action == "DeleteImages"
        assert "请求的次数超过了频率限制" in raised.value.message
    assert endpoint.service.contents() == before
    assert fault.fired == 2 and fault.exhausted and endpoint.faults == ()
    answer(endpoint, "DeleteImages", ImageIds=[image_id])
    assert endpoint.service.store.get_image(image_id) is None


def test_a_fault_applies_to_its_action_or_to_every_action() -> None:
    endpoint = Endpoint(service())
    endpoint.inject_error("DeleteImages", "InternalError")
    answer(endpoint, "DescribeImages")  # another action: untouched
    endpoint.inject_error("*", "ServiceUnavailable", times=None, message="down for a test")
    for action in ("DescribeImages", "DescribeImageQuota"):
        with pytest.raises(InjectedError) as raised:
            answer(endpoint, action)
        assert (raised.value.code, raised.value.message) == (
            "ServiceUnavailable",
            "down for a test",
        )
    # the first fault injected that fires answers
    with pytest.raises(InjectedError) as first:
        answer(endpoint, "DeleteImages", ImageIds=["img-12345678"])
    assert first.value.code == "InternalError"
    endpoint.clear_faults()
    answer(endpoint, "DescribeImageQuota")


def test_a_fault_by_chance_is_repeatable_with_its_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        endpoint = Endpoint(service())
        endpoint.inject_error(
            "DescribeImages", "RequestLimitExceeded", times=None, probability=0.5, seed=seed
        )
        outcomes = []
        for _ in range(40):
            try:
                answer(endpoint, "DescribeImages", Limit=1)
                outcomes.append(True)
            except InjectedError:
                outcomes.append(False)
        return outcomes

    first = pattern(7)
    assert first == pattern(7)
    assert 5 < first.count(False) < 35  # both outcomes happen
    assert first != pattern(8)


def test_times_bounds_the_failures_by_chance() -> None:
    endpoint = Endpoint(service())
    fault = endpoint.inject_error(
        "DescribeImages", "RequestLimitExceeded", times=3, probability=0.5, seed=1
    )
    failures = 0
    for _ in range(100):
        try:
            answer(endpoint, "DescribeImages", Limit=1)
        except InjectedError:
            failures += 1
    assert failures == fault.fired == 3


def test_latency_is_added_through_the_sleep_given() -> None:
    slept: list[float] = []
    endpoint = Endpoint(service(), sleep=slept.append)
    endpoint.inject_latency("DescribeImages", 0.25, times=2)
    endpoint.inject_error("DescribeImages", "RequestLimitExceeded", latency=1.5)
    with pytest.raises(InjectedError):
        answer(endpoint, "DescribeImages")
    answer(endpoint, "DescribeImages")
    answer(endpoint, "DescribeImages")
    assert slept == [1.75, 0.25]


def test_faults_drawn_by_the_caller_are_not_drawn_again() -> None:
    """A caller that draws a call's faults itself (to wait out their latency
    without a thread, as the server does) passes them to answer: the endpoint
    then sleeps for none, and each fault counts the call once."""
    slept: list[float] = []
    endpoint = Endpoint(service(), sleep=slept.append)
    latency = endpoint.inject_latency("DescribeImages", 0.25, times=2)
    error = endpoint.inject_error("DescribeImages", "RequestLimitExceeded", latency=1.5)
    drawn = endpoint.draw_faults("DescribeImages")
    assert drawn == FaultDraw(latency=1.75, code="RequestLimitExceeded", message=error.message)
    with pytest.raises(InjectedError):
        endpoint.answer("DescribeImages", {}, caller=ALICE, region="ap-guangzhou", faults=drawn)
    drawn = endpoint.draw_faults("DescribeImages")
    assert drawn == FaultDraw(latency=0.25)
    endpoint.answer("DescribeImages", {}, caller=ALICE, region="ap-guangzhou", faults=drawn)
    assert slept == [] and latency.fired == 2 and error.fired == 1
    assert [(c.error_code, c.injected) for c in endpoint.calls] == [
        ("RequestLimitExceeded", True),
        (None, False),
    ]
    with pytest.raises(InvalidParameterError, match="FaultDraw"):
        endpoint.answer(
            "DescribeImages",
            {},
            caller=ALICE,
            region="ap-guangzhou",
            faults=0.25,  # type: ignore[arg-type]
        )


def test_removing_a_fault_stops_it() -> None:
    endpoint = Endpoint(service())
    fault = endpoint.inject_error("DescribeImages", "InternalError", times=None)
    fault.remove()
    fault.remove()  # twice is harmless
    answer(endpoint, "DescribeImages")
    assert fault.fired == 0 and endpoint.faults == ()


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        (("DescribeImages", "RequestLimitExceded"), "code"),  # a typo
        (("DescribeImages", "NoSuchCode.Anywhere"), "code"),
        (("DescribeImages", 429), "code"),
        (("DescribeImage", "InternalError"), "action"),
        (("DescribeImages", "InternalError", {"times": 0}), "times"),
        (("DescribeImages", "InternalError", {"times": True}), "times"),
        (("DescribeImages", "InternalError", {"probability": 0}), "probability"),
        (("DescribeImages", "InternalError", {"probability": 1.5}), "probability"),
        (("DescribeImages", "InternalError", {"latency": -1}), "latency"),
        (("DescribeImages", "InternalError", {"latency": float("nan")}), "latency"),
        (("DescribeImages", "InternalError", {"seed": "7"}), "seed"),
        (("DescribeImages", "InternalError", {"message": 7}), "message"),
    ],
)
def test_a_bad_fault_is_refused_with_the_parameter_named(
    arguments: tuple[Any, ...], parameter: str
) -> None:
    endpoint = Endpoint(service())
    *positional, options = arguments if isinstance(arguments[-1], dict) else (*arguments, {})
    with pytest.raises(InvalidParameterError) as raised:
        endpoint.inject_error(*positional, **options)
    assert raised.value.parameter == parameter
    assert endpoint.faults == ()


def test_the_documented_codes_are_the_sdks() -> None:
    """Injected codes are checked against the SDK's errorcodes (tencentcloud-sdk-go's
    errors.go, the same as the Python SDK's errorcodes.py) and the API 3.0 common
    codes."""
    from tencentcloud.cvm.v20170312 import errorcodes

    sdk = {value for name, value in vars(errorcodes).items() if name.isupper()}
    assert set(CVM_CODES) <= sdk | COMMON_CODES
    assert {"RequestLimitExceeded", "InternalError", "AuthFailure.SignatureFailure"} <= COMMON_CODES
    assert is_documented("MutexOperation.TaskRunning", "DeleteImages")
    assert not is_documented("MutexOperation.TaskRunning", "DescribeImages")
    assert all(codes for codes in ACTION_CODES.values())


@settings(max_examples=60, deadline=None)
@given(
    action=st.sampled_from(
        ["CreateImage", "DeleteImages", "SyncImages", "ModifyImageSharePermission", "ImportImage"]
    ),
    code=st.sampled_from(sorted(COMMON_CODES | {"MutexOperation.TaskRunning"})),
)
def test_an_injected_error_never_changes_the_catalog(action: str, code: str) -> None:
    """Whatever the action and the code, a call an injected fault answers reaches
    nothing: the catalog is exactly as it was."""
    endpoint = Endpoint(service())
    image_id = create(endpoint)
    choices: dict[str, dict[str, Any]] = {
        "CreateImage": {"InstanceId": instance(endpoint), "ImageName": "db"},
        "DeleteImages": {"ImageIds": [image_id]},
        "SyncImages": {"ImageIds": [image_id], "DestinationRegions": ["ap-tokyo"]},
        "ModifyImageSharePermission": {
            "ImageId": image_id,
            "AccountIds": [BOB],
            "Permission": "SHARE",
        },
        "ImportImage": {
            "ImageName": "erp",
            "ImageUrl": URL,
            "OsType": "CentOS",
            "OsVersion": "7",
            "Architecture": "x86_64",
        },
    }
    params = choices[action]
    before = endpoint.service.contents()
    endpoint.inject_error(action, code)
    with pytest.raises(InjectedError):
        endpoint.answer(action, params, caller=ALICE, region=GUANGZHOU)
    assert endpoint.service.contents() == before
    assert endpoint.calls[-1].error_code == code and endpoint.calls[-1].injected
    endpoint.answer(action, params, caller=ALICE, region=GUANGZHOU)  # the next one passes
    assert endpoint.service.contents() != before


# The call log ------------------------------------------------------------------------


def test_the_log_keeps_every_call_as_sent() -> None:
    endpoint = Endpoint(service())
    image_id = create(endpoint)
    params: dict[str, Any] = {"ImageIds": [image_id], "DryRun": True}
    endpoint.answer("DeleteImages", params, caller=ALICE, region=GUANGZHOU, request_id="r-1")
    params["ImageIds"].append("img-00000000")  # the log holds a copy
    with pytest.raises(ImageCatalogError):
        answer(endpoint, "DeleteImages", "ap-tokyo", ImageIds=[image_id])
    with pytest.raises(ImageCatalogError):
        answer(endpoint, "ExportImages")
    calls = endpoint.calls
    assert [call.action for call in calls] == [
        "RunInstances",
        "CreateImage",
        "DeleteImages",
        "DeleteImages",
        "ExportImages",
    ]
    dry = calls[2]
    assert (dry.region, dry.account, dry.request_id, dry.error_code, dry.succeeded) == (
        GUANGZHOU,
        ALICE,
        "r-1",
        None,
        True,
    )
    assert dry.params == {"ImageIds": [image_id], "DryRun": True}
    assert (calls[3].region, calls[3].error_code) == ("ap-tokyo", "InvalidImageId.NotFound")
    assert calls[4].error_code == "UnsupportedOperation" and not calls[4].injected
    assert [call.action for call in endpoint.calls_of("DeleteImages")] == ["DeleteImages"] * 2
    assert len({call.request_id for call in calls}) == len(calls)
    endpoint.clear_calls()
    assert endpoint.calls == ()


# Work in progress, by polls ------------------------------------------------------------


def test_work_is_ready_after_n_polls_and_a_copys_percent_rises() -> None:
    endpoint = Endpoint(service(instant=False), ready_after_polls=3)
    image_id = create(endpoint)
    states = [seen(endpoint, image_id)["ImageState"] for _ in range(5)]
    assert states == ["CREATING"] * 3 + ["NORMAL"] * 2
    copies = answer(
        endpoint,
        "SyncImages",
        ImageIds=[image_id],
        DestinationRegions=["ap-tokyo", "ap-singapore"],
        ImageSetRequired=True,
    )["ImageSet"]
    tokyo, singapore = copies[0]["ImageId"], copies[1]["ImageId"]
    # the source shows SYNCING while its copies run (terraform's sync-image resource
    # waits on the source's ID until it is NORMAL again), as far as its least
    # advanced copy; showing it counts as showing each copy
    source = seen(endpoint, image_id)
    assert (source["ImageState"], source["SyncPercent"]) == ("SYNCING", 25)
    shown = [seen(endpoint, tokyo, "ap-tokyo") for _ in range(3)]
    assert [(image["ImageState"], image["SyncPercent"]) for image in shown] == [
        ("SYNCING", 50),
        ("SYNCING", 75),
        ("NORMAL", None),
    ]
    source = seen(endpoint, image_id)  # Singapore still runs
    assert (source["ImageState"], source["SyncPercent"]) == ("SYNCING", 50)
    assert seen(endpoint, singapore, "ap-singapore")["SyncPercent"] == 75
    assert seen(endpoint, image_id)["ImageState"] == "NORMAL"
    assert endpoint.progress(image_id) is None


def test_work_begun_on_the_service_is_followed_from_its_first_showing() -> None:
    endpoint = Endpoint(service(instant=False), ready_after_polls=1)
    imported = endpoint.service.import_image(
        ALICE,
        GUANGZHOU,
        name="erp",
        image_url=URL,
        platform="CentOS",
        os_version="7",
        architecture="x86_64",
    )
    assert endpoint.progress(imported) == 0
    assert seen(endpoint, imported.id)["ImageState"] == "IMPORTING"
    assert seen(endpoint, imported.id)["ImageState"] == "NORMAL"


def test_ready_after_no_polls_ends_work_when_its_call_answers() -> None:
    endpoint = Endpoint(service(instant=False), ready_after_polls=0)
    image_id = create(endpoint)
    assert endpoint.service.get_image(ALICE, image_id).state is ImageState.NORMAL
    endpoint.fail_next("create")
    failed = create(endpoint, "db")
    assert seen(endpoint, failed)["ImageState"] == "CREATEFAILED"


def test_a_dry_run_begins_no_work() -> None:
    endpoint = Endpoint(service(instant=False), ready_after_polls=0)
    image_id = create(endpoint)
    answer(
        endpoint, "SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"], DryRun=True
    )
    assert endpoint.service.provider.work_in_progress() == ()
    assert endpoint.service.get_image(ALICE, image_id).state is ImageState.NORMAL


# Failures of the work -------------------------------------------------------------------


def test_the_next_work_of_a_kind_fails_when_it_ends() -> None:
    endpoint = Endpoint(service(instant=False), ready_after_polls=1)
    endpoint.fail_next("import")
    endpoint.fail_next(WorkKind.COPY, times=1)
    imported = answer(
        endpoint,
        "ImportImage",
        ImageName="erp",
        ImageUrl=URL,
        OsType="CentOS",
        OsVersion="7",
        Architecture="x86_64",
    )["ImageId"]
    assert [seen(endpoint, imported)["ImageState"] for _ in range(2)] == [
        "IMPORTING",
        "IMPORTFAILED",
    ]
    image_id = create(endpoint)
    seen(endpoint, image_id)
    [copy] = answer(
        endpoint,
        "SyncImages",
        ImageIds=[image_id],
        DestinationRegions=["ap-tokyo"],
        ImageSetRequired=True,
    )["ImageSet"]
    assert seen(endpoint, copy["ImageId"], "ap-tokyo")["ImageState"] == "SYNCING"
    # a failed copy is removed, and its source is NORMAL again
    assert answer(endpoint, "DescribeImages", "ap-tokyo", ImageIds=[copy["ImageId"]]) == {
        "TotalCount": 0,
        "ImageSet": [],
        "RequestId": endpoint.calls[-1].request_id,
    }
    assert seen(endpoint, image_id)["ImageState"] == "NORMAL"
    second = create(endpoint, "db")  # the rule was used up
    seen(endpoint, second)
    assert seen(endpoint, second)["ImageState"] == "NORMAL"


def test_work_fails_by_image_id_and_finishes_by_hand() -> None:
    endpoint = Endpoint(service(instant=False))
    first, second = create(endpoint, "web"), create(endpoint, "db")
    endpoint.fail_work(second)
    # without polls or a clock, work ends when the test says
    assert seen(endpoint, first)["ImageState"] == "CREATING"
    [done] = endpoint.finish_work(first)
    assert done.state is ImageState.NORMAL
    [failed] = endpoint.finish_work()
    assert (failed.id, failed.state) == (second, ImageState.CREATEFAILED)
    with pytest.raises(InvalidParameterError, match="no work is in progress"):
        endpoint.finish_work(first)
    with pytest.raises(InvalidParameterError, match="no work is in progress"):
        endpoint.fail_work(first)


def test_the_source_of_copies_is_not_work_of_its_own() -> None:
    endpoint = Endpoint(service(instant=False))
    image_id = create(endpoint)
    endpoint.finish_work()
    [copy] = endpoint.service.copy_image(ALICE, image_id, ["ap-tokyo"])
    with pytest.raises(InvalidParameterError, match="source of copies"):
        endpoint.fail_work(image_id)
    with pytest.raises(InvalidParameterError, match="source of copies"):
        endpoint.finish_work(image_id)
    with pytest.raises(InvalidImageStateError, match="complete or fail those copies"):
        endpoint.service.provider.complete(image_id)
    assert endpoint.service.provider.work_in_progress() == (copy,)
    assert endpoint.service.provider.copies_in_progress(image_id) == (copy,)
    assert [image.id for image in endpoint.finish_work()] == [copy.id]
    assert endpoint.service.get_image(ALICE, image_id).state is ImageState.NORMAL


def test_failing_work_needs_work_that_can_be_in_progress() -> None:
    endpoint = Endpoint(service())
    with pytest.raises(InvalidParameterError, match="finishes its work at once"):
        endpoint.fail_next("create")
    with pytest.raises(InvalidParameterError, match="work kind"):
        Endpoint(service(instant=False)).fail_next("export")
    with pytest.raises(InvalidParameterError, match="times"):
        Endpoint(service(instant=False)).fail_next("create", times=0)


# Work in progress, by a virtual clock --------------------------------------------------


def test_work_ends_when_the_virtual_clock_passes_its_duration() -> None:
    clock = VirtualClock()
    endpoint = Endpoint(
        service(instant=False, clock=clock),
        clock=clock,
        durations={"create": timedelta(minutes=4), "copy": timedelta(minutes=10)},
    )
    assert endpoint.durations[WorkKind.IMPORT] == DEFAULT_DURATIONS[WorkKind.IMPORT]
    image_id = create(endpoint)
    created = endpoint.service.get_image(ALICE, image_id).created_at
    assert created - DEFAULT_START < timedelta(milliseconds=1)  # the clock's time
    endpoint.advance(minutes=3)
    assert seen(endpoint, image_id)["ImageState"] == "CREATING"
    endpoint.advance(timedelta(minutes=1))
    assert seen(endpoint, image_id)["ImageState"] == "NORMAL"
    [copy] = answer(
        endpoint,
        "SyncImages",
        ImageIds=[image_id],
        DestinationRegions=["ap-tokyo"],
        ImageSetRequired=True,
    )["ImageSet"]
    percents = []
    for _ in range(4):
        endpoint.advance(minutes=2)
        percents.append(seen(endpoint, copy["ImageId"], "ap-tokyo")["SyncPercent"])
    assert percents == [20, 40, 60, 80]
    assert seen(endpoint, image_id)["SyncPercent"] == 80  # the source, as its copy
    endpoint.sleep(120)  # time.sleep's drop-in
    assert seen(endpoint, copy["ImageId"], "ap-tokyo")["ImageState"] == "NORMAL"
    assert seen(endpoint, image_id)["ImageState"] == "NORMAL"
    assert clock() == DEFAULT_START + timedelta(minutes=3 + 1 + 4 * 2 + 2)


def test_on_a_virtual_clock_images_made_at_one_instant_never_share_a_time() -> None:
    clock = VirtualClock()
    endpoint = Endpoint(service(instant=False, clock=clock), clock=clock)
    first, second = create(endpoint, "web"), create(endpoint, "db")
    times = [endpoint.service.get_image(ALICE, i).created_at for i in (first, second)]
    assert times[0] < times[1]
    mine = answer(
        endpoint, "DescribeImages", Filters=[{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}]
    )
    assert [image["ImageId"] for image in mine["ImageSet"]] == [first, second]  # listing order


def test_work_ends_in_the_order_its_time_comes() -> None:
    clock = VirtualClock()
    endpoint = Endpoint(
        service(instant=False, clock=clock),
        clock=clock,
        durations={"create": timedelta(minutes=5), "import": timedelta(minutes=1)},
    )
    endpoint.fail_next("create")
    created = create(endpoint)
    imported = answer(
        endpoint,
        "ImportImage",
        ImageName="erp",
        ImageUrl=URL,
        OsType="CentOS",
        OsVersion="7",
        Architecture="x86_64",
    )["ImageId"]
    endpoint.advance(minutes=1)
    assert seen(endpoint, imported)["ImageState"] == "NORMAL"
    assert seen(endpoint, created)["ImageState"] == "CREATING"
    endpoint.advance(minutes=10)
    assert seen(endpoint, created)["ImageState"] == "CREATEFAILED"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Endpoint(service(instant=False), ready_after_polls=-1), "ready_after_polls"),
        (lambda: Endpoint(service(instant=False), ready_after_polls=True), "ready_after_polls"),
        (lambda: Endpoint(service(), ready_after_polls=2), "instant=False"),
        (lambda: Endpoint(service(instant=False), clock=VirtualClock()), "service's clock"),
        (
            lambda: Endpoint(service(instant=False), clock=lambda: DEFAULT_START),  # type: ignore[arg-type]
            "VirtualClock",
        ),
        (
            lambda: Endpoint(
                service(instant=False, clock=(c := VirtualClock())), clock=c, ready_after_polls=1
            ),
            "not both",
        ),
        (
            lambda: Endpoint(
                service(instant=False, clock=(c := VirtualClock())),
                clock=c,
                durations={"copy": timedelta(minutes=-1)},
            ),
            "negative",
        ),
        (
            lambda: Endpoint(
                service(instant=False, clock=(c := VirtualClock())),
                clock=c,
                durations={"export": timedelta(minutes=1)},
            ),
            "work kind",
        ),
    ],
)
def test_a_bad_endpoint_is_refused_with_a_way_out(make: Any, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        make()


def test_advancing_needs_a_virtual_clock_and_time_moves_on_only() -> None:
    endpoint = Endpoint(service())
    with pytest.raises(InvalidParameterError, match="real time"):
        endpoint.advance(minutes=1)
    clock = VirtualClock()
    timed = Endpoint(service(instant=False, clock=clock), clock=clock)
    with pytest.raises(InvalidParameterError, match="negative"):
        timed.advance(seconds=-1)
    with pytest.raises(InvalidParameterError, match="number"):
        timed.advance(minutes="5")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="too long"):
        timed.advance(hours=10**12)
    assert clock() == DEFAULT_START


# What the cold review found --------------------------------------------------------------


def test_work_ended_elsewhere_leaves_no_stale_count() -> None:
    """Work completed through the service directly, then copied: the copy's
    percent rises from the start (a job left from the creation once made it
    fall back)."""
    endpoint = Endpoint(service(instant=False), ready_after_polls=2)
    image_id = create(endpoint)
    endpoint.service.provider.complete(image_id)
    answer(endpoint, "SyncImages", ImageIds=[image_id], DestinationRegions=["ap-tokyo"])
    shown = [seen(endpoint, image_id) for _ in range(3)]
    assert [(s["ImageState"], s["SyncPercent"]) for s in shown] == [
        ("SYNCING", 33),
        ("SYNCING", 66),
        ("NORMAL", None),
    ]


def test_fail_next_is_for_work_begun_after_it() -> None:
    endpoint = Endpoint(service(instant=False), ready_after_polls=1)
    older = endpoint.service.create_image(ALICE, instance(endpoint), name="older")
    endpoint.fail_next("create")
    assert endpoint.progress(older) == 0  # looking at older work uses nothing up
    newer = create(endpoint, "newer")
    for image_id in (older.id, newer):
        seen(endpoint, image_id)
    assert endpoint.service.get_image(ALICE, older.id).state is ImageState.NORMAL
    assert endpoint.service.get_image(ALICE, newer).state is ImageState.CREATEFAILED


def test_a_unit_of_work_and_the_clock_do_not_deadlock() -> None:
    """One thread calls the endpoint inside a unit of work (holding the store)
    while another advances the clock (which reads the store): both finish."""
    import threading

    clock = VirtualClock()
    endpoint = Endpoint(service(instant=False, clock=clock, limits=Limits.newest()), clock=clock)
    instance_id = instance(endpoint)
    errors: list[BaseException] = []

    def in_a_unit_of_work() -> None:
        try:
            for number in range(30):
                with endpoint.service.unit_of_work():
                    answer(endpoint, "CreateImage", InstanceId=instance_id, ImageName=f"u{number}")
        except BaseException as error:
            errors.append(error)

    def advancing() -> None:
        try:
            for _ in range(30):
                endpoint.advance(minutes=1)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=in_a_unit_of_work), threading.Thread(target=advancing)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
    assert errors == []
    endpoint.advance(minutes=10)
    assert endpoint.service.provider.work_in_progress() == ()


def test_spans_too_long_are_refused_before_anything_changes() -> None:
    clock = VirtualClock()
    with pytest.raises(InvalidParameterError, match="at most 366 days"):
        Endpoint(
            service(instant=False, clock=clock),
            clock=clock,
            durations={"create": timedelta(days=999_999_990)},
        )
    endpoint = Endpoint(service(instant=False, clock=clock), clock=clock)
    with pytest.raises(InvalidParameterError, match="past the last time"):
        endpoint.advance(timedelta(days=999_999_999))
    assert clock() == DEFAULT_START
    answer(endpoint, "DescribeImageQuota")  # and the endpoint still answers


def test_one_call_meets_one_error_fault() -> None:
    slept: list[float] = []
    endpoint = Endpoint(service(), sleep=slept.append)
    first = endpoint.inject_error("DescribeImages", "InternalError")
    endpoint.inject_latency("DescribeImages", 0.5, times=1)
    second = endpoint.inject_error("DescribeImages", "RequestLimitExceeded")
    outcomes: list[str | None] = []
    for _ in range(3):
        try:
            answer(endpoint, "DescribeImages", Limit=1)
            outcomes.append(None)
        except InjectedError as error:
            outcomes.append(error.code)
    assert outcomes == ["InternalError", "RequestLimitExceeded", None]
    assert (first.fired, second.fired) == (1, 1)
    assert slept == [0.5]  # the latency fault fired on the second call


def test_a_receivers_copy_leaves_the_owners_image_as_it_is() -> None:
    endpoint = Endpoint(
        ImageService(
            public_catalog=True, instant=False, strict_accounts=False, limits=Limits.newest()
        ),
        ready_after_polls=1,
    )
    image_id = create(endpoint)
    endpoint.finish_work()
    endpoint.service.share_image(ALICE, image_id, [BOB])
    text = endpoint.answer(
        "SyncImages",
        {"ImageIds": [image_id], "DestinationRegions": [GUANGZHOU], "ImageSetRequired": True},
        caller=BOB,
        region=GUANGZHOU,
    )
    [copy] = json.loads(text)["Response"]["ImageSet"]
    assert endpoint.service.get_image(ALICE, image_id).state is ImageState.NORMAL
    assert endpoint.service.get_image(BOB, copy["ImageId"]).state is ImageState.SYNCING
    assert endpoint.service.provider.copies_in_progress(image_id) == ()
    endpoint.service.share_image(ALICE, image_id, ["100000000003"])  # the owner is not held up


def test_the_clock_moved_directly_is_seen_by_the_next_call() -> None:
    clock = VirtualClock()
    endpoint = Endpoint(service(instant=False, clock=clock), clock=clock)
    image_id = create(endpoint)
    clock.advance(minutes=5)
    assert seen(endpoint, image_id)["ImageState"] == "NORMAL"


def test_the_sub_codes_of_throttling_can_be_injected() -> None:
    endpoint = Endpoint(service())
    for code in (
        "RequestLimitExceeded.UinLimitExceeded",
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
        "RequestLimitExceeded.IPLimitExceeded",
    ):
        endpoint.inject_error("DescribeImages", code)
        with pytest.raises(InjectedError) as raised:
            answer(endpoint, "DescribeImages")
        assert raised.value.code == code


@pytest.mark.parametrize(
    ("make", "parameter"),
    [
        (lambda: Endpoint("service"), "service"),  # type: ignore[arg-type]
        (lambda: Endpoint(service(instant=False), durations={"copy": timedelta(1)}), "durations"),
        (
            lambda: Endpoint(
                service(instant=False, clock=(c := VirtualClock())),
                clock=c,
                durations={"copy": 5},  # type: ignore[dict-item]
            ),
            "durations['copy']",
        ),
        (lambda: Endpoint(service()).inject_latency("DescribeImages", -1), "seconds"),
        (
            lambda: Endpoint(service()).answer(
                "DescribeImages",
                {},
                caller=ALICE,
                region=GUANGZHOU,
                request_id=5,  # type: ignore[arg-type]
            ),
            "request_id",
        ),
        (
            lambda: Endpoint(service()).answer(
                "DescribeImages",
                None,  # type: ignore[arg-type]
                caller=ALICE,
                region=GUANGZHOU,
            ),
            "params",
        ),
    ],
)
def test_bad_arguments_name_themselves(make: Any, parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        make()
    assert raised.value.parameter == parameter


def test_the_log_keeps_a_read_only_copy() -> None:
    endpoint = Endpoint(service())
    answer(endpoint, "DescribeImages", Limit=1)
    with pytest.raises(TypeError):
        endpoint.calls[0].params["Limit"] = 2  # type: ignore[index]
