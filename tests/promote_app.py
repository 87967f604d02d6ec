"""A small application written only against the official Tencent Cloud SDK.

It promotes a golden image: copies it to other regions, shares it (and the
copies) with the accounts that deploy it, and deletes the older images of the
same family beyond the newest few, cancelling their shares first.  The tests
run it unmodified under :func:`imagecatalog.tencentcloud.mock_cvm`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cvm.v20170312 import cvm_client, models


class PromotionError(Exception):
    """The promotion could not finish; the message says why, for an operator."""


@dataclass
class Promotion:
    copies: dict[str, str] = field(default_factory=dict)  # region -> image ID
    deleted: list[str] = field(default_factory=list)


def _client(secret_id: str, region: str) -> cvm_client.CvmClient:
    return cvm_client.CvmClient(credential.Credential(secret_id, "secret"), region)


def promote(
    secret_id: str,
    region: str,
    image_id: str,
    *,
    regions: list[str],
    accounts: list[str],
    keep: int = 2,
) -> Promotion:
    result = Promotion()
    home = _client(secret_id, region)
    try:
        sync = models.SyncImagesRequest()
        sync.ImageIds = [image_id]
        sync.DestinationRegions = regions
        sync.ImageSetRequired = True
        for copy in home.SyncImages(sync).ImageSet:
            result.copies[copy.Region] = copy.ImageId
        for where, target in [(region, image_id), *result.copies.items()]:
            share = models.ModifyImageSharePermissionRequest()
            share.ImageId, share.AccountIds, share.Permission = target, accounts, "SHARE"
            _client(secret_id, where).ModifyImageSharePermission(share)
    except TencentCloudSDKException as error:
        if error.code == "ImageQuotaLimitExceeded":
            raise PromotionError(f"image quota full: {error.message}") from error
        if error.code == "OverQuota":
            raise PromotionError(f"too many accounts for one image: {error.message}") from error
        raise
    result.deleted = _clean_up(home, image_id, keep)
    return result


def _clean_up(client: cvm_client.CvmClient, image_id: str, keep: int) -> list[str]:
    """Delete the family's images beyond the newest *keep*, cancelling shares first."""
    described = models.DescribeImagesRequest()
    described.ImageIds = [image_id]
    family = client.DescribeImages(described).ImageSet[0].ImageName.rsplit("-", 1)[0]
    listing = models.DescribeImagesRequest()
    type_filter, name_filter = models.Filter(), models.Filter()
    type_filter.Name, type_filter.Values = "image-type", ["PRIVATE_IMAGE"]
    name_filter.Name, name_filter.Values = "image-name", [family]
    listing.Filters, listing.Limit = [type_filter, name_filter], 100
    images = sorted(client.DescribeImages(listing).ImageSet, key=lambda i: i.CreatedTime)
    old = [image.ImageId for image in images[:-keep] if image.ImageId != image_id]
    for old_id in old:
        delete = models.DeleteImagesRequest()
        delete.ImageIds = [old_id]
        try:
            client.DeleteImages(delete)
        except TencentCloudSDKException as error:
            if error.code != "InvalidImageId.InShared":  # in use by other accounts
                raise
            shares = models.DescribeImageSharePermissionRequest()
            shares.ImageId = old_id
            accounts = [
                p.AccountId for p in client.DescribeImageSharePermission(shares).SharePermissionSet
            ]
            cancel = models.ModifyImageSharePermissionRequest()
            cancel.ImageId, cancel.AccountIds, cancel.Permission = old_id, accounts, "CANCEL"
            client.ModifyImageSharePermission(cancel)
            client.DeleteImages(delete)
    return old
