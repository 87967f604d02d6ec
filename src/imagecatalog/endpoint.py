"""The fake CVM endpoint: the action layer, with time, faults and a call log.

:class:`~imagecatalog.cvm.CvmActions` answers each request by the catalog's
rules.  Real tools that manage images are mostly waiting and retrying, so an
:class:`Endpoint` adds what testing them needs, the same for every transport
(the SDK fake :func:`~imagecatalog.tencentcloud.mock_cvm`, an HTTP server):

- **Progress** of the provider's asynchronous work (CreateImage, ImportImage,
  SyncImages' copies), which starts ``CREATING``, ``IMPORTING`` or ``SYNCING``
  and ends ``NORMAL``, or failed: after it has been observed a number of times
  by DescribeImages (*ready_after_polls*), or when a :class:`VirtualClock`
  passes its duration (*clock*, *durations*), or when the test says
  (:meth:`Endpoint.finish_work`).  Work can be made to fail, by image ID
  (:meth:`Endpoint.fail_work`) or by rule (:meth:`Endpoint.fail_next`).
- **Faults**: :meth:`Endpoint.inject_error` makes calls of an action fail with a
  documented error code before they reach the catalog (so nothing changes),
  every time, a number of times, or by chance with a seed; with added latency
  (:meth:`Endpoint.inject_latency` adds latency alone).
- **The call log**: :attr:`Endpoint.calls`, one :class:`Call` per request, in
  order, with its parameters as sent and its error code.

>>> from imagecatalog import ImageService
>>> endpoint = Endpoint(ImageService(public_catalog=True, strict_accounts=False))
>>> _ = endpoint.inject_error("DescribeImages", "RequestLimitExceeded")
>>> try:
...     endpoint.answer("DescribeImages", {}, caller="100000000001", region="ap-guangzhou")
... except InjectedError as error:
...     print(error.code)
RequestLimitExceeded
>>> text = endpoint.answer("DescribeImages", {}, caller="100000000001", region="ap-guangzhou")
>>> [(call.action, call.error_code) for call in endpoint.calls]
[('DescribeImages', 'RequestLimitExceeded'), ('DescribeImages', None)]
"""

from __future__ import annotations

import copy
import enum
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs

from imagecatalog import api_codes
from imagecatalog._arguments import image_id_of
from imagecatalog.accounts import Account
from imagecatalog.clocks import VirtualClock, duration
from imagecatalog.cvm import CvmActions
from imagecatalog.exceptions import (
    ErrorCode,
    ImageCatalogError,
    ImageNotFoundError,
    InjectedError,
    InvalidImageStateError,
    InvalidParameterError,
)
from imagecatalog.images import Image, ImageState
from imagecatalog.regions import Region
from imagecatalog.service import ImageService

__all__ = [
    "DEFAULT_DURATIONS",
    "MAX_DURATION",
    "Call",
    "Endpoint",
    "Fault",
    "FaultDraw",
    "InjectedError",
    "WorkKind",
]


class WorkKind(enum.StrEnum):
    """The provider's asynchronous work on an image, by the state it shows."""

    CREATE = "create"
    IMPORT = "import"
    COPY = "copy"

    @classmethod
    def of(cls, state: ImageState) -> WorkKind:
        """The work an image in *state* is undergoing."""
        return _KIND_OF_STATE[state]

    @classmethod
    def parse(cls, value: WorkKind | str) -> WorkKind:
        """*value* as a member: the member, or its value in any case."""
        if isinstance(value, WorkKind):
            return value
        if isinstance(value, str):
            for member in cls:
                if member.value == value.lower():
                    return member
        raise InvalidParameterError(
            f"work kind {value!r} is not one of {', '.join(m.value for m in cls)}",
            parameter="kind",
            value=value,
            code=ErrorCode.INVALID_PARAMETER_VALUE,
        )


_KIND_OF_STATE = {
    ImageState.CREATING: WorkKind.CREATE,
    ImageState.IMPORTING: WorkKind.IMPORT,
    ImageState.SYNCING: WorkKind.COPY,
}

#: How long each kind of work takes on a virtual clock, unless a test says
#: otherwise (the provider documents no figures; these are of the order its
#: console shows for a small system disk).
DEFAULT_DURATIONS: Mapping[WorkKind, timedelta] = MappingProxyType(
    {
        WorkKind.CREATE: timedelta(minutes=5),
        WorkKind.IMPORT: timedelta(minutes=20),
        WorkKind.COPY: timedelta(minutes=10),
    }
)


