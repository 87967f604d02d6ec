"""moto for Tencent Cloud images: a fake CVM endpoint behind the official SDK.

While :func:`mock_cvm` is active, every ``CvmClient`` of the official Python SDK
(``tencentcloud-sdk-python-cvm``, ``pip install "imagecatalog[tencentcloud]"``),
created by any code, is answered by an :class:`~imagecatalog.ImageService`
instead of the network.  The fake sits where the SDK sends a request and reads
the HTTP answer (``AbstractClient._call``, for clients of the CVM service):
the SDK's own request models
serialize the parameters, its own retryer (``ClientProfile(retryer=...)``)
retries, its own error check raises, and its own response models read the
answer, whether the code calls an action's method, ``call`` or ``call_json``.
The SDK's asyncio client (``cvm_client_async``: SDK 3.0.1492, or
``tencentcloud-sdk-python-cvm`` 3.1.1, and later, with
``tencentcloud-sdk-python-common[async]``) is answered the same way, where its
chain of interceptors builds and sends a request
(``AbstractClient._inter_build_request``); an SDK without it is patched
without it.
The code under test runs unmodified, and every rule violation comes back as
the SDK's ``TencentCloudSDKException`` with the provider's error code, a
message and a request ID.

>>> from tencentcloud.common import credential
>>> from tencentcloud.cvm.v20170312 import cvm_client, models
>>> with mock_cvm() as cvm:
...     client = cvm_client.CvmClient(credential.Credential("id", "key"), "ap-guangzhou")
...     request = models.DescribeImagesRequest()
...     request.Limit = 1
...     response = client.DescribeImages(request)
>>> response.TotalCount == cvm.service.describe_images(cvm.account, "ap-guangzhou").total_count
True
>>> response.ImageSet[0].ImageType
'PUBLIC_IMAGE'

Which account calls: the mock's *account* (``100000000001`` by default), or the
account mapped to the client's SecretId in *credentials*.  The region is the
client's.  The mock answers through an :class:`~imagecatalog.endpoint.Endpoint`,
so a test can also make the provider's work take time (``ready_after_polls=``,
``clock=``), make it fail (:meth:`MockCvm.fail_next`), inject API errors
(:meth:`MockCvm.inject_error`) and read the calls made (:attr:`MockCvm.calls`):
see "Testing waiters and retries" in the docs.  Actions: DescribeImages,
CreateImage, ImportImage, SyncImages, ModifyImageSharePermission,
DescribeImageSharePermission, ModifyImageAttribute, DeleteImages,
DescribeImageQuota, DescribeImageFromFamily, DescribeImportImageOs,
RunInstances and DescribeInstances; any other
action raises ``UnsupportedOperation`` saying it is not modelled.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import threading
import types
import unittest
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from imagecatalog.accounts import Account
from imagecatalog.clocks import VirtualClock
from imagecatalog.cvm import CvmActions
from imagecatalog.endpoint import Call, Endpoint, Fault, FaultDraw, WorkKind
from imagecatalog.exceptions import ErrorCode, ImageCatalogError, InvalidParameterError
from imagecatalog.images import Image
from imagecatalog.limits import Limits
from imagecatalog.service import ImageService

__all__ = ["DEFAULT_ACCOUNT", "MockCvm", "mock_cvm"]

_R = TypeVar("_R")
_C = TypeVar("_C")
_P = ParamSpec("_P")

#: Marks a method the class did not define itself (it inherits it).
_INHERITED = object()
#: Where the mock answers: the SDK's methods that send one request and return the
#: HTTP answer (``call``, ``call_json``, the action methods and the SDK's retryer
#: run around ``_call``; ``call_with_region_breaker`` sends through the other).
#: Replaced on ``AbstractClient``, they answer for clients of the CVM service
#: (``CvmClient``, ``CommonClient("cvm", ...)``) and pass any other through.
_SEAMS = ("_call", "_call_with_region_breaker")
#: Where the mock answers the asyncio client (tencentcloud/common/
#: abstract_client_async.py): ``call_and_deserialize`` chains interceptors, the
#: retryer's, the error check and deserializing, the region breaker's, then the one
#: ``_inter_build_request`` makes, which builds and signs the request and sends it
#: on (``_inter_send_request``: httpx).  Replaced on the asyncio ``AbstractClient``,
#: it makes one that answers instead, for clients of the CVM service.
_ASYNC_SEAM = "_inter_build_request"

#: The mocks active now, in the order they started; the last answers.
_ACTIVE: list[MockCvm] = []
#: The seams replaced while a mock is active: the class, the name, and what the
#: class itself held before (``_INHERITED``: nothing).
_PATCHED: list[tuple[type[Any], str, object]] = []
#: Starting and stopping mocks take turns.
_SWITCH = threading.Lock()


class _Answer:
    """The HTTP answer the SDK reads (``status_code``, ``headers``, ``content`` as
    bytes; ``reason``, ``raw.version`` and ``text`` when its debug log prints it),
    as the live API sends it: status 200 and a JSON body, errors included."""

    status_code = 200
    reason = "OK"
    raw = types.SimpleNamespace(version=11)

    def __init__(self, text: str) -> None:
        self.content = text.encode("utf-8")
        self.headers = {"Content-Type": "application/json"}
        self.text = text


_Make = Callable[[Callable[..., Any]], Callable[..., Any]]


def _async_client() -> type[Any] | None:
    """The asyncio client's ``AbstractClient``, or None where the SDK has none
    (before 3.0.1492; ``tencentcloud-sdk-python-cvm`` before 3.1.1) or cannot load
    it (without ``httpx``, its ``async`` extra)."""
    try:
        from tencentcloud.common.abstract_client_async import (
            AbstractClient as AsyncAbstractClient,
        )
    except ImportError:
        return None
    found: type[Any] = AsyncAbstractClient
    return found


def _seams() -> list[tuple[type[Any], str, _Make]]:
    """The seams this SDK has (``_call`` in every release this package supports),
    each with the maker of its replacement."""
    found: list[tuple[type[Any], str, _Make]] = [
        (AbstractClient, name, _seam) for name in _SEAMS if hasattr(AbstractClient, name)
    ]
    async_client = _async_client()
    if async_client is not None and hasattr(async_client, _ASYNC_SEAM):
        found.append((async_client, _ASYNC_SEAM, _async_seam))
    return found


def _body(
    mock: MockCvm,
    client: Any,
    action: str,
    params: Mapping[str, Any],
    faults: FaultDraw | None = None,
) -> str:
    """The JSON text the provider would send: the answer, or the error's envelope;
    *faults* drawn already, by the asyncio client's seam."""
    try:
        if faults is None:
            return mock.answer(client, action, params)
        return mock.answer(client, action, params, faults=faults)
    except TencentCloudSDKException as error:
        body = {
            "Response": {
                "Error": {"Code": error.code, "Message": error.message},
                "RequestId": error.requestId,
            }
        }
        return json.dumps(body, ensure_ascii=False)


