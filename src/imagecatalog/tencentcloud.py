"""moto for Tencent Cloud images: a fake CVM endpoint behind the official SDK.

While :func:`mock_cvm` is active, every ``CvmClient`` of the official Python SDK
(``tencentcloud-sdk-python-cvm``, ``pip install "imagecatalog[tencentcloud]"``),
created by any code, is answered by an :class:`~imagecatalog.ImageService`
instead of the network.  The fake sits at the client's ``call(action, params)``
seam: the SDK's own request models serialize the parameters and its own
response models read the answer, so the code under test runs unmodified, and
every rule violation comes back as the SDK's ``TencentCloudSDKException`` with
the provider's error code, a message and a request ID.

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
client's.  Actions: DescribeImages, CreateImage, ImportImage, SyncImages,
ModifyImageSharePermission, DescribeImageSharePermission, ModifyImageAttribute,
DeleteImages, DescribeImageQuota, RunInstances and DescribeInstances; any other
action raises ``UnsupportedOperation`` saying it is not modelled.
"""

from __future__ import annotations

import functools
import inspect
import threading
import unittest
import uuid
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from imagecatalog.accounts import Account
from imagecatalog.cvm import CvmActions
from imagecatalog.exceptions import ErrorCode, ImageCatalogError, InvalidParameterError
from imagecatalog.limits import Limits
from imagecatalog.service import ImageService

__all__ = ["DEFAULT_ACCOUNT", "MockCvm", "mock_cvm"]

_R = TypeVar("_R")
_C = TypeVar("_C")
_P = ParamSpec("_P")

#: Marks that ``CvmClient`` had no ``call`` of its own (it inherits the SDK's).
_INHERITED = object()

#: The mocks active now, in the order they started; the last answers.
_ACTIVE: list[MockCvm] = []
#: What ``CvmClient.call`` was before the first active mock replaced it.
_STATE: dict[str, Any] = {}
#: Starting and stopping mocks take turns.
_SWITCH = threading.Lock()


def _dispatch(
    client: CvmClient,
    action: str,
    params: Mapping[str, Any],
    options: object = None,
    headers: object = None,
) -> str:
    """``CvmClient.call`` while a mock is active: the last started active mock answers."""
    return _ACTIVE[-1].answer(client, action, params)


#: The account a mock acts as when no credential mapping says otherwise.
DEFAULT_ACCOUNT = "100000000001"


class MockCvm:
    """The fake CVM endpoint: holds the :class:`~imagecatalog.ImageService` that
    answers (through :class:`~imagecatalog.cvm.CvmActions`), and patches
    ``CvmClient.call`` while active.

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
    ) -> None:
        if service is None:
            service = ImageService(
                public_catalog=public_catalog,
                limits=Limits.newest() if limits is None else limits,
                strict_accounts=False if strict_accounts is None else strict_accounts,
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
        for known in (self.account, *self.credentials.values()):
            service.register_account(known, exist_ok=True)
        self.actions = CvmActions(service)
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
                    _STATE["saved"] = CvmClient.__dict__.get("call", _INHERITED)
                    CvmClient.call = _dispatch
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
                if not _ACTIVE:
                    saved = _STATE.pop("saved")
                    if saved is _INHERITED:
                        del CvmClient.call
                    else:
                        CvmClient.call = saved

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
        """The account a client acts as: mapped from its SecretId, else the default."""
        secret_id = getattr(getattr(client, "credential", None), "secret_id", None)
        return self.credentials.get(secret_id, self.account) if secret_id else self.account

    def answer(self, client: CvmClient, action: str, params: Mapping[str, Any]) -> str:
        """The JSON body the provider would send for *action*, or the SDK's exception."""
        request_id = str(uuid.uuid4())
        try:
            return self.actions.handle_json(
                action,
                params,
                caller=self.account_for(client),
                region=client.region,
                request_id=request_id,
            )
        except ImageCatalogError as error:
            raise TencentCloudSDKException(str(error.code), error.message, request_id) from None


def mock_cvm(
    service: ImageService | None = None,
    *,
    account: Account | str = DEFAULT_ACCOUNT,
    credentials: Mapping[str, Account | str] | None = None,
    public_catalog: bool = True,
    limits: Limits | None = None,
    strict_accounts: bool | None = None,
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
    """
    return MockCvm(
        service,
        account=account,
        credentials=credentials,
        public_catalog=public_catalog,
        limits=limits,
        strict_accounts=strict_accounts,
    )