#: The longest a piece of work may take on a virtual clock.
MAX_DURATION = timedelta(days=366)


@attrs.frozen
class Call:
    """One request the endpoint answered, as the log keeps it."""

    #: The action, as the client named it.
    action: str
    #: The request's region, as the client sent it.
    region: str
    #: The account the request acted as.
    account: str
    #: The request's parameters, as sent (a copy).
    params: Mapping[str, Any]
    #: The request ID the answer carried.
    request_id: str
    #: The error code the request was answered with; None when it succeeded.
    error_code: str | None = None
    #: True when the error was injected by the test (:meth:`Endpoint.inject_error`).
    injected: bool = False

    @property
    def succeeded(self) -> bool:
        """True when the request was answered without an error."""
        return self.error_code is None


@attrs.define(eq=False)
class Fault:
    """A fault injected into an endpoint's calls: an error code, added latency,
    or both.  Returned by :meth:`Endpoint.inject_error` and
    :meth:`Endpoint.inject_latency`; :meth:`remove` takes it out."""

    #: The action it applies to, or ``"*"`` for every action.
    action: str
    #: The error code it answers with, or None (latency only).
    code: str | None
    #: The error's message.
    message: str
    #: How many more times it fires; None: every time, until removed.
    remaining: int | None
    #: The chance that it fires on a matching call.
    probability: float
    #: Seconds it adds to a call it fires on (real time: for load tests).
    latency: float
    #: How many times it has fired.
    fired: int = 0
    _random: random.Random = attrs.field(factory=random.Random, repr=False)
    _endpoint: Endpoint | None = attrs.field(default=None, repr=False)

    def remove(self) -> None:
        """Stop this fault (a fault already removed stays removed)."""
        if self._endpoint is not None:
            self._endpoint._remove_fault(self)

    @property
    def exhausted(self) -> bool:
        """True when it will not fire again."""
        return self.remaining == 0

    def _fires(self, action: str) -> bool:
        if self.remaining == 0 or self.action not in ("*", action):
            return False
        if self.probability < 1 and self._random.random() >= self.probability:
            return False
        self.fired += 1
        if self.remaining is not None:
            self.remaining -= 1
        return True


@attrs.frozen
class FaultDraw:
    """The faults that fired on one call, drawn before it runs
    (:meth:`Endpoint.draw_faults`): the latency they add, and the error that
    answers it (None: the call reaches the catalog)."""

    #: Seconds to wait before the call runs (or before its error answers).
    latency: float = 0.0
    #: The injected error's code, or None.
    code: str | None = None
    #: The injected error's message.
    message: str = ""


@attrs.define
class _Job:
    """The provider's work on one image, as the endpoint follows it."""

    kind: WorkKind
    started: datetime
    #: For a copy, the image it is copied from (which shows SYNCING meanwhile).
    source: str | None = None
    polls: int = 0
    fails: bool = False