def _seam(original: Callable[..., Any]) -> Callable[..., Any]:
    """The replacement of ``AbstractClient._call`` (or ``_call_with_region_breaker``)
    while a mock is active."""

    def dispatch(
        client: AbstractClient,
        action: str,
        params: Mapping[str, Any],
        options: object = None,
        headers: object = None,
    ) -> Any:
        if getattr(client, "_service", None) != "cvm":  # another service's client
            return original(client, action, params, options, headers)
        if headers is not None and not isinstance(headers, dict):
            raise TencentCloudSDKException("ClientError", "headers must be a dict.")
        return _Answer(_body(_ACTIVE[-1], client, action, params))

    dispatch.__name__ = dispatch.__qualname__ = f"mock_cvm_{original.__name__.lstrip('_')}"
    return dispatch


def _async_seam(original: Callable[..., Any]) -> Callable[..., Any]:
    """The replacement of the asyncio ``AbstractClient._inter_build_request`` while
    a mock is active: for a client of the CVM service, an interceptor that answers
    with the HTTP answer the SDK reads, an ``httpx.Response`` (``ApiResponse``) with
    the provider's JSON, status 200.  As the server does, it awaits injected latency
    (holding up the awaiting task only, and no thread), then answers in a worker
    thread (a call may wait for the store)."""
    from tencentcloud.common.http.request_async import ApiResponse

    def build(
        client: Any,
        action: str,
        params: Mapping[str, Any],
        headers: object = None,
        opts: object = None,
    ) -> Any:
        if getattr(client, "_service", None) != "cvm":  # another service's client
            return original(client, action, params, headers, opts)

        async def answer(chain: Any) -> Any:
            if not _ACTIVE:  # stopped while the call went on (its retryer's next try)
                return await original(client, action, params, headers, opts)(chain)
            if headers is not None and not isinstance(headers, dict):
                raise TencentCloudSDKException("ClientError", "headers must be a dict.")
            mock = _ACTIVE[-1]
            drawn = mock.endpoint.draw_faults(action)
            if drawn.latency:
                await asyncio.sleep(drawn.latency)
            text = await asyncio.to_thread(_body, mock, client, action, params, drawn)
            return ApiResponse(
                200, headers={"Content-Type": "application/json"}, content=text.encode("utf-8")
            )

        return answer

    build.__name__ = build.__qualname__ = f"mock_cvm_{original.__name__.lstrip('_')}"
    return build


