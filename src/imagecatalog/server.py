"""The catalog as an HTTP endpoint: the Tencent Cloud API 3.0 protocol, for any SDK.

``python -m imagecatalog serve --port 9000 --credentials creds.json`` serves
the CVM image actions over HTTP, so that any official Tencent Cloud SDK
(Python, Node.js, Go, ``tccli``) pointed at ``127.0.0.1:9000`` meets the
catalog, with every rule, instead of the live API.  Install
``imagecatalog[server]`` (the server is uvicorn).

The protocol, as the SDKs speak it:

- ``POST /`` with a JSON body; the action, version, region and timestamp in the
  ``X-TC-Action``, ``X-TC-Version``, ``X-TC-Region`` and ``X-TC-Timestamp``
  headers; ``Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/
  <service>/tc3_request, SignedHeaders=..., Signature=...``.
- Every answer, errors included, is HTTP 200 with ``Content-Type:
  application/json`` exactly (the Python SDK reads an error only from a body of
  that exact type, and both SDKs take another status for a network failure):
  ``{"Response": {..., "RequestId": ...}}``, or ``{"Response": {"Error":
  {"Code": ..., "Message": ...}, "RequestId": ...}}``.
- Every request is authenticated before its body is parsed (it is read, up to
  its limit, to check its hash): the SecretId must be
  known (``AuthFailure.SecretIdNotFound``), the timestamp within five minutes of
  the server's (``AuthFailure.SignatureExpire``), the signature right
  (``AuthFailure.SignatureFailure``), and the header well formed
  (``AuthFailure.InvalidAuthorization``).  The signature is checked against
  what the request carries, as the SDKs sign it: the service named in the
  credential scope (the Python SDK signs ``cvm``; the Node.js SDK derives it
  from the endpoint's host, ``127`` for ``127.0.0.1``) and the ``Host`` header
  with or without its port (the Node.js SDK signs it without).  Signatures are
  compared in constant time; no secret is ever echoed.
- The caller is the account its SecretId maps to; the region is the request's.

One action layer answers both this server and the in-process SDK fake
(:class:`~imagecatalog.endpoint.Endpoint`), so the two cannot disagree.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs

from imagecatalog import api_codes
from imagecatalog.accounts import Account
from imagecatalog.endpoint import Endpoint
from imagecatalog.exceptions import ErrorCode, ImageCatalogError, InvalidParameterError

__all__ = [
    "API_VERSION",
    "MAX_BODY",
    "MAX_CLOCK_SKEW",
    "WORKERS",
    "AuthError",
    "CvmServer",
    "ProtocolError",
    "Secret",
    "load_credentials",
    "make_endpoint",
    "parse_credentials",
    "serve",
    "sign",
]

#: The CVM API's version, which every request names (``X-TC-Version``).
API_VERSION = "2017-03-12"
#: The largest request body the server reads: the live API's 10 MB for a POST
#: (beyond it: RequestSizeLimitExceeded).
MAX_BODY = 10 << 20
#: Seconds a request's body has to arrive in.
BODY_TIMEOUT = 30
#: How far a request's timestamp may be from the server's ("Timestamp和服务器时间相差
#: 不得超过五分钟", AuthFailure.SignatureExpire).
MAX_CLOCK_SKEW = 300

_LOG = logging.getLogger("imagecatalog.server")

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Seconds a stopping server waits for requests in flight.
GRACEFUL_SHUTDOWN = 10
#: Threads that make catalog calls, by default: as many as the SQL store's pool
#: has connections (5 kept and 10 more when busy), and one more.
WORKERS = 16

_T = TypeVar("_T")

#: Where the control API lives (only with a control token).
CONTROL = "/_imagecatalog/"

#: The answer to a request that a stopping server cut short.
_CUT_SHORT = (
    "the server stopped before the call finished (its shutdown timeout was over); "
    "whether the call took effect is not known: look, then try again"
)

_AUTHORIZATION = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s,]+)/(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<service>[^/\s,]+)/tc3_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


@attrs.frozen
class Secret:
    """A SecretId's key and the account it acts as."""

    key: str = attrs.field(repr=False)
    account: Account