class Endpoint:
    """The fake CVM endpoint: answers requests with :class:`~imagecatalog.cvm.CvmActions`
    over *service*, with progress of asynchronous work, injected faults and a log.

    Work progress (the module's docstring says more):

    - neither *ready_after_polls* nor *clock*: the service's own mode, as in
      0.1.0; with an ``instant`` service (the default), work is finished when its
      call answers; otherwise it stays in progress until :meth:`finish_work` (or
      ``service.provider.complete``).
    - *ready_after_polls* = N: work is finished after DescribeImages has shown it
      in progress N times (0: when the call that started it answers; it can still
      be made to fail).  A copy's ``SyncPercent`` rises with each showing; showing
      the source of copies (``SYNCING`` while they run) counts as showing each.
    - *clock*, a :class:`~imagecatalog.clocks.VirtualClock` that must be the
      service's clock: work is finished when :meth:`advance` moves the clock past
      its start plus its kind's duration (*durations*, over
      :data:`DEFAULT_DURATIONS`).

    Either of the last two needs a service that is not ``instant``.  Work begun
    on the service directly (``service.create_image``) is followed from the
    first time the endpoint sees it (in a listing, or by :meth:`advance` and
    :meth:`finish_work`, which look through the store).

    *sleep* is how latency is added (:func:`time.sleep`; a test may pass its
    own).  Every method is safe to call from several threads.
    """

    def __init__(
        self,
        service: ImageService,
        *,
        ready_after_polls: int | None = None,
        clock: VirtualClock | None = None,
        durations: Mapping[WorkKind | str, timedelta] | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        given_service: object = service
        if not isinstance(given_service, ImageService):
            raise InvalidParameterError(
                f"an endpoint answers from an ImageService, not {service!r}",
                parameter="service",
                value=service,
                code=ErrorCode.INVALID_PARAMETER,
            )
        if durations is not None and clock is None:
            raise InvalidParameterError(
                "durations are how long work takes on a virtual clock: give a clock too "
                "(mock_cvm(clock=VirtualClock(), durations=...))",
                parameter="durations",
                value=durations,
                code=ErrorCode.INVALID_PARAMETER,
            )
        if ready_after_polls is not None and not _is_count(ready_after_polls, 0):
            raise InvalidParameterError(
                f"ready_after_polls must be a whole number of DescribeImages calls, 0 or "
                f"more, not {ready_after_polls!r}",
                parameter="ready_after_polls",
                value=ready_after_polls,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        given_clock: object = clock
        if given_clock is not None and not isinstance(given_clock, VirtualClock):
            raise InvalidParameterError(
                f"clock must be a VirtualClock, not {clock!r}",
                parameter="clock",
                value=clock,
                code=ErrorCode.INVALID_PARAMETER,
            )
        if ready_after_polls is not None and clock is not None:
            raise InvalidParameterError(
                "work progresses either by polls (ready_after_polls) or by a virtual clock "
                "(clock), not both: choose one",
                parameter="clock",
                value=clock,
                code=ErrorCode.INVALID_PARAMETER,
            )
        if clock is not None and service.clock is not clock:
            raise InvalidParameterError(
                "the virtual clock must be the service's clock, so that image times follow "
                "it: make the service with ImageService(clock=clock, instant=False)",
                parameter="clock",
                value=clock,
                code=ErrorCode.INVALID_PARAMETER,
            )
        if (ready_after_polls is not None or clock is not None) and service.instant:
            raise InvalidParameterError(
                "this service finishes its work at once (instant=True), so no work can be "
                "seen in progress: make it with ImageService(instant=False)",
                parameter="service",
                value=service,
                code=ErrorCode.INVALID_PARAMETER,
            )
        self.service = service
        self.actions = CvmActions(service, on_work=self._started, progress=self._observed)
        self.ready_after_polls = ready_after_polls
        self.clock = clock
        self.durations: Mapping[WorkKind, timedelta] = MappingProxyType(_durations(durations))
        self._sleep = sleep
        self._lock = threading.RLock()
        self._jobs: dict[str, _Job] = {}
        self._fail_next: dict[WorkKind, int] = {}
        self._faults: list[Fault] = []
        self._calls: list[Call] = []

    # Answering --------------------------------------------------------------------

    def answer(
        self,
        action: str,
        params: Mapping[str, Any],
        *,
        caller: Account | str,
        region: Region | str,
        request_id: str | None = None,
        faults: FaultDraw | None = None,
    ) -> str:
        """The whole response of *action* as the API's JSON text; a refusal
        (the catalog's, or an injected one) raises
        :class:`~imagecatalog.ImageCatalogError`.  The call is logged.

        *faults* are this call's faults when the caller drew them itself with
        :meth:`draw_faults` and waited out their latency (an asyncio server
        waits without holding a thread); by default they are drawn here, and
        their latency slept with the endpoint's *sleep*."""
        given_id: object = request_id
        if given_id is not None and not isinstance(given_id, str):
            raise InvalidParameterError(
                f"request_id must be a string, not {request_id!r}",
                parameter="request_id",
                value=request_id,
                code=ErrorCode.INVALID_PARAMETER,
            )
        request_id = str(uuid.uuid4()) if request_id is None else request_id
        account = caller.id if isinstance(caller, Account) else str(caller)
        place = region.id if isinstance(region, Region) else str(region)
        sent = _copied(params)
        given_params: object = params
        if not isinstance(given_params, Mapping):
            error = InvalidParameterError(
                f"a request's parameters are a JSON object, not {type(params).__name__}",
                parameter="params",
                value=params,
                code=ErrorCode.INVALID_PARAMETER,
            )
            self._log(Call(action, place, account, sent, request_id, str(error.code)))
            raise error
        given_faults: object = faults
        if given_faults is not None and not isinstance(given_faults, FaultDraw):
            raise InvalidParameterError(
                f"faults are a FaultDraw (Endpoint.draw_faults), not {faults!r}",
                parameter="faults",
                value=faults,
                code=ErrorCode.INVALID_PARAMETER,
            )
        self._settle()  # a virtual clock may have been moved on directly
        try:
            if faults is None:
                faults = self.draw_faults(action)
                if faults.latency:
                    self._sleep(faults.latency)
            if faults.code is not None:
                raise InjectedError(faults.code, faults.message, action=action)
            text = self.actions.handle_json(
                action, params, caller=caller, region=region, request_id=request_id
            )
        except InjectedError as error:
            self._log(Call(action, place, account, sent, request_id, error.code, True))
            raise
        except ImageCatalogError as error:
            self._log(Call(action, place, account, sent, request_id, str(error.code)))
            raise
        except BaseException:
            self._log(Call(action, place, account, sent, request_id, str(ErrorCode.INTERNAL_ERROR)))
            raise
        self._log(Call(action, place, account, sent, request_id))
        self._settle()
        return text

    # The call log ------------------------------------------------------------------

    @property
    def calls(self) -> tuple[Call, ...]:
        """Every request answered so far, in order (until :meth:`clear_calls`)."""
        with self._lock:
            return tuple(self._calls)

    def calls_of(self, action: str) -> tuple[Call, ...]:
        """The logged requests of *action*, in order."""
        return tuple(call for call in self.calls if call.action == action)

    def clear_calls(self) -> None:
        """Empty the call log."""
        with self._lock:
            self._calls.clear()

    def _log(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    # Faults ------------------------------------------------------------------------

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
        """Make the next *times* calls of *action* (``"*"``: of any action) fail
        with *code* before they reach the catalog, so nothing changes.

        *code* must be a documented code: an API 3.0 common code
        (``RequestLimitExceeded``, ``InternalError``, ``AuthFailure.*``, ...) or
        a CVM code (:mod:`imagecatalog.api_codes`).  *times* None: every call
        until the fault is removed.  With *probability* below 1, each matching
        call fails by chance (seeded by *seed*, for repeatable runs), until
        *times* calls have failed.  *latency* seconds are added before the error
        answers.  Faults apply in the order they were injected; the first that
        fires answers."""
        code = _checked_code(code)
        if message is not None and not isinstance(message, str):
            raise InvalidParameterError(
                f"message must be a string, not {message!r}",
                parameter="message",
                value=message,
                code=ErrorCode.INVALID_PARAMETER,
            )
        text = message or _default_message(code)
        return self._add_fault(action, code, text, times, probability, seed, latency)

    def inject_latency(
        self,
        action: str,
        seconds: float,
        *,
        times: int | None = None,
        probability: float = 1.0,
        seed: int | None = None,
    ) -> Fault:
        """Add *seconds* of real latency to calls of *action* (``"*"``: any),
        every time (or the next *times* calls), or by chance with *probability*
        (seeded by *seed*).  The calls then proceed as usual."""
        return self._add_fault(
            action, None, "", times, probability, seed, seconds, latency_name="seconds"
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            for fault in self._faults:
                fault.remaining = 0
            self._faults.clear()

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults injected and not removed, in order."""
        with self._lock:
            return tuple(self._faults)

    def _add_fault(
        self,
        action: str,
        code: str | None,
        message: str,
        times: int | None,
        probability: float,
        seed: int | None,
        latency: float,
        latency_name: str = "latency",
    ) -> Fault:
        named: object = action
        if not isinstance(named, str) or (named != "*" and named not in self.actions.actions):
            raise InvalidParameterError(
                f"no action {action!r} to inject a fault into; this endpoint answers "
                f"{', '.join(self.actions.actions)}, or '*' for all of them",
                parameter="action",
                value=action,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if times is not None and not _is_count(times, 1):
            raise InvalidParameterError(
                f"times must be a whole number, 1 or more (or None: every call), not {times!r}",
                parameter="times",
                value=times,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if not _is_number(probability) or not 0 < probability <= 1:
            raise InvalidParameterError(
                f"probability must be above 0 and at most 1, not {probability!r}",
                parameter="probability",
                value=probability,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if not _is_number(latency) or not 0 <= latency < 3600:
            raise InvalidParameterError(
                f"{latency_name} is seconds, 0 or more and below an hour, not {latency!r}",
                parameter=latency_name,
                value=latency,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if seed is not None and not _is_count(seed, None):
            raise InvalidParameterError(
                f"seed must be an integer, not {seed!r}",
                parameter="seed",
                value=seed,
                code=ErrorCode.INVALID_PARAMETER,
            )
        fault = Fault(
            action,
            code,
            message,
            times,
            float(probability),
            float(latency),
            random=random.Random(seed),
            endpoint=self,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def _remove_fault(self, fault: Fault) -> None:
        with self._lock:
            fault.remaining = 0
            if fault in self._faults:
                self._faults.remove(fault)

    def draw_faults(self, action: str) -> FaultDraw:
        """The faults that fire on a call of *action* now, in the order they were
        injected: latency adds up, and the first error that fires answers (the
        faults after it are not reached by this call).  Each fault counts this
        call, so draw once per call, and pass what was drawn to :meth:`answer`."""
        delay = 0.0
        error: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault._fires(action):
                    delay += fault.latency
                    if fault.code is not None:
                        error = fault
                        break
            self._faults = [fault for fault in self._faults if not fault.exhausted]
        if error is None:
            return FaultDraw(latency=delay)
        return FaultDraw(latency=delay, code=error.code, message=error.message)

    # Work in progress ---------------------------------------------------------------
    #
    # The endpoint's lock guards its own state only, and is never held while the
    # service is called (the service may be inside a unit of work of another
    # thread, holding the store): reads of the store come first, then the jobs
    # are updated under the lock, then the work that is due is ended outside it.

    def fail_work(self, image: Image | str) -> None:
        """Make the provider's work on *image* (in progress now) end in failure
        when it ends: a created image becomes ``CREATEFAILED``, an imported one
        ``IMPORTFAILED``, and a failed copy is removed."""
        found = self._own_work(image)
        with self._lock:
            self._follow(found).fails = True

    def fail_next(self, kind: WorkKind | str, times: int = 1) -> None:
        """Make the next *times* pieces of work of *kind* (``"create"``,
        ``"import"`` or ``"copy"``, one per copy) that a call through this
        endpoint begins end in failure when they end.  (A call made inside a
        unit of work that is then undone still uses one up.)"""
        work = WorkKind.parse(kind)
        if not _is_count(times, 1):
            raise InvalidParameterError(
                f"times must be a whole number, 1 or more, not {times!r}",
                parameter="times",
                value=times,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if self.service.instant:
            raise InvalidParameterError(
                "this endpoint's service finishes its work at once, so no work can fail: "
                "use ready_after_polls (0 for work that ends when its call answers) or a "
                "virtual clock",
                parameter="kind",
                value=work,
                code=ErrorCode.INVALID_PARAMETER,
            )
        with self._lock:
            self._fail_next[work] = self._fail_next.get(work, 0) + times

    def finish_work(self, image: Image | str | None = None) -> tuple[Image, ...]:
        """End the provider's work now, as it was set to end (done, or failed):
        on *image*, or on every image in progress.  Returns the images that
        finished (a failed copy is gone, so not among them)."""
        if image is not None:
            targets: Sequence[Image] = (self._own_work(image),)
        else:
            targets = self.service.provider.work_in_progress()
        with self._lock:
            jobs = [(target.id, self._follow(target)) for target in targets]
            for image_id, _ in jobs:
                self._jobs.pop(image_id, None)
        return self._end(jobs)

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
    ) -> datetime:
        """Move the virtual clock on, then end the work whose time has come, in
        the order it comes.  Returns the new time."""
        if self.clock is None:
            raise InvalidParameterError(
                "this endpoint runs on real time: give it a clock (mock_cvm(clock="
                "VirtualClock())) to advance",
                parameter="clock",
                value=None,
                code=ErrorCode.INVALID_PARAMETER,
            )
        step = duration(delta, seconds=seconds, minutes=minutes, hours=hours)
        running = self.service.provider.work_in_progress()
        with self._lock:
            for image in running:
                self._follow(image)
        now = self.clock.advance(step)
        self._settle()
        return now

    def sleep(self, seconds: float) -> None:
        """A drop-in for :func:`time.sleep` under the virtual clock: the time
        passes at once (:meth:`advance`).  Patch it in where the code under test
        sleeps between polls, and its waiter runs in no real time."""
        self.advance(seconds=seconds)

    def progress(self, image: Image | str) -> int | None:
        """How far the work on *image* has come, in percent (below 100), as
        DescribeImages would show it now (for the source of copies, its least
        advanced copy); None when no work is in progress on it."""
        image_id = image_id_of(image)
        found = self.service.store.get_image(image_id)
        if found is None or not found.state.in_progress:
            return None
        copies = self._copies_if_source(found)
        with self._lock:
            if copies:
                return min(self._percent(self._follow(copy)) for copy in copies)
            return self._percent(self._follow(found))

    def _own_work(self, image: Image | str) -> Image:
        """*image*, in progress on work of its own (not the source of copies)."""
        image_id = image_id_of(image)
        found = self.service.store.get_image(image_id)
        if found is None:
            raise ImageNotFoundError(image_id)
        if not found.state.in_progress:
            raise InvalidParameterError(
                f"image {image_id} is {found.state}: no work is in progress on it",
                parameter="image",
                value=image_id,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        if self._copies_if_source(found):
            raise InvalidParameterError(
                f"image {image_id} is SYNCING as the source of copies in progress, and is "
                "NORMAL again when they end: act on its copies instead",
                parameter="image",
                value=image_id,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        return found

    def _copies_if_source(self, image: Image) -> tuple[Image, ...]:
        """The copies in progress of *image* when it is SYNCING as their source
        (a read of the store: call it without the lock)."""
        if image.state is not ImageState.SYNCING:
            return ()
        with self._lock:
            job = self._jobs.get(image.id)
            if job is not None and job.kind is WorkKind.COPY:
                return ()  # a copy in progress is no source: it cannot be copied
        return self.service.provider.copies_in_progress(image)

    def _follow(self, image: Image) -> _Job:
        """The job of *image*, in progress on work of its own, followed from now
        on if it was not (under the lock).  A job left from work that ended
        elsewhere (``service.provider.complete``, an undone unit of work) is
        replaced."""
        kind = WorkKind.of(image.state)
        job = self._jobs.get(image.id)
        if job is None or job.kind is not kind:
            started = image.created_at
            if self.clock is not None:  # a service adds microseconds to a clock at rest
                started = min(started, self.clock())
            job = self._jobs[image.id] = _Job(
                kind=kind,
                started=started,
                source=image.copied_from if kind is WorkKind.COPY else None,
            )
        return job

    def _started(self, images: Sequence[Image]) -> None:
        """CvmActions' report of work begun by a call: followed from now, and the
        next failures asked for (:meth:`fail_next`) given to it."""
        with self._lock:
            for image in images:
                if not image.state.in_progress:
                    continue
                if image.copied_from is not None:  # its source has no work of its own now
                    self._jobs.pop(image.copied_from, None)
                self._jobs.pop(image.id, None)
                job = self._follow(image)
                if self._fail_next.get(job.kind):
                    self._fail_next[job.kind] -= 1
                    job.fails = True

    def _observed(self, images: Sequence[Image]) -> Mapping[str, int]:
        """CvmActions' report of images DescribeImages is showing: each piece of
        work in progress among them counts one more showing (once, whether it is
        shown itself or through its source); returns how far each has come."""
        running = [image for image in images if image.state.in_progress]
        sources = {image.id: self._copies_if_source(image) for image in running}
        shown: dict[str, int] = {}
        with self._lock:
            counted: set[str] = set()

            def show(image: Image) -> _Job:
                job = self._follow(image)
                if self.ready_after_polls is not None and image.id not in counted:
                    counted.add(image.id)
                    job.polls += 1
                return job

            for image in running:
                copies = sources[image.id]
                if copies:  # as far as its least advanced copy, each copy shown
                    shown[image.id] = min(self._percent(show(copy)) for copy in copies)
                else:
                    shown[image.id] = self._percent(show(image))
        return shown

    def _percent(self, job: _Job) -> int:
        if self.ready_after_polls is not None:
            return min(99, job.polls * 100 // (self.ready_after_polls + 1))
        if self.clock is not None:
            span = self.durations[job.kind]
            if not span:
                return 0
            return min(99, max(0, int((self.clock() - job.started) / span * 100)))
        return 0

    def _due_at(self, job: _Job) -> datetime | None:
        """When *job* ends on the virtual clock (None: never, or no clock)."""
        try:
            return job.started + self.durations[job.kind]
        except OverflowError:
            return None

    def _due(self, job: _Job) -> bool:
        if self.ready_after_polls is not None:
            return job.polls >= self.ready_after_polls
        if self.clock is not None:
            due = self._due_at(job)
            return due is not None and self.clock() >= due
        return False

    def _settle(self) -> tuple[Image, ...]:
        """End the work whose time has come, in the order it comes."""
        with self._lock:
            due = sorted(
                (
                    (self._due_at(job) or job.started, job.started, image_id)
                    for image_id, job in self._jobs.items()
                    if self._due(job)
                ),
            )
            jobs = [(image_id, self._jobs.pop(image_id)) for _, _, image_id in due]
        return self._end(jobs) if jobs else ()

    def _end(self, jobs: Sequence[tuple[str, _Job]]) -> tuple[Image, ...]:
        """End each job's work, as it was set to end (outside the lock)."""
        finished = []
        for image_id, job in jobs:
            try:
                if job.fails:
                    self.service.provider.fail(image_id)
                    outcome = self.service.store.get_image(image_id)
                else:
                    outcome = self.service.provider.complete(image_id)
            except (ImageNotFoundError, InvalidImageStateError):
                continue  # deleted, or ended another way, since: nothing left to do
            if outcome is not None:
                finished.append(outcome)
        return tuple(finished)


def _durations(given: Mapping[WorkKind | str, timedelta] | None) -> dict[WorkKind, timedelta]:
    durations = dict(DEFAULT_DURATIONS)
    if given is None:
        return durations
    if not isinstance(given, Mapping):
        raise InvalidParameterError(
            f"durations maps a kind of work (create, import, copy) to a timedelta, not {given!r}",
            parameter="durations",
            value=given,
            code=ErrorCode.INVALID_PARAMETER,
        )
    for kind, span in given.items():
        work = WorkKind.parse(kind)
        checked = duration(span, parameter=f"durations[{work.value!r}]")
        if checked > MAX_DURATION:
            raise InvalidParameterError(
                f"durations[{work.value!r}] is {checked}; work takes at most "
                f"{MAX_DURATION.days} days here",
                parameter="durations",
                value=span,
                code=ErrorCode.INVALID_PARAMETER_VALUE,
            )
        durations[work] = checked
    return durations


def _is_count(value: object, minimum: int | None) -> bool:
    """True when *value* is an int (not a bool) of at least *minimum*."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (minimum is None or value >= minimum)
    )


def _is_number(value: object) -> bool:
    """True when *value* is a real number (not a bool, not NaN)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _checked_code(code: object) -> str:
    if not isinstance(code, str) or not api_codes.is_documented(code):
        raise InvalidParameterError(
            f"{code!r} is not a documented error code of the CVM API: inject a common code "
            "(RequestLimitExceeded, InternalError, AuthFailure.SignatureFailure, ...) or "
            "one of the CVM codes in imagecatalog.api_codes.CVM_CODES",
            parameter="code",
            value=code,
            code=ErrorCode.INVALID_PARAMETER_VALUE,
        )
    return code


def _default_message(code: str) -> str:
    described = api_codes.description(code) or _COMMON_MESSAGES.get(code)
    return f"{described or code} (injected by the test)"


#: The common codes' descriptions (the API 3.0 common error codes page) that
#: tests inject most.
_COMMON_MESSAGES = {
    "RequestLimitExceeded": "请求的次数超过了频率限制。",
    "InternalError": "内部错误。",
    "ResourceInUse": "资源被占用。",
    "ResourceUnavailable": "资源不可用。",
    "ServiceUnavailable": "当前服务暂时不可用。",
    "AuthFailure.SignatureExpire": "签名过期。Timestamp和服务器时间相差不得超过五分钟。",
    "AuthFailure.SignatureFailure": "签名错误。",
    "AuthFailure.SecretIdNotFound": "密钥不存在。",
    "UnauthorizedOperation": "请求未授权。",
}


def _copied(params: object) -> Mapping[str, Any]:
    """A read-only copy of the request's parameters, for the log (what a client
    sends is JSON data; anything else is kept as it was sent)."""
    if not isinstance(params, Mapping):
        return MappingProxyType({"": params})
    try:
        return MappingProxyType(copy.deepcopy(dict(params)))
    except Exception:  # not copyable: keep what was sent, shallowly
        return MappingProxyType(dict(params))
