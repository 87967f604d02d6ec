"""A naive reference model of the catalog, for the stateful tests.

Written from the provider's rules alone, as plainly as possible: dictionaries,
lists and loops, no indexes, no code shared with the service.  The catalog
machine (:mod:`imagecatalog.testing.machine`) asks it for a verdict before each
call: :class:`Refused` with the code the call must fail with, or what the call
must return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ACCOUNTS",
    "ARCHITECTURES",
    "IMPORTS",
    "IN_PROGRESS",
    "KIND_ORDER",
    "QUOTA",
    "REGIONS",
    "SHARE_LIMIT",
    "STRANGER",
    "Model",
    "ModelImage",
    "Refused",
]

ACCOUNTS = ("100000000001", "100000000002", "100000000003", "100000000004")
STRANGER = "100000000099"  # well formed, never registered
REGIONS = ("ap-guangzhou", "ap-singapore", "eu-frankfurt")

#: The machine's small limits, so that it reaches them quickly.
QUOTA = 2
SHARE_LIMIT = 2
IN_PROGRESS = {"CREATING", "SYNCING", "IMPORTING"}
KIND_ORDER = {"PUBLIC_IMAGE": 0, "PRIVATE_IMAGE": 1, "SHARED_IMAGE": 2}

#: What the machine imports: (ImportImage's platform, the image's platform, OS type).
IMPORTS = (
    ("Ubuntu", "Ubuntu", "Linux"),
    ("CentOS", "CentOS", "Linux"),
    ("Windows Server 2016", "Windows", "Windows"),
)
#: ImportImage's architectures, and how the image reads them back.
ARCHITECTURES = {"x86_64": "x86_64", "arm_64": "arm", "i386": "i386"}


class Refused(Exception):  # noqa: N818 - a verdict, not an error
    """The model's verdict: the call must fail with this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ModelImage:
    owner: str | None
    region: str
    name: str
    state: str
    byol: bool
    sequence: int
    platform: str = "Ubuntu"
    os_type: str = "Linux"
    architecture: str = "x86_64"
    shares: list[str] = field(default_factory=list)
    family: str | None = None
    deprecated: bool = False
    #: The image this one was copied from (None: not a copy).
    copied_from: str | None = None


class Model:
    """What the provider's rules say the catalog holds, kept as plainly as possible."""

    def __init__(self) -> None:
        self.accounts = set(ACCOUNTS)
        self.images: dict[str, ModelImage] = {}
        #: instance ID -> (owner, region, byol, platform, OS type, architecture)
        self.instances: dict[str, tuple[str, str, bool, str, str, str]] = {}
        self.trust: dict[str, set[str] | None] = dict.fromkeys(ACCOUNTS)
        self.sequence = 0
        #: The newest profile's rule: a receiver may copy a shared image into its region.
        self.receivers_may_copy = False
        #: Every well-formed account exists (the live API's view), not only registered ones.
        self.open_accounts = False

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def kind(self, viewer: str, image_id: str) -> str | None:
        image = self.images.get(image_id)
        if image is None:
            return None
        if image.owner is None:
            return "PUBLIC_IMAGE"
        if image.owner == viewer:
            return "PRIVATE_IMAGE"
        if viewer in image.shares:
            return "SHARED_IMAGE"
        return None

    def caller(self, account: str) -> None:
        if account not in self.accounts and not self.open_accounts:
            raise Refused("InvalidAccountId.NotFound")

    def visible(self, viewer: str, image_id: str) -> tuple[ModelImage, str]:
        kind = self.kind(viewer, image_id)
        if kind is None:
            raise Refused("InvalidImageId.NotFound")
        return self.images[image_id], kind

    def owned(self, viewer: str, image_id: str, public_code: str, shared_code: str) -> ModelImage:
        image, kind = self.visible(viewer, image_id)
        if kind == "PUBLIC_IMAGE":
            raise Refused(public_code)
        if kind == "SHARED_IMAGE":
            raise Refused(shared_code)
        return image

    def room(self, owner: str, region: str, name: str) -> None:
        mine = [i for i in self.images.values() if i.owner == owner and i.region == region]
        if any(image.name == name for image in mine):
            raise Refused("InvalidImageName.Duplicate")
        if len(mine) >= QUOTA:
            raise Refused("ImageQuotaLimitExceeded")

    def listing(
        self,
        viewer: str,
        region: str,
        *,
        kinds: list[str] | None = None,
        ids: list[str] | None = None,
        names: list[str] | None = None,
        platforms: list[str] | None = None,
        os_types: list[str] | None = None,
        architectures: list[str] | None = None,
    ) -> list[str]:
        """The IDs DescribeImages lists for *viewer* in *region*, in listing order."""
        seen = []
        for image_id, image in self.images.items():
            kind = self.kind(viewer, image_id)
            if image.region != region or kind is None:
                continue
            if kinds is not None and kind not in kinds:
                continue
            if ids is not None and image_id not in ids:
                continue
            if names is not None and not any(n.lower() in image.name.lower() for n in names):
                continue
            if platforms is not None and not any(
                p.lower() in image.platform.lower() for p in platforms
            ):
                continue
            if os_types is not None and image.os_type not in os_types:
                continue
            if architectures is not None and image.architecture not in architectures:
                continue
            seen.append((KIND_ORDER[kind], image.sequence, image_id))
        return [image_id for _, _, image_id in sorted(seen)]

    def running_copies(self, image_id: str) -> list[str]:
        """The copies of *image_id* its owner is making, still SYNCING: while
        there are any, the source shows SYNCING too."""
        owner = self.images[image_id].owner if image_id in self.images else None
        return [
            key
            for key, image in self.images.items()
            if image.copied_from == image_id and image.state == "SYNCING" and image.owner == owner
        ]

    def copy_ended(self, source_id: str | None) -> None:
        """A copy of *source_id* ended: the source is NORMAL again once none runs."""
        if source_id is None or source_id not in self.images:
            return
        source = self.images[source_id]
        if source.state == "SYNCING" and not self.running_copies(source_id):
            source.state = "NORMAL"

    def newest_in_family(self, viewer: str, region: str, family: str) -> str | None:
        """DescribeImageFromFamily: of the images *viewer* may launch in *region*
        (shared ones only from owners it trusts, if it keeps a trust list), the
        one of *family* created last that is NORMAL and not deprecated."""
        best: tuple[int, str] | None = None
        for image_id, image in self.images.items():
            if (
                image.region == region
                and self.kind(viewer, image_id) is not None
                and image.family == family
                and (
                    self.kind(viewer, image_id) != "SHARED_IMAGE"
                    or self.trust.get(viewer) is None
                    or image.owner in (self.trust.get(viewer) or ())
                )
                and image.state == "NORMAL"
                and not image.deprecated
                and (best is None or image.sequence > best[0])
            ):
                best = (image.sequence, image_id)
        return None if best is None else best[1]

    def snapshot(self) -> tuple[object, ...]:
        """Everything the model holds, to restore after an undone block."""
        return (
            set(self.accounts),
            {
                key: ModelImage(**{**vars(image), "shares": list(image.shares)})
                for key, image in self.images.items()
            },
            dict(self.instances),
            {key: None if value is None else set(value) for key, value in self.trust.items()},
            self.sequence,
        )

    def restore(self, state: tuple[object, ...]) -> None:
        """Go back to what :meth:`snapshot` recorded (the sequence goes on)."""
        accounts, images, instances, trust, _ = state
        self.accounts = accounts  # type: ignore[assignment]
        self.images = images  # type: ignore[assignment]
        self.instances = instances  # type: ignore[assignment]
        self.trust = trust  # type: ignore[assignment]