class ProtocolError(ImageCatalogError):
    """A request the API 3.0 protocol refuses before any action runs; ``.code``
    is the API's common code (``InvalidAction``, ``NoSuchVersion``,
    ``RequestSizeLimitExceeded``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AuthError(ProtocolError):
    """A request that cannot be authenticated; ``.code`` is the API's
    ``AuthFailure.*`` code."""


def load_credentials(path: str | Path) -> dict[str, Secret]:
    """The credentials file: a JSON object mapping each SecretId to its key and
    account, ``{"AKID...": {"SecretKey": "...", "AccountId": "100000000001"}}``."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise InvalidParameterError(
                f"the credentials file names SecretId {', '.join(repeated)} twice",
                parameter="credentials",
                value=repeated,
                code=ErrorCode.INVALID_PARAMETER,
            )
        return dict(pairs)

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"), object_pairs_hook=unique)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidParameterError(
            f"the credentials file {path} cannot be read as JSON ({error})",
            parameter="credentials",
            value=str(path),
            code=ErrorCode.INVALID_PARAMETER,
        ) from None
    return parse_credentials(data)


def parse_credentials(data: object) -> dict[str, Secret]:
    """Credentials from their JSON form (see :func:`load_credentials`)."""
    if not isinstance(data, Mapping) or not data:
        raise InvalidParameterError(
            'credentials are a JSON object of {"<SecretId>": {"SecretKey": ..., '
            '"AccountId": ...}}, with one SecretId at least',
            parameter="credentials",
            value=type(data).__name__,
            code=ErrorCode.INVALID_PARAMETER,
        )
    secrets = {}
    for secret_id, entry in data.items():
        if (
            not isinstance(secret_id, str)
            or re.fullmatch(r"[^/\s,]+", secret_id) is None
            or not isinstance(entry, Mapping)
            or not isinstance(entry.get("SecretKey"), str)
            or not entry["SecretKey"]
        ):
            raise InvalidParameterError(
                f"credentials entry {secret_id!r} needs a SecretKey (a non-empty string) "
                "and an AccountId",
                parameter="credentials",
                value=secret_id,
                code=ErrorCode.INVALID_PARAMETER,
            )
        account = entry.get("AccountId")
        if not isinstance(account, str):
            raise InvalidParameterError(
                f"credentials entry {secret_id!r} needs an AccountId (a string of digits)",
                parameter="credentials",
                value=secret_id,
                code=ErrorCode.INVALID_PARAMETER,
            )
        secrets[secret_id] = Secret(key=entry["SecretKey"], account=Account.of(account))
    return secrets


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def sign(
    secret_key: str,
    *,
    method: str,
    host: str,
    content_type: str,
    body: bytes,
    timestamp: int,
    service: str,
    path: str = "/",
    query: str = "",
    unsigned_payload: bool = False,
    signed: Mapping[str, str] | None = None,
) -> str:
    """The TC3-HMAC-SHA256 signature of a request, as the SDKs make it: the
    signed headers are ``content-type;host``, or *signed* (name to value, in
    the order of ``SignedHeaders``) when a client signs more."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    # With X-TC-Content-SHA256: UNSIGNED-PAYLOAD, the SDKs hash that text instead of the body.
    payload = hashlib.sha256(b"UNSIGNED-PAYLOAD" if unsigned_payload else body).hexdigest()
    headers = signed if signed is not None else {"content-type": content_type, "host": host}
    canonical = "\n".join(
        [
            method,
            path,
            query,
            "".join(f"{name}:{value}\n" for name, value in headers.items()),
            ";".join(headers),
            payload,
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class CvmServer:
    """An ASGI application answering the CVM API from *endpoint*, for the
    accounts in *credentials* (SecretId to :class:`Secret`).

    *now* gives the server's time in seconds (for the five-minute rule);
    *max_body* bounds what is read of a request.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        credentials: Mapping[str, Secret],
        *,
        now: Callable[[], float] = time.time,
        max_body: int = MAX_BODY,
        control_token: str | None = None,
        new_endpoint: Callable[[], Endpoint] | None = None,
        workers: int = WORKERS,
    ) -> None:
        count: object = workers
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 256:
            raise InvalidParameterError(
                f"workers is the number of threads that make catalog calls, from 1 to 256, "
                f"not {workers!r}",
                parameter="workers",
                value=workers,
                code=ErrorCode.INVALID_PARAMETER,
            )
        token: object = control_token
        if token is not None and (
            not isinstance(token, str)
            or len(token) < 16
            or not (token.isascii() and token.isprintable())
            or token != token.strip()
        ):
            # It travels in a header, whose bytes the server reads as Latin-1: any
            # other token could never match.
            raise InvalidParameterError(
                "the control token must be 16 printable ASCII characters or more, with no "
                "space around them",
                parameter="control_token",
                code=ErrorCode.INVALID_PARAMETER,
            )
        self.endpoint = endpoint
        self.credentials = dict(credentials)
        self._now = now
        self.max_body = max_body
        self._control_token = control_token
        self._new_endpoint = new_endpoint
        # Set when the server begins to stop: injected latency is waited on it.
        self._stopping = asyncio.Event()
        # Catalog calls run here: a pool of its own, so that calls waiting for a
        # store's lock (up to its lock_timeout) do not use up asyncio's default
        # pool (a few threads) and hold up every other call.
        self.workers = workers
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="imagecatalog-call"
        )

    def begin_shutdown(self) -> None:
        """The server is stopping: injected latency being waited out ends now
        (its calls then run, and answer), and later calls wait for none.
        :func:`serve` calls it as soon as uvicorn begins to stop (SIGTERM,
        SIGINT), before it waits for the requests in flight; the ASGI lifespan's
        shutdown calls it too, for other servers."""
        self._stopping.set()

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.begin_shutdown)
            return
        if scope["type"] != "http":  # websockets and the rest: not this API
            return
        if self._control_token is not None and str(scope.get("path", "")).startswith(CONTROL):
            try:
                status, answer = await self._control(scope, receive)
            except asyncio.CancelledError:  # see below
                status, answer = 503, {"error": _CUT_SHORT}
            except Exception:  # a bug: never a stack trace in an answer
                _LOG.exception("the control API failed")
                status, answer = 500, {"error": "an internal error occurred"}
            await _send_json(send, status, answer)
            return
        request_id = str(uuid.uuid4())
        try:
            body = await self._answer(scope, receive, request_id)
        except ImageCatalogError as error:
            body = _error_body(str(error.code), error.message, request_id)
        except asyncio.CancelledError:
            # uvicorn cancels a request only when a stopping server's shutdown
            # timeout is over, and goes on stopping without waiting for it: answer
            # it as the API would, rather than with uvicorn's bare HTTP 500 (which
            # the SDKs take for a network failure).  Its call may still be running
            # in its worker thread until the process ends: the store's transaction
            # commits whole or not at all, but which cannot be known here.
            _LOG.warning("request %s was cut short by the server stopping", request_id)
            body = _error_body("ServiceUnavailable", _CUT_SHORT, request_id)
        except Exception:  # a bug: never a stack trace in an answer
            _LOG.exception("request %s failed", request_id)
            body = _error_body(
                "InternalError", "an internal error occurred; try again later", request_id
            )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _control(self, scope: _Scope, receive: _Receive) -> tuple[int, object]:
        """The control API, for tests in any language: ``Authorization: Bearer
        <token>``; JSON in and out, with HTTP statuses of its own."""
        headers = _headers(scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        given = token.strip().encode("utf-8") if scheme.lower() == "bearer" else b""
        assert self._control_token is not None
        if not hmac.compare_digest(given, self._control_token.encode("utf-8")):
            return 401, {"error": "the control API needs Authorization: Bearer <control token>"}
        try:
            body = await _read_body(receive, self.max_body)
            data = json.loads(body) if body else {}
        except (ImageCatalogError, ValueError, RecursionError) as error:
            return 400, {
                "error": f"the body is not JSON of at most {self.max_body} bytes ({error})"
            }
        route = (scope["method"], str(scope["path"])[len(CONTROL) :])
        try:
            # In a worker thread, as the API's calls: a control call may wait for
            # the store (ending work writes to it) without holding up the server.
            return await self._in_worker(self._route, route, data)
        except ImageCatalogError as error:
            return 400, {"error": error.message, "code": str(error.code)}
        except Exception:  # a bug: never a stack trace in an answer
            return 500, {"error": "an internal error occurred"}

    def _route(self, route: tuple[str, str], data: Any) -> tuple[int, object]:
        endpoint = self.endpoint
        if route == ("GET", "health"):
            return 200, {"status": "ok"}
        if route == ("GET", "calls"):
            return 200, {"calls": [_call_json(call) for call in endpoint.calls]}
        if route == ("DELETE", "calls"):
            endpoint.clear_calls()
            return 200, {}
        if not isinstance(data, dict):
            return 400, {"error": "the body must be a JSON object"}
        if route == ("POST", "faults"):
            allowed = {"action", "code", "times", "message", "probability", "seed", "latency"}
            unknown = set(data) - allowed
            if unknown:
                return 400, {"error": f"unknown keys {sorted(unknown)}; use {sorted(allowed)}"}
            if "code" not in data and "latency" in data:  # latency alone
                fault = endpoint.inject_latency(
                    data.get("action", "*"),
                    data["latency"],
                    times=data.get("times"),
                    probability=data.get("probability", 1.0),
                    seed=data.get("seed"),
                )
                return 200, {"action": fault.action, "latency": fault.latency}
            fault = endpoint.inject_error(
                data.get("action", "*"),
                data.get("code"),  # type: ignore[arg-type]  # checked by inject_error
                **{key: data[key] for key in allowed - {"action", "code"} if key in data},
            )
            return 200, {"action": fault.action, "code": fault.code, "times": fault.remaining}
        if route == ("DELETE", "faults"):
            endpoint.clear_faults()
            return 200, {}
        if route == ("POST", "fail-next"):
            endpoint.fail_next(data.get("kind"), data.get("times", 1))  # type: ignore[arg-type]
            return 200, {}
        if route == ("POST", "advance"):
            if endpoint.clock is None:
                return 400, {
                    "error": "this server's work runs on real time: start it with "
                    "--virtual-clock to move its clock on"
                }
            now = endpoint.advance(seconds=data.get("seconds", 0))
            return 200, {"now": now.isoformat()}
        if route == ("POST", "finish-work"):
            finished = endpoint.finish_work(data.get("image"))
            return 200, {"finished": [image.id for image in finished]}
        if route == ("GET", "snapshot"):
            from imagecatalog import snapshot

            return 200, snapshot.dump(endpoint.service)
        if route in (("POST", "reset"), ("POST", "snapshot")):
            if self._new_endpoint is None:
                return 409, {"error": "this server's catalog cannot be replaced (a SQL store)"}
            fresh = self._new_endpoint()
            if route[1] == "snapshot":
                from imagecatalog import snapshot

                loaded = snapshot.restore(
                    data,
                    clock=fresh.service.clock,
                    instant=fresh.service.instant,
                    strict_accounts=False,
                )
                fresh = self._rebuild(fresh, loaded)
            for secret in self.credentials.values():
                fresh.service.register_account(secret.account, exist_ok=True)
            self.endpoint = fresh
            return 200, {}
        return 404, {"error": f"no control route {route[0]} {CONTROL}{route[1]}"}

    @staticmethod
    def _rebuild(template: Endpoint, service: Any) -> Endpoint:
        """An endpoint like *template* (its progress and clock) over *service*."""
        return Endpoint(
            service,
            ready_after_polls=template.ready_after_polls,
            sleep=template._sleep,
            clock=template.clock,
            durations={kind.value: span for kind, span in template.durations.items()}
            if template.clock is not None
            else None,
        )

    async def _answer(self, scope: _Scope, receive: _Receive, request_id: str) -> bytes:
        headers = _headers(scope)
        if scope["method"] != "POST" or scope.get("path", "/") != "/":
            raise ProtocolError(
                "UnsupportedProtocol",
                f"this endpoint takes POST / with a JSON body, not {scope['method']} "
                f"{scope.get('path', '/')}",
            )
        action = headers.get("x-tc-action", "")
        version = headers.get("x-tc-version", "")
        region = headers.get("x-tc-region", "")
        # Authentication first: nothing of the body is trusted before it.
        declared = headers.get("content-length")
        if declared is not None and (
            not declared.isascii() or not declared.isdigit() or int(declared) > self.max_body
        ):
            if declared.isascii() and declared.isdigit() and int(declared) <= _DRAIN_LIMIT:
                # Read what comes (for a while) and drop it, so that the client,
                # still sending, reads the answer.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_drain(receive, _DRAIN_LIMIT), _DRAIN_SECONDS)
            raise ProtocolError(
                "RequestSizeLimitExceeded", f"the request body is larger than {self.max_body} bytes"
            )
        try:
            body = await asyncio.wait_for(_read_body(receive, self.max_body), BODY_TIMEOUT)
        except TimeoutError:
            raise ProtocolError(
                "InvalidParameter",
                f"the request body did not arrive within {BODY_TIMEOUT} seconds",
            ) from None
        secret = self._authenticate(scope, headers, body)
        if version != API_VERSION:
            raise ProtocolError(
                "NoSuchVersion",
                f"version {version!r} of the CVM API is not served here; use {API_VERSION}",
            )
        if not action:
            raise ProtocolError("MissingParameter", "the request names no action (X-TC-Action)")
        if action not in self.endpoint.actions.actions:
            if action in api_codes.CVM_ACTIONS:
                raise ProtocolError(
                    "UnsupportedOperation",
                    f"the action {action} is not modelled by imagecatalog; this endpoint "
                    f"answers {', '.join(self.endpoint.actions.actions)}",
                )
            raise ProtocolError("InvalidAction", f"the CVM API has no action {action!r}")
        if not region:
            raise ProtocolError("MissingParameter", "the request names no region (X-TC-Region)")
        try:
            params = json.loads(body or b"{}")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            params = None
        if not isinstance(params, dict):
            raise ProtocolError("InvalidParameter", "the request body is not a JSON object")
        endpoint = self.endpoint
        # Injected latency is waited out here, holding no thread (a stopping
        # server ends it: the call then runs); the call itself runs in a worker
        # thread, so that one waiting for the store does not hold up the others.
        drawn = endpoint.draw_faults(action)
        if drawn.latency:
            await self._wait(drawn.latency)
        text = await self._in_worker(
            functools.partial(
                endpoint.answer, action, params, caller=secret.account, region=region,
                request_id=request_id, faults=drawn,
            )
        )  # fmt: skip
        return text.encode("utf-8")

    async def _in_worker(self, call: Callable[..., _T], *args: Any) -> _T:
        """*call* made in one of the server's worker threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args))

    async def _wait(self, seconds: float) -> None:
        """Wait *seconds*, or until the server begins to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _authenticate(self, scope: _Scope, headers: Mapping[str, str], body: bytes) -> Secret:
        found = _AUTHORIZATION.fullmatch(headers.get("authorization", "").strip())
        if found is None:
            raise AuthError(
                "AuthFailure.InvalidAuthorization",
                "the Authorization header is missing or is not TC3-HMAC-SHA256 "
                "Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=..., "
                "Signature=...",
            )
        secret = self.credentials.get(found["secret_id"])
        if secret is None:
            raise AuthError(
                "AuthFailure.SecretIdNotFound",
                "the SecretId is not known here; use one of the credentials file",
            )
        stamp = headers.get("x-tc-timestamp", "")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            raise AuthError(
                "AuthFailure.InvalidAuthorization", "X-TC-Timestamp must be Unix seconds"
            )
        timestamp = int(stamp)
        if abs(self._now() - timestamp) > MAX_CLOCK_SKEW:
            raise AuthError(
                "AuthFailure.SignatureExpire",
                "the request's timestamp is more than five minutes from the server's time; "
                "check the client's clock",
            )
        names = found["headers"].split(";")
        if "content-type" not in names or "host" not in names or len(set(names)) != len(names):
            raise AuthError(
                "AuthFailure.InvalidAuthorization",
                "SignedHeaders must name content-type and host (the SDKs sign those two; "
                "a client may sign more, such as x-tc-action), each once",
            )
        if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != found["date"]:
            raise AuthError(
                "AuthFailure.SignatureFailure",
                "the credential's date is not the timestamp's (UTC)",
            )
        host = headers.get("host", "")
        # The Node.js SDK signs the host without the port it sends.
        hosts = [host, host.split(":")[0]] if re.fullmatch(r"[^:]+:\d{1,5}", host) else [host]
        hostname = host.split(":")[0] if hosts != [host] else host
        # The service is "cvm", or (the Node.js SDK) the endpoint's first label.
        if found["service"] not in ("cvm", hostname.split(".")[0]):
            raise AuthError(
                "AuthFailure.SignatureFailure",
                f"the credential scope's service {found['service']!r} is not cvm",
            )
        unsigned = headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD"
        given = found["signature"].encode("ascii")
        for candidate in hosts:
            # The canonical headers: names and values in lower case, trimmed (the
            # signature v3 document; the SDKs' own values already are).
            signed = {
                name: (candidate if name == "host" else headers.get(name, "")).strip().lower()
                for name in names
            }
            expected = sign(
                secret.key,
                method=scope["method"],
                host=candidate,
                content_type=headers.get("content-type", ""),
                body=body,
                timestamp=timestamp,
                service=found["service"],
                query=scope.get("query_string", b"").decode("latin-1"),
                unsigned_payload=unsigned,
                signed=signed,
            )
            if hmac.compare_digest(expected.encode("ascii"), given):
                return secret
        raise AuthError(
            "AuthFailure.SignatureFailure",
            "the signature does not match the request; check the SecretKey and what is signed",
        )


def _call_json(call: Any) -> dict[str, object]:
    return {
        "Action": call.action,
        "Region": call.region,
        "AccountId": call.account,
        "Params": dict(call.params),
        "RequestId": call.request_id,
        "ErrorCode": call.error_code,
        "Injected": call.injected,
    }


async def _send_json(send: _Send, status: int, answer: object) -> None:
    body = _json(answer, default=str)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _headers(scope: _Scope) -> dict[str, str]:
    """The request's headers, names in lower case (the last of a repeated one)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


async def _read_body(receive: _Receive, limit: int) -> bytes:
    """The request's body, refused past *limit* bytes (read no further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProtocolError(
                "RequestSizeLimitExceeded", f"the request body is larger than {limit} bytes"
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


#: How much of a body too large is read and dropped, so that the client, still
#: sending, reads the answer (beyond it the connection is closed on it).
_DRAIN_LIMIT = 16 << 20
#: How long a body too large is drained.
_DRAIN_SECONDS = 5


async def _drain(receive: _Receive, limit: int) -> None:
    """Read and drop the request's body, up to *limit* bytes."""
    size = 0
    while size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _error_body(code: str, message: str, request_id: str) -> bytes:
    return _json(
        {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}},
        separators=(",", ":"),
    )


