"""Every code the fake answers is one the action documents, or the API's common
codes, or one of ours that docs/rules.md marks *(imagecatalog)*.

The documented lists are tencentcloud-sdk-go's client.go ("可能返回的错误码", each
action's block), kept with the API 3.0 common codes in the package's
data/error_codes.json (:mod:`imagecatalog.api_codes`).
Random requests (well-formed and not, of the action's own parameters) hit a
small catalog; each refusal's code must be in the action's list, and the
refused request must leave the catalog as it was.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagecatalog import ImageCatalogError, ImageService, Limits
from imagecatalog.api_codes import ACTION_CODES, COMMON_CODES
from imagecatalog.cvm import ACTION_PARAMETERS, CvmActions
from imagecatalog.testing import CatalogBuilder, catalog_state

COMMON = set(COMMON_CODES)
#: Ours, marked *(imagecatalog)* in docs/rules.md: a trust list is our own rule.
OURS = {"UnauthorizedOperation.UntrustedSharedImage"}
#: The SDK's codes for the tag service's rules, which CreateImage's and ImportImage's
#: lists lack (RunInstances lists them); docs/fidelity.md says why they are used.
TAG_CODES = {
    "FailedOperation.IllegalTagKey",
    "FailedOperation.IllegalTagValue",
    "FailedOperation.TagKeyReserved",
    "InvalidParameterValue.DuplicateTags",
    "InvalidParameterValue.TagQuotaLimitExceeded",
}

ALICE, BOB = "100000000001", "100000000002"
WEB, DB = "web-golden", "db-primary"


def catalog() -> tuple[ImageService, dict[str, str]]:
    builder = (
        CatalogBuilder(limits=Limits.newest(), strict_accounts=False)  # as mock_cvm
        .accounts(ALICE, BOB)
        .custom_image(ALICE, "ap-guangzhou", WEB, shared_with=[BOB])
        .custom_image(ALICE, "ap-guangzhou", DB)
        .custom_image(BOB, "ap-guangzhou", "bobs")
    )
    service = builder.build()
    public = service.describe_images(ALICE, "ap-guangzhou", kinds=["PUBLIC_IMAGE"])[0]
    ids = {
        "web": builder.image(WEB).id,
        "db": builder.image(DB).id,
        "bobs": builder.image("bobs").id,
        "public": public.id,
        "instance": service.describe_instances(ALICE).items[0].id,
    }
    return service, ids


SERVICE, IDS = catalog()
STATE = catalog_state(SERVICE)

TEXT = st.sampled_from(
    ["", "web-golden", "x" * 61, "img-00000000", "img-XYZ", "ap-guangzhou", "ap-tokyo",
     "ap-nowhere", "SHARE", "CANCEL", "true", "True", "maybe", "100000000002", "abc",
     "CentOS", "7", "x86_64", "arm_64", "UEFI", "Legacy BIOS", "BYOL", "daily-update",
     "daily update", "SA5.MEDIUM2"]
)  # fmt: skip
IDENTIFIERS = st.sampled_from(sorted(IDS.values()))
SCALARS = st.one_of(TEXT, IDENTIFIERS, st.integers(-2, 600), st.booleans(), st.none())
VALUES = st.one_of(
    SCALARS,
    st.lists(st.one_of(TEXT, IDENTIFIERS), max_size=3),
    st.just([{"Name": "image-name", "Values": ["web"]}]),
    st.just([{"Name": "tag:env", "Values": ["prod"]}]),
    st.just([{"Name": "zone", "Values": ["ap-guangzhou-1"]}]),
    st.just([{"ResourceType": "image", "Tags": [{"Key": "env", "Value": "prod"}]}]),
    st.just([{"ResourceType": "image", "Tags": [{"Key": "qcs:x", "Value": "1"}]}]),
    st.just({"Zone": "ap-guangzhou-2"}),
    st.just({"Zone": "ap-shanghai-1"}),
)


BOOLEANS = {"DryRun", "Force", "ImageSetRequired", "Encrypt", "ImageDeprecated", "DeleteBindedSnap"}
INTEGERS = {"Offset", "Limit", "InstanceCount"}
FILTERS = st.sampled_from(
    [
        [{"Name": "image-name", "Values": ["web"]}],
        [
            {"Name": "tag:env", "Values": ["prod"]},
            {"Name": "image-type", "Values": ["PRIVATE_IMAGE"]},
        ],
        [{"Name": "zone", "Values": ["ap-guangzhou-1"]}],
        [{"Name": "instance-id", "Values": ["ins-00000000"]}],
        [{"Name": "vpc-id", "Values": ["vpc-1"]}],
        [{"Name": "image-id", "Values": ["img-bad"]}],
    ]
)
SPECIFICATIONS = st.sampled_from(
    [
        [{"ResourceType": "image", "Tags": [{"Key": "env", "Value": "prod"}]}],
        [{"ResourceType": "image", "Tags": [{"Key": "qcs:x", "Value": "1"}]}],
        [{"ResourceType": "instance", "Tags": [{"Key": "env", "Value": "prod"}]}],
        [
            {
                "ResourceType": "image",
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
            }
        ],
    ]
)
PLACEMENTS = st.sampled_from([{"Zone": "ap-guangzhou-2"}, {"Zone": "ap-shanghai-1"}, {}])


#: What each action needs to reach its rules.
REQUIRED = {
    "CreateImage": ("InstanceId", "ImageName"),
    "ImportImage": ("ImageName", "ImageUrl", "OsType", "OsVersion", "Architecture"),
    "SyncImages": ("ImageIds", "DestinationRegions"),
    "ModifyImageSharePermission": ("ImageId", "AccountIds", "Permission"),
    "DescribeImageSharePermission": ("ImageId",),
    "ModifyImageAttribute": ("ImageId",),
    "DeleteImages": ("ImageIds",),
    "RunInstances": ("ImageId", "Placement"),
    "DescribeImageFromFamily": ("ImageFamily",),
}


def typed(name: str) -> st.SearchStrategy[Any]:
    """A value of the API's type for *name*, good or bad."""
    if name in ("ImageId", "InstanceId"):
        return IDENTIFIERS
    if name in ("ImageIds", "InstanceIds"):
        return st.lists(IDENTIFIERS, min_size=1, max_size=2)
    if name in ("AccountIds", "DestinationRegions"):
        items = st.sampled_from([ALICE, BOB, "100000000077", "ap-guangzhou", "ap-tokyo", "x"])
        return st.lists(items, max_size=2)
    if name in ("DataDiskIds", "SnapshotIds", "ImportImageDataDiskList"):
        return st.lists(st.just("disk-12345678"), max_size=1)
    if name in BOOLEANS:
        return st.booleans()
    if name in INTEGERS:
        return st.integers(-1, 600)
    if name == "Filters":
        return FILTERS
    if name == "TagSpecification":
        return SPECIFICATIONS
    if name == "Placement":
        return PLACEMENTS
    if name == "ImageUrl":
        return st.sampled_from(["https://b-1.cos.ap-guangzhou.myqcloud.com/a.qcow2", "ftp://x"])
    if name == "Permission":
        return st.sampled_from(["SHARE", "CANCEL", "share"])
    return TEXT


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, Any], str, str]:
    action = draw(st.sampled_from(sorted(ACTION_PARAMETERS)))
    names = sorted(ACTION_PARAMETERS[action])
    chosen = draw(st.lists(st.sampled_from(names), max_size=4, unique=True)) if names else []
    for name in REQUIRED.get(action, ()):  # usually all of them: the deep rules need them
        if name not in chosen and draw(st.integers(0, 9)) != 7:
            chosen.append(name)
    if draw(st.integers(0, 19)) == 7:
        chosen.append("NotAParameter")
    # mostly a value of the right type for each parameter, now and then anything
    params = {
        name: draw(VALUES) if draw(st.integers(0, 9)) == 7 else draw(typed(name)) for name in chosen
    }
    caller = draw(st.sampled_from([ALICE, BOB, "100000000077"]))
    region = draw(st.sampled_from(["ap-guangzhou", "ap-guangzhou", "ap-tokyo"]))
    return action, params, caller, region


@settings(
    max_examples=1500,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
    derandomize=True,  # the same requests on every run; explored further by hand
)
@given(requests())
def test_every_refusal_carries_a_documented_code(
    request: tuple[str, dict[str, Any], str, str],
) -> None:
    action, params, caller, region = request
    actions = CvmActions(SERVICE)
    refused: ImageCatalogError | None = None
    with SERVICE.unit_of_work() as work:  # each example starts from the same catalog
        try:
            actions.handle(action, params, caller=caller, region=region)
        except ImageCatalogError as error:
            refused = error
            unchanged = catalog_state(SERVICE) == STATE
        work.rollback()
    if refused is not None:
        allowed = set(ACTION_CODES[action]) | COMMON | OURS | TAG_CODES
        assert refused.code in allowed, (action, params, refused.code, refused.message)
        assert unchanged, "a refused request changed the catalog"
