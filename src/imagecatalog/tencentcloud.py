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
import json
import threading
import unittest
import uuid
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from imagecatalog.accounts import Account
from imagecatalog.exceptions import ErrorCode, ImageCatalogError, InvalidParameterError
from imagecatalog.images import ImageKind
from imagecatalog.instances import Instance
from imagecatalog.regions import Region
from imagecatalog.serialization import format_time, to_api
from imagecatalog.service import MAX_PAGE_SIZE, ImageService

__all__ = ["DEFAULT_ACCOUNT", "MockCvm", "mock_cvm"]

_T = TypeVar("_T")
_R = TypeVar("_R")
_C = TypeVar("_C")
_P = ParamSpec("_P")

#: Marks that ``CvmClient`` had no ``call`` of its own (it inherits the SDK's).
_INHERITED = object()

#: The account a mock acts as when no credential mapping says otherwise.
DEFAULT_ACCOUNT = "100000000001"

_FILTERS = ("image-id", "image-type", "image-name", "platform")
_MAX_FILTERS = 10
_MAX_FILTER_VALUES = 5


class _RefusalError(Exception):
    """A provider error raised by the adapter itself (not by the service)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _DryRunPassedError(Exception):
    """Raised inside a unit of work to undo a DryRun call that would succeed."""


def _param(
    params: Mapping[str, Any], key: str, kind: type, default: Any = None, *, required: bool = False
) -> Any:
    if key not in params or params[key] is None:
        if required:
            raise _RefusalError("MissingParameter", f"the request is missing the parameter {key}")
        return default
    value = params[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise _RefusalError(
            "InvalidParameter",
            f"parameter {key} must be {kind.__name__}, not {type(value).__name__}",
        )
    return value


class MockCvm:
    """The fake CVM endpoint: holds the :class:`~imagecatalog.ImageService` that
    answers, and patches ``CvmClient.call`` while active.

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
    ) -> None:
        if service is None:
            service = ImageService.with_public_catalog() if public_catalog else ImageService()
        self.service = service
        self.account = Account.of(account)
        self.credentials = {
            secret_id: Account.of(owner) for secret_id, owner in (credentials or {}).items()
        }
        for known in (self.account, *self.credentials.values()):
            if not service.repository.has_account(known.id):
                service.register_account(known)
        self._activation_lock = threading.Lock()
        self._activations = 0
        self._saved_call: Any = _INHERITED
        self._handlers: dict[str, Callable[[Account, Region, Mapping[str, Any]], dict[str, Any]]]
        self._handlers = {
            "DescribeImages": self._describe_images,
            "CreateImage": self._create_image,
            "ImportImage": self._import_image,
            "SyncImages": self._sync_images,
            "ModifyImageSharePermission": self._modify_share_permission,
            "DescribeImageSharePermission": self._describe_share_permission,
            "ModifyImageAttribute": self._modify_image_attribute,
            "DeleteImages": self._delete_images,
            "DescribeImageQuota": self._describe_image_quota,
            "RunInstances": self._run_instances,
            "DescribeInstances": self._describe_instances,
        }

    # Activation -------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True while the mock answers ``CvmClient`` calls."""
        return self._activations > 0

    def start(self) -> MockCvm:
        """Answer every ``CvmClient`` from now on, until the matching :meth:`stop`.

        Activations nest: each :meth:`start` needs its own :meth:`stop`, and the
        SDK is restored, exactly as it was, at the last one.
        """
        with self._activation_lock:
            if self._activations == 0:
                self._saved_call = CvmClient.__dict__.get("call", _INHERITED)
                CvmClient.call = self._fake_call()
            self._activations += 1
        return self

    def stop(self) -> None:
        """End one activation; the last one restores the SDK as it was."""
        with self._activation_lock:
            if self._activations == 0:
                raise RuntimeError(
                    "MockCvm.stop() was called before start(): this mock is not active"
                )
            self._activations -= 1
            if self._activations == 0:
                if self._saved_call is _INHERITED:
                    del CvmClient.call
                else:
                    CvmClient.call = self._saved_call
                self._saved_call = _INHERITED

    def _fake_call(self) -> Callable[..., str]:
        mock_self = self

        def call(
            client: CvmClient,
            action: str,
            params: Mapping[str, Any],
            options: object = None,
            headers: object = None,
        ) -> str:
            return mock_self.answer(client, action, params)

        return call

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
        handler = self._handlers.get(action)
        if handler is None:
            raise TencentCloudSDKException(
                "UnsupportedOperation",
                f"{action} is not modelled by imagecatalog's fake CVM endpoint; it models "
                f"{', '.join(self._handlers)}",
                request_id,
            )
        try:
            region = Region.of(client.region)
            caller = self.account_for(client)
            body = handler(caller, region, params)
        except ImageCatalogError as error:
            raise TencentCloudSDKException(str(error.code), error.message, request_id) from None
        except _RefusalError as refusal:
            raise TencentCloudSDKException(refusal.code, refusal.message, request_id) from None
        except _DryRunPassedError:
            raise TencentCloudSDKException(
                "DryRunOperation",
                f"DryRun: {action} would have succeeded; nothing was changed",
                request_id,
            ) from None
        body["RequestId"] = request_id
        return json.dumps({"Response": body})

    def _dry_run(self, params: Mapping[str, Any], action: Callable[[], _T]) -> _T:
        """Run *action*; with DryRun, run it in a unit of work that is then undone."""
        if not _param(params, "DryRun", bool, False):
            return action()
        with self.service.repository.transaction():
            action()
            raise _DryRunPassedError

    # Actions ----------------------------------------------------------------------

    def _describe_images(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_ids = _param(params, "ImageIds", list)
        filters = _param(params, "Filters", list)
        offset = _param(params, "Offset", int, 0)
        limit = _param(params, "Limit", int, 20)
        if image_ids and filters:
            raise _RefusalError(
                ErrorCode.INVALID_PARAMETER_COEXIST_IMAGE_IDS_FILTERS,
                "ImageIds and Filters cannot be given together",
            )
        if offset < 0:
            raise _RefusalError(ErrorCode.INVALID_PARAMETER_VALUE, f"Offset {offset} is negative")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise _RefusalError(
                ErrorCode.INVALID_PARAMETER_VALUE_LIMIT,
                f"Limit must be from 1 to {MAX_PAGE_SIZE}, not {limit}",
            )
        wanted = self._filters(filters or [])
        kinds = wanted.get("image-type")
        everything = list(
            self._all_visible(
                caller,
                region,
                image_ids or None,
                None if kinds is None else [ImageKind(k) for k in kinds],
            )
        )
        ids, names, platforms = (
            wanted.get("image-id"),
            wanted.get("image-name"),
            wanted.get("platform"),
        )
        matches = [
            image
            for image in everything
            if (ids is None or image.id in ids)
            and (names is None or any(n.casefold() in image.name.casefold() for n in names))
            and (
                platforms is None
                or any(p.casefold() in image.platform.casefold() for p in platforms)
            )
        ]
        return {
            "TotalCount": len(matches),
            "ImageSet": [to_api(image, caller) for image in matches[offset : offset + limit]],
        }

    def _filters(self, filters: list[Any]) -> dict[str, list[str]]:
        if len(filters) > _MAX_FILTERS:
            raise _RefusalError(
                "InvalidFilterValue.LimitExceeded",
                f"at most {_MAX_FILTERS} filters, not {len(filters)}",
            )
        wanted: dict[str, list[str]] = {}
        for index, item in enumerate(filters):
            if not isinstance(item, Mapping):
                raise _RefusalError("InvalidFilter", f"Filters.{index} is not a filter")
            name, values = item.get("Name"), item.get("Values")
            if name not in _FILTERS:
                raise _RefusalError(
                    "InvalidFilter",
                    f"filter {name!r} is not supported; use one of {', '.join(_FILTERS)}",
                )
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise _RefusalError("InvalidFilter", f"filter {name} needs a list of strings")
            if not values:
                raise _RefusalError("InvalidFilter", f"filter {name} needs at least one value")
            if len(values) > _MAX_FILTER_VALUES:
                raise _RefusalError(
                    "InvalidFilterValue.LimitExceeded",
                    f"filter {name} has {len(values)} values; at most {_MAX_FILTER_VALUES}",
                )
            if name == "image-type":
                for value in values:
                    try:
                        ImageKind(value)
                    except ValueError:
                        raise _RefusalError(
                            "InvalidFilter",
                            f"image-type {value!r} is not PUBLIC_IMAGE, PRIVATE_IMAGE or "
                            "SHARED_IMAGE",
                        ) from None
            wanted.setdefault(name, []).extend(values)
        return wanted

    def _all_visible(
        self,
        caller: Account,
        region: Region,
        image_ids: list[str] | None,
        kinds: list[ImageKind] | None,
    ) -> Iterator[Any]:
        offset = 0
        while True:
            page = self.service.describe_images(
                caller,
                region,
                image_ids=image_ids,
                kinds=kinds,
                offset=offset,
                limit=MAX_PAGE_SIZE,
            )
            yield from page.items
            offset += MAX_PAGE_SIZE
            if offset >= page.total_count:
                return

    def _create_image(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        if params.get("SnapshotIds") or params.get("DataDiskIds"):
            raise _RefusalError(
                "UnsupportedOperation",
                "CreateImage from snapshots or with data disks is not modelled by "
                "imagecatalog; create from an InstanceId",
            )
        instance_id = _param(params, "InstanceId", str)
        if instance_id is None:
            raise _RefusalError(
                "InvalidParameter.SpecifyOneParameter",
                "give an InstanceId (SnapshotIds are not modelled)",
            )
        name = _param(params, "ImageName", str, required=True)
        description = _param(params, "ImageDescription", str, "")
        image = self._dry_run(
            params,
            lambda: self.service.create_image(
                caller, instance_id, name=name, description=description
            ),
        )
        return {"ImageId": image.id}

    def _import_image(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image = self._dry_run(
            params,
            lambda: self.service.import_image(
                caller,
                region,
                name=_param(params, "ImageName", str, required=True),
                image_url=_param(params, "ImageUrl", str, required=True),
                platform=_param(params, "OsType", str, required=True),
                os_version=_param(params, "OsVersion", str, required=True),
                architecture=_param(params, "Architecture", str, required=True),
                description=_param(params, "ImageDescription", str, ""),
                licence_type=_param(params, "LicenseType", str, "TencentCloud"),
                force=_param(params, "Force", bool, False),
            ),
        )
        return {"ImageId": image.id}

    def _sync_images(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_ids = _param(params, "ImageIds", list, required=True)
        destinations = _param(params, "DestinationRegions", list, required=True)
        if len(image_ids) != 1:
            raise _RefusalError(
                "InvalidParameterValue.LimitExceeded",
                f"SyncImages copies one image per call, not {len(image_ids)}",
            )
        name = _param(params, "ImageName", str)
        copies = self._dry_run(
            params, lambda: self.service.copy_image(caller, image_ids[0], destinations, name=name)
        )
        if not _param(params, "ImageSetRequired", bool, False):
            return {"ImageSet": []}
        return {"ImageSet": [{"ImageId": c.id, "Region": c.region.id} for c in copies]}

    def _modify_share_permission(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_id = _param(params, "ImageId", str, required=True)
        accounts = _param(params, "AccountIds", list, required=True)
        permission = _param(params, "Permission", str, required=True)
        if permission == "SHARE":
            self.service.share_image(caller, image_id, accounts)
        elif permission == "CANCEL":
            self.service.unshare_image(caller, image_id, accounts)
        else:
            raise _RefusalError(
                ErrorCode.INVALID_PARAMETER_VALUE,
                f"Permission must be SHARE or CANCEL, not {permission!r}",
            )
        return {}

    def _describe_share_permission(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_id = _param(params, "ImageId", str, required=True)
        permissions = self.service.share_permissions(caller, image_id)
        return {
            "SharePermissionSet": [
                {"CreatedTime": format_time(p.shared_at), "AccountId": p.account.id}
                for p in permissions
            ]
        }

    def _modify_image_attribute(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.service.modify_image(
            caller,
            _param(params, "ImageId", str, required=True),
            name=_param(params, "ImageName", str),
            description=_param(params, "ImageDescription", str),
        )
        return {}

    def _delete_images(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_ids = _param(params, "ImageIds", list, required=True)
        self._dry_run(params, lambda: self.service.delete_images(caller, image_ids))
        return {}

    def _describe_image_quota(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {"ImageNumQuota": self.service.image_quota(caller, region).limit}

    def _run_instances(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        image_id = _param(params, "ImageId", str, required=True)
        count = _param(params, "InstanceCount", int, 1)
        if not 1 <= count <= 100:
            raise _RefusalError(
                ErrorCode.INVALID_PARAMETER_VALUE,
                f"InstanceCount must be from 1 to 100, not {count}",
            )
        image = self.service.get_image(caller, image_id)
        if image.region != region:
            raise InvalidParameterError(
                f"image {image_id} is in {image.region.id}, not in {region.id}: launch it in "
                "its own region, or copy it here first",
                parameter="ImageId",
                value=image_id,
                code=ErrorCode.INVALID_IMAGE_ID_NOT_FOUND,
            )
        launched: list[str] = []

        def run() -> None:
            with self.service.repository.transaction():  # all the instances or none
                for _ in range(count):
                    launched.append(self.service.launch_instance(caller, image_id).id)

        self._dry_run(params, run)
        return {"InstanceIdSet": launched}

    def _describe_instances(
        self, caller: Account, region: Region, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        wanted = _param(params, "InstanceIds", list)
        if wanted is not None:
            instances = [self.service.get_instance(caller, instance_id) for instance_id in wanted]
        else:
            instances = [
                instance
                for instance in self.service.repository.instances()
                if instance.owner == caller
            ]
        here = [instance for instance in instances if instance.region == region]
        return {"TotalCount": len(here), "InstanceSet": [_instance(i) for i in here]}


def _instance(instance: Instance) -> dict[str, Any]:
    return {
        "InstanceId": instance.id,
        "Placement": {"Zone": f"{instance.region.id}-1"},
        "ImageId": instance.image_id,
        "OsName": instance.os_name,
        "InstanceState": "RUNNING",
        "CreatedTime": format_time(instance.launched_at),
        "LicenseType": instance.licence_type.value,
        "SystemDisk": {"DiskSize": instance.system_disk_gb},
    }


def mock_cvm(
    service: ImageService | None = None,
    *,
    account: Account | str = DEFAULT_ACCOUNT,
    credentials: Mapping[str, Account | str] | None = None,
    public_catalog: bool = True,
) -> MockCvm:
    """Answer every ``CvmClient`` with an :class:`~imagecatalog.ImageService`.

    A context manager (``with mock_cvm() as cvm:``) and a decorator
    (``@mock_cvm()``).  *service* defaults to a new service that starts with the
    built-in public catalog (``public_catalog=False``: empty).  Clients act as
    *account*, or as the account *credentials* maps their SecretId to; every
    account named is registered.  ``cvm.service`` is the service, for arranging
    state and asserting on it.
    """
    return MockCvm(service, account=account, credentials=credentials, public_catalog=public_catalog)
