"""An image pipeline written only against the official Tencent Cloud SDK, the way
packer's and terraform's image code calls the CVM API.

One build: find the source image by name (packer's step_check_source_image),
launch a builder instance with a Placement and wait until DescribeInstances
shows it (``WaitForInstance``: an empty set means "not there yet"), image it
with ``ForcePoweroff``/``Sysprep`` as packer sends them, tags and an image
family (step_create_image), poll a name filter until the image is NORMAL
(``WaitForImageReady``), copy it to other regions and poll there
(step_copy_image), share it (step_share_image), then rotate the family: the
image DescribeImageFromFamily answered before the build is deprecated, as
terraform's data source and image resource would see it.  Cleanup (packer's
steps' Cleanup, terraform's destroy): cancel the shares of the whole configured
account list, then delete the image and its copies.

Nothing here knows it runs against a fake.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import cvm_client, models

_T = TypeVar("_T")


class BuildError(Exception):
    """The build failed; the message says why."""


@dataclass(frozen=True)
class Config:
    """What a packer template or terraform configuration would say."""

    secret_id: str
    region: str
    zone: str
    source_image_name: str
    image_name: str
    family: str
    copy_regions: list[str]
    share_accounts: list[str]
    tags: dict[str, str] = field(default_factory=dict)
    #: Seconds between polls; a fake answers at once, so tests use 0.
    poll_interval: float = 5.0
    poll_attempts: int = 60


@dataclass
class Build:
    image_id: str
    copies: dict[str, str]
    previous: str | None


def _client(config: Config, region: str | None = None) -> cvm_client.CvmClient:
    return cvm_client.CvmClient(
        credential.Credential(config.secret_id, "secret"), region or config.region
    )


def _filter(name: str, *values: str) -> models.Filter:
    made = models.Filter()
    made.Name, made.Values = name, list(values)
    return made


def _wait(config: Config, check: Callable[[], _T | None], what: str) -> _T:
    """Poll *check* until it answers, as packer's waiters do."""
    for _ in range(config.poll_attempts):
        found = check()
        if found is not None:
            return found
        time.sleep(config.poll_interval)
    raise BuildError(f"timed out waiting for {what}")


def _image_by_name(config: Config, region: str, name: str) -> Any | None:
    request = models.DescribeImagesRequest()
    request.Filters = [_filter("image-name", name), _filter("image-type", "PRIVATE_IMAGE")]
    for image in _client(config, region).DescribeImages(request).ImageSet:
        if image.ImageName == name:
            return image
    return None


def _wait_image_ready(config: Config, region: str, name: str) -> str:
    def ready() -> str | None:
        image = _image_by_name(config, region, name)
        if image is None or image.ImageState != "NORMAL":
            if image is not None and image.ImageState.endswith("FAILED"):
                raise BuildError(f"image {image.ImageId} is {image.ImageState}")
            return None
        return str(image.ImageId)

    return _wait(config, ready, f"image {name} in {region}")


def build(config: Config) -> Build:
    """Run one build; on failure, clean up what it made and raise :class:`BuildError`."""
    client = _client(config)
    made: dict[str, str] = {}
    try:
        family = models.DescribeImageFromFamilyRequest()
        family.ImageFamily = config.family
        previous = client.DescribeImageFromFamily(family).Image

        source = models.DescribeImagesRequest()
        source.Filters = [
            _filter("image-name", config.source_image_name),
            _filter("image-type", "PUBLIC_IMAGE"),
        ]
        sources = client.DescribeImages(source).ImageSet
        if not sources:
            raise BuildError(f"no public image named {config.source_image_name}")

        run = models.RunInstancesRequest()
        run.ImageId = sources[0].ImageId
        run.Placement = models.Placement()
        run.Placement.Zone = config.zone
        run.InstanceType = "S5.MEDIUM4"
        run.InstanceChargeType = "POSTPAID_BY_HOUR"
        run.InstanceName = "packer-builder"
        [instance_id] = client.RunInstances(run).InstanceIdSet

        def instance_running() -> str | None:
            described = models.DescribeInstancesRequest()
            described.InstanceIds = [instance_id]
            answer = client.DescribeInstances(described)
            if answer.TotalCount == 0:
                return None
            state = answer.InstanceSet[0].InstanceState
            return str(state) if state == "RUNNING" else None

        _wait(config, instance_running, f"instance {instance_id}")

        create = models.CreateImageRequest()
        create.InstanceId = instance_id
        create.ImageName = config.image_name
        create.ForcePoweroff = "True"
        create.Sysprep = "False"
        create.ImageFamily = config.family
        if config.tags:
            spec = models.TagSpecification()
            spec.ResourceType = "image"
            spec.Tags = []
            for key, value in config.tags.items():
                tag = models.Tag()
                tag.Key, tag.Value = key, value
                spec.Tags.append(tag)
            create.TagSpecification = [spec]
        client.CreateImage(create)
        image_id = _wait_image_ready(config, config.region, config.image_name)
        made[config.region] = image_id

        if config.copy_regions:
            sync = models.SyncImagesRequest()
            sync.ImageIds = [image_id]
            sync.DestinationRegions = list(config.copy_regions)
            client.SyncImages(sync)
            for region in config.copy_regions:
                made[region] = _wait_image_ready(config, region, config.image_name)

        if config.share_accounts:
            for region, copy_id in made.items():
                share = models.ModifyImageSharePermissionRequest()
                share.ImageId = copy_id
                share.AccountIds = list(config.share_accounts)
                share.Permission = "SHARE"
                _client(config, region).ModifyImageSharePermission(share)

        if previous is not None and previous.ImageId != image_id:
            deprecate = models.ModifyImageAttributeRequest()
            deprecate.ImageId = previous.ImageId
            deprecate.ImageDeprecated = True
            client.ModifyImageAttribute(deprecate)
        return Build(
            image_id=image_id,
            copies={r: i for r, i in made.items() if r != config.region},
            previous=None if previous is None else str(previous.ImageId),
        )
    except TencentCloudSDKException as error:
        cleanup(config, made)
        raise BuildError(f"{error.code}: {error.message}") from None


def cleanup(config: Config, images: dict[str, str]) -> list[str]:
    """Cancel the shares of the whole configured list, then delete the images
    (region -> image ID); as packer's Cleanup, failures are reported, not raised."""
    problems = []
    for region, image_id in images.items():
        client = _client(config, region)
        try:
            if config.share_accounts:
                cancel = models.ModifyImageSharePermissionRequest()
                cancel.ImageId = image_id
                cancel.AccountIds = list(config.share_accounts)
                cancel.Permission = "CANCEL"
                client.ModifyImageSharePermission(cancel)
            delete = models.DeleteImagesRequest()
            delete.ImageIds = [image_id]
            client.DeleteImages(delete)
        except TencentCloudSDKException as error:
            problems.append(f"{image_id} in {region}: {error.code}")
    return problems


def images_of(config: Config, build_: Build) -> dict[str, str]:
    """Every image a build made, by region."""
    return {config.region: build_.image_id, **build_.copies}
