"""Accounts as the live API sees them: every well-formed account ID exists.

Grounding: ModifyImageSharePermission's AccountIds docstring (models.py) asks
for "接收分享镜像的账号Id列表" (the receiving accounts' root account IDs), which
the live API resolves against every account it knows; terraform's
``tencentcloud_image`` (``account_ids``) and packer's ``image_share_accounts``
pass the user's IDs straight through, with nothing registered first.
"""

from __future__ import annotations

import pytest

from imagecatalog import (
    AccountNotFoundError,
    ImageNotFoundError,
    ImageService,
    InvalidParameterError,
)
from imagecatalog.tencentcloud import MockCvm, mock_cvm
from tests.sdk import SECRET_IDS, call, golden, refused

STRANGER = "100000098765"  # a real-looking account ID nobody registered


def test_any_well_formed_account_receives_a_share(cvm: MockCvm) -> None:
    image_id = golden()
    call("ModifyImageSharePermission", ImageId=image_id, AccountIds=[STRANGER], Permission="SHARE")
    shares = call("DescribeImageSharePermission", ImageId=image_id).SharePermissionSet
    assert [share.AccountId for share in shares] == [STRANGER]
    # the receiver now exists in the catalog, and sees the image in its region
    assert STRANGER in {profile.id for profile in cvm.service.contents().accounts}
    seen = cvm.service.describe_images(STRANGER, "ap-guangzhou", image_ids=[image_id])
    assert [image.id for image in seen] == [image_id]


def test_a_malformed_account_is_still_refused(cvm: MockCvm) -> None:
    """ "无效的账户Id" (InvalidAccountId.NotFound, errorcodes.py) is the code the
    action documents for an account ID it cannot use."""
    image_id = golden()
    before = cvm.service.contents()
    refused(
        "InvalidAccountId.NotFound",
        lambda: call(
            "ModifyImageSharePermission",
            ImageId=image_id,
            AccountIds=["not-an-account"],
            Permission="SHARE",
        ),
    )
    assert cvm.service.contents() == before


def test_strict_accounts_is_one_keyword_away() -> None:
    with mock_cvm(credentials=SECRET_IDS, strict_accounts=True) as cvm:
        assert cvm.service.strict_accounts
        image_id = golden()
        refused(
            "InvalidAccountId.NotFound",
            lambda: call(
                "ModifyImageSharePermission",
                ImageId=image_id,
                AccountIds=[STRANGER],
                Permission="SHARE",
            ),
        )
    with pytest.raises(InvalidParameterError, match="a service or strict_accounts"):
        mock_cvm(ImageService(), strict_accounts=False)


def test_open_accounts_in_the_service() -> None:
    """``ImageService(strict_accounts=False)``: reads by an unknown account see a
    new account's view and write nothing; a refused write registers nobody."""
    service = ImageService(strict_accounts=False, public_catalog=True)
    assert service.describe_images(STRANGER, "ap-guangzhou").total_count > 0
    assert service.image_quota(STRANGER, "ap-guangzhou").used == 0
    assert service.trusted_sharers(STRANGER) is None
    assert service.contents().accounts == ()
    with pytest.raises(ImageNotFoundError):
        service.launch_instance(STRANGER, "img-00000000")
    assert service.contents().accounts == ()
    public = service.describe_images(STRANGER, "ap-guangzhou", name="Ubuntu").items[0]
    instance = service.launch_instance(STRANGER, public)
    assert [profile.id for profile in service.contents().accounts] == [STRANGER]
    assert instance.owner.id == STRANGER
    strict = ImageService()
    with pytest.raises(AccountNotFoundError):
        strict.describe_images(STRANGER, "ap-guangzhou")