def _json(answer: object, **options: Any) -> bytes:
    """*answer* as JSON in UTF-8; with every character escaped when some text
    cannot be UTF-8 (a lone surrogate a client sent, \\ud800 in its JSON, echoed
    in a message or kept in the call log)."""
    try:
        return json.dumps(answer, ensure_ascii=False, **options).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(answer, **options).encode("ascii")


async def _lifespan(receive: _Receive, send: _Send, on_shutdown: Callable[[], object]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def make_endpoint(
    store: str | None = None,
    *,
    profile: str = "newest",
    public_catalog: bool = True,
    ready_after_polls: int | None = None,
    virtual_clock: bool = False,
    sleep: Callable[[float], object] = time.sleep,
) -> Endpoint:
    """The endpoint a server answers from: a service in memory (*store* None),
    or on the SQL store at *store* (a SQLite file or PostgreSQL URL, which keeps
    the catalog across restarts and between server processes); a new store
    starts with the built-in public catalog, once.  *ready_after_polls* and
    *virtual_clock* make work take time, as with ``mock_cvm``."""
    from imagecatalog.clocks import VirtualClock
    from imagecatalog.limits import Limits
    from imagecatalog.service import ImageService

    limits = Limits.profile(profile)
    clock = VirtualClock() if virtual_clock else None
    timed = ready_after_polls is not None or clock is not None
    options: dict[str, Any] = {
        "limits": limits,
        "strict_accounts": False,
        "public_catalog": public_catalog,
        "clock": clock,
        "instant": not timed,
    }
    if store is None:
        service = ImageService(**options)
    else:
        from imagecatalog.sql import SqlImageRepository

        service = ImageService(SqlImageRepository(store), **options)
    return Endpoint(service, ready_after_polls=ready_after_polls, clock=clock, sleep=sleep)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 9000,
    credentials: str | Path,
    store: str | None = None,
    profile: str = "newest",
    certfile: str | None = None,
    keyfile: str | None = None,
    control_token: str | None = None,
    ready_after_polls: int | None = None,
    virtual_clock: bool = False,
    shutdown_timeout: int = GRACEFUL_SHUTDOWN,
    workers: int = WORKERS,
) -> None:
    """Serve the CVM API on *host*:*port* until interrupted; over TLS with
    *certfile* and *keyfile*; with the control API under ``/_imagecatalog/``
    when *control_token* is given; catalog calls made by *workers* threads.

    On SIGINT or SIGTERM the server takes no new connection, ends injected
    latency at once (the calls it held then run), and gives the requests in
    flight *shutdown_timeout* seconds to finish; one still running then (waiting
    for the store) is answered ``ServiceUnavailable``, and its transaction is
    on the store whole or not at all."""
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - the extra is missing
        raise SystemExit("the server needs uvicorn: pip install 'imagecatalog[server]'") from None
    if (certfile is None) != (keyfile is None):
        raise SystemExit("TLS needs both --certfile and --keyfile")
    secrets = load_credentials(credentials)

    def new_endpoint() -> Endpoint:
        return make_endpoint(
            None, profile=profile, ready_after_polls=ready_after_polls, virtual_clock=virtual_clock
        )

    endpoint = make_endpoint(
        store, profile=profile, ready_after_polls=ready_after_polls, virtual_clock=virtual_clock
    )
    for secret in secrets.values():
        endpoint.service.register_account(secret.account, exist_ok=True)
    app = CvmServer(
        endpoint,
        secrets,
        control_token=control_token,
        new_endpoint=new_endpoint if store is None else None,
        workers=workers,
    )

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # At once, before uvicorn waits for the requests in flight (its
            # lifespan shutdown comes only after that wait).
            app.begin_shutdown()
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        # On SIGTERM, requests in flight get this long to finish (a client that
        # holds a connection open without a request does not hold the server).
        timeout_graceful_shutdown=shutdown_timeout,
    )
    server = Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:  # the port is taken, or TLS cannot start: uvicorn said why
        raise SystemExit(3)