#: The account a mock acts as when no credential mapping says otherwise.
DEFAULT_ACCOUNT = "100000000001"


class MockCvm:
    """The fake CVM endpoint: holds the :class:`~imagecatalog.ImageService` that
    answers (through an :class:`~imagecatalog.endpoint.Endpoint`), and patches
    the SDK's ``AbstractClient._call`` (where a client sends a request), and the
    asyncio client's ``_inter_build_request`` where the SDK has one, for clients
    of the CVM service while active.

    Use it through :func:`mock_cvm`: as a context manager, as a decorator of
    functions and classes, or with :meth:`start` and :meth:`stop`.  Activations
    nest, like moto's mocks: the SDK is restored exactly at the last exit.
    """

    def __init__(
        self,
        service: ImageService | None = None,
        *,
        account: Account | str = DEFAULT_ACCOUNT,
        credentials: Mapping[str, Account | str] | None = None,
        public_catalog: bool = True,
        limits: Limits | None = None,
        strict_accounts: bool | None = None,
        ready_after_polls: int | None = None,
        clock: VirtualClock | bool | None = None,
        durations: Mapping[WorkKind | str, timedelta] | None = None,
    ) -> None:
        if clock is True:
            clock = VirtualClock()
        elif clock is False:
            clock = None
        timed = ready_after_polls is not None or clock is not None
        if service is None:
            service = ImageService(
                public_catalog=public_catalog,
                limits=Limits.newest() if limits is None else limits,
                strict_accounts=False if strict_accounts is None else strict_accounts,
                clock=clock if isinstance(clock, VirtualClock) else None,
                instant=not timed,
            )
        else:
            for keyword, value in (("limits", limits), ("strict_accounts", strict_accounts)):
                if value is not None:
                    raise InvalidParameterError(
                        f"give mock_cvm a service or {keyword}, not both: the service "
                        f"has its own {keyword}",
                        parameter=keyword,
                        value=value,
                        code=ErrorCode.INVALID_PARAMETER,
                    )
        self.service = service
        self.account = Account.of(account)
        self.credentials = {
            secret_id: Account.of(owner) for secret_id, owner in (credentials or {}).items()
        }
        self.endpoint = Endpoint(
            service,
            ready_after_polls=ready_after_polls,
            clock=clock,
            durations=durations,
        )
        for known in (self.account, *self.credentials.values()):
            service.register_account(known, exist_ok=True)
        self.actions: CvmActions = self.endpoint.actions
        self._activations = 0

    # Activation -------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True while the mock answers ``CvmClient`` calls."""
        return self._activations > 0

    def start(self) -> MockCvm:
        """Answer every ``CvmClient`` from now on, until the matching :meth:`stop`.

        Activations nest: each :meth:`start` needs its own :meth:`stop`.  Several
        mocks may be active at once, stopped in any order: the one started last
        (of those still active) answers, and the SDK is restored, exactly as it
        was, when the last active mock stops.
        """
        with _SWITCH:
            if self._activations == 0:
                if not _ACTIVE:
                    for owner, name, make in _seams():
                        _PATCHED.append((owner, name, owner.__dict__.get(name, _INHERITED)))
                        setattr(owner, name, make(getattr(owner, name)))
                _ACTIVE.append(self)
            self._activations += 1
        return self

    def stop(self) -> None:
        """End one activation; the last of the last active mock restores the SDK."""
        with _SWITCH:
            if self._activations == 0:
                raise RuntimeError(
                    "MockCvm.stop() was called before start(): this mock is not active"
                )
            self._activations -= 1
            if self._activations == 0:
                _ACTIVE.remove(self)
                while not _ACTIVE and _PATCHED:  # the last active mock: restore, in reverse
                    owner, name, saved = _PATCHED.pop()
                    if saved is _INHERITED:
                        delattr(owner, name)
                    else:
                        setattr(owner, name, saved)

    def __enter__(self) -> MockCvm:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @overload
    def __call__(self, target: type[_C]) -> type[_C]: ...

    @overload
    def __call__(self, target: Callable[_P, _R]) -> Callable[_P, _R]: ...

    def __call__(self, target: Any) -> Any:
        """Use the mock as a decorator of a function, a coroutine function or a
        class: active while the function runs, or while each test method of the
        class runs (``test*`` methods; for a ``unittest.TestCase``, from
        ``setUp`` to the end of its cleanups)."""
        if isinstance(target, type):
            return self._decorate_class(target)
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await target(*args, **kwargs)

            return run_async

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return target(*args, **kwargs)

        return run

    def _decorate_class(self, cls: type[_C]) -> type[_C]:
        if issubclass(cls, unittest.TestCase):
            set_up = cls.setUp

            @functools.wraps(set_up)
            def start_then_set_up(case: unittest.TestCase) -> None:
                self.start()
                case.addCleanup(self.stop)
                set_up(case)

            cls.setUp = start_then_set_up  # type: ignore[assignment,method-assign]
            return cls
        for name, member in list(vars(cls).items()):
            if name.startswith("test") and inspect.isfunction(member):
                setattr(cls, name, self(member))
        return cls

    # Answering --------------------------------------------------------------------

    def account_for(self, client: CvmClient) -> Account:
        """The account a client (of the SDK's client or its asyncio client) acts as:
        mapped from its SecretId, else the default."""
        secret_id = getattr(getattr(client, "credential", None), "secret_id", None)
        return self.credentials.get(secret_id, self.account) if secret_id else self.account

    def answer(
        self,
        client: CvmClient,
        action: str,
        params: Mapping[str, Any],
        *,
        faults: FaultDraw | None = None,
    ) -> str:
        """The JSON body the provider would send for *action*, or the SDK's
        exception; *faults* as for :meth:`Endpoint.answer
        <imagecatalog.endpoint.Endpoint.answer>`."""
        request_id = str(uuid.uuid4())
        try:
            return self.endpoint.answer(
                action,
                params,
                caller=self.account_for(client),
                region=client.region,
                request_id=request_id,
                faults=faults,
            )
        except ImageCatalogError as error:
            raise TencentCloudSDKException(str(error.code), error.message, request_id) from None

    # Time, faults and the call log (the endpoint's; see imagecatalog.endpoint) --------

    @property
    def clock(self) -> VirtualClock | None:
        """The virtual clock, when the mock has one (``clock=``)."""
        return self.endpoint.clock

    @property
    def calls(self) -> tuple[Call, ...]:
        """Every call the mock answered, in order: each a
        :class:`~imagecatalog.endpoint.Call` with ``.action``, ``.region``,
        ``.account``, ``.params`` (as sent), ``.request_id`` and ``.error_code``
        (None when it succeeded)."""
        return self.endpoint.calls

    def calls_of(self, action: str) -> tuple[Call, ...]:
        """The calls of *action*, in order."""
        return self.endpoint.calls_of(action)

    def clear_calls(self) -> None:
        """Empty the call log."""
        self.endpoint.clear_calls()

    def inject_error(
        self,
        action: str,
        code: str,
        *,
        times: int | None = 1,
        message: str | None = None,
        probability: float = 1.0,
        seed: int | None = None,
        latency: float = 0.0,
    ) -> Fault:
        """Make the next *times* calls of *action* fail with *code*, a documented
        code, before they reach the catalog
        (:meth:`Endpoint.inject_error <imagecatalog.endpoint.Endpoint.inject_error>`)."""
        return self.endpoint.inject_error(
            action,
            code,
            times=times,
            message=message,
            probability=probability,
            seed=seed,
            latency=latency,
        )

    def inject_latency(
        self,
        action: str,
        seconds: float,
        *,
        times: int | None = None,
        probability: float = 1.0,
        seed: int | None = None,
    ) -> Fault:
        """Add *seconds* of real latency to calls of *action*
        (:meth:`Endpoint.inject_latency <imagecatalog.endpoint.Endpoint.inject_latency>`)."""
        return self.endpoint.inject_latency(
            action, seconds, times=times, probability=probability, seed=seed
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.endpoint.clear_faults()

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults injected and not removed (or used up), in order."""
        return self.endpoint.faults

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
    ) -> datetime:
        """Move the virtual clock on and end the work whose time has come
        (:meth:`Endpoint.advance <imagecatalog.endpoint.Endpoint.advance>`)."""
        return self.endpoint.advance(delta, seconds=seconds, minutes=minutes, hours=hours)

    def fail_work(self, image: Image | str) -> None:
        """Make the work in progress on *image* end in failure
        (:meth:`Endpoint.fail_work <imagecatalog.endpoint.Endpoint.fail_work>`)."""
        self.endpoint.fail_work(image)

    def fail_next(self, kind: WorkKind | str, times: int = 1) -> None:
        """Make the next *times* pieces of work of *kind* (``"create"``,
        ``"import"``, ``"copy"``) end in failure
        (:meth:`Endpoint.fail_next <imagecatalog.endpoint.Endpoint.fail_next>`)."""
        self.endpoint.fail_next(kind, times)

    def finish_work(self, image: Image | str | None = None) -> tuple[Image, ...]:
        """End the work on *image*, or on every image, now
        (:meth:`Endpoint.finish_work <imagecatalog.endpoint.Endpoint.finish_work>`)."""
        return self.endpoint.finish_work(image)

    def progress(self, image: Image | str) -> int | None:
        """How far the work on *image* has come, in percent, or None."""
        return self.endpoint.progress(image)

    def sleep(self, seconds: float) -> None:
        """A drop-in for :func:`time.sleep` that advances the virtual clock instead
        (``monkeypatch.setattr(time, "sleep", cvm.sleep)``)."""
        self.endpoint.sleep(seconds)


def mock_cvm(
    service: ImageService | None = None,
    *,
    account: Account | str = DEFAULT_ACCOUNT,
    credentials: Mapping[str, Account | str] | None = None,
    public_catalog: bool = True,
    limits: Limits | None = None,
    strict_accounts: bool | None = None,
    ready_after_polls: int | None = None,
    clock: VirtualClock | bool | None = None,
    durations: Mapping[WorkKind | str, timedelta] | None = None,
) -> MockCvm:
    """Answer every ``CvmClient`` with an :class:`~imagecatalog.ImageService`.

    A context manager (``with mock_cvm() as cvm:``) and a decorator
    (``@mock_cvm()``).  *service* defaults to a new service that starts with the
    built-in public catalog (``public_catalog=False``: empty).  Clients act as
    *account*, or as the account *credentials* maps their SecretId to; every
    account named is registered.  ``cvm.service`` is the service, for arranging
    state and asserting on it.

    The new service follows the live API of today: *limits* default to
    :meth:`Limits.newest() <imagecatalog.Limits.newest>` (500 custom images per
    region, 500 accounts per shared image, receivers may copy a shared image
    into its region); ``limits=Limits()`` gives the seed's rules instead.  As
    the live API knows every account, any well-formed account ID may receive a
    share without being registered first; ``strict_accounts=True`` refuses an
    account the service has not registered (``InvalidAccountId.NotFound``).

    The provider's work (CreateImage, ImportImage, SyncImages) is done when its
    call answers, by default.  With *ready_after_polls* = N it starts
    ``CREATING``/``IMPORTING``/``SYNCING`` and is done after DescribeImages has
    shown it N times (a copy's ``SyncPercent`` rising); with *clock* (a
    :class:`~imagecatalog.clocks.VirtualClock`, or True for a new one) it is
    done when :meth:`MockCvm.advance` moves the clock past its duration
    (*durations*, per kind: ``{"create": timedelta(minutes=5), ...}``).  The new
    service then works that way (``instant=False``), and its times follow the
    virtual clock.  With a *service* of your own, pass
    ``ImageService(instant=False)`` (and ``clock=`` the same virtual clock).
    """
    return MockCvm(
        service,
        account=account,
        credentials=credentials,
        public_catalog=public_catalog,
        limits=limits,
        strict_accounts=strict_accounts,
        ready_after_polls=ready_after_polls,
        clock=clock,
        durations=durations,
    )
