"""A narrated walk through the catalog: ``python -m imagecatalog demo``.

Two accounts, public images, an instance, a custom image copied and shared,
and the rules that say no, each refusal printed with its error code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TextIO

from imagecatalog.clocks import stepping_clock
from imagecatalog.exceptions import ImageCatalogError
from imagecatalog.images import Architecture, ImageKind, ImagePage, OsType
from imagecatalog.pricing import launch_charges
from imagecatalog.service import ImageService

__all__ = ["demo_service", "run_demo"]

ALICE = "100000000001"
BOB = "100000000002"


def demo_service(seed: int = 2026) -> ImageService:
    """A service that starts from the built-in public catalog, with the
    accounts Alice (``100000000001``) and Bob (``100000000002``).

    IDs and times are the same on every run with the same *seed*.
    """
    service = ImageService(
        clock=stepping_clock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC), timedelta(minutes=1)),
        id_seed=seed,
        public_catalog=True,
    )
    service.register_account(ALICE)
    service.register_account(BOB)
    return service


def run_demo(seed: int = 2026, out: TextIO | None = None) -> None:
    """Print the walkthrough to *out* (standard output by default)."""

    def say(text: str = "") -> None:
        print(text, file=out)

    def refused(action: Callable[[], object]) -> None:
        try:
            action()
        except ImageCatalogError as error:
            say(f"  refused: {type(error).__name__} [{error.code}]")
            say(f"    {error.message}")
        else:  # pragma: no cover - the demo's refusals are the rules
            raise AssertionError("the catalog accepted what the rules forbid")

    def show(page: ImagePage) -> None:
        for image, kind in zip(page, page.kinds, strict=True):
            say(f"  {image.id}  {kind.value:<13}  {image.architecture.value:<6}  {image.name}")

    service = demo_service(seed)
    say("imagecatalog demo: Tencent Cloud CVM image rules, in memory")
    say(f"Alice is account {ALICE}, Bob is account {BOB}.")
    say("Limits: the provider's image-types page, 10 custom images per account per")
    say("region, 50 accounts per shared image.")

    say()
    say("1. Public images in ap-guangzhou for a 64-bit x86 Linux machine (built-in catalog)")
    page = service.describe_images(
        ALICE,
        "ap-guangzhou",
        kinds=[ImageKind.PUBLIC],
        os_type=OsType.LINUX,
        architecture=Architecture.X86_64,
    )
    show(page)
    everything = service.describe_images(ALICE, "ap-guangzhou", kinds=[ImageKind.PUBLIC])
    say(
        f"  ({page.total_count} of the region's {everything.total_count} public images match;"
        " ARM, 32-bit and Windows images are filtered out)"
    )
    windows = service.describe_images(ALICE, "ap-singapore", platform="Windows").items[0]
    fee = ", ".join(charge.item.value for charge in launch_charges(windows)) or "none"
    say(f"  public images are free; {windows.name} in ap-singapore adds: {fee}")

    say()
    say("2. Alice launches an instance from Ubuntu and makes a custom image of it")
    ubuntu = next(image for image in page.items if image.name.startswith("Ubuntu Server 22.04"))
    instance = service.launch_instance(ALICE, ubuntu.id)
    say(f"  instance {instance.id} runs {instance.os_name} in {instance.region.id}")
    golden = service.create_image(
        ALICE, instance.id, name="web-golden-2026-11", description="nginx + app, hardened"
    )
    say(
        f"  custom image {golden.id} {golden.name!r}: {golden.state.value},"
        f" {golden.size_gb} GiB, origin {golden.origin.value}"
    )
    quota = service.image_quota(ALICE, "ap-guangzhou")
    say(f"  Alice's quota in ap-guangzhou: {quota.used} of {quota.limit} used")

    say()
    say("3. Alice copies it to ap-singapore (free) and shares the Guangzhou one with Bob")
    (copy,) = service.copy_image(ALICE, golden.id, ["ap-singapore"])
    say(f"  copy {copy.id} in {copy.region.id}, copied from {copy.copied_from}")
    service.share_image(ALICE, golden.id, [BOB])
    for permission in service.share_permissions(ALICE, golden.id):
        say(f"  shared with {permission.account.id} at {permission.shared_at:%Y-%m-%d %H:%M}Z")

    say()
    say("4. What Bob sees: the shared image in ap-guangzhou only")
    for region in ("ap-guangzhou", "ap-singapore"):
        shared = service.describe_images(BOB, region, kinds=[ImageKind.SHARED])
        say(f"  {region}: {shared.total_count} shared image(s)")
        show(shared)
    bob_view = service.get_image(BOB, golden.id)
    say(
        f"  Bob's view of the image lists {len(bob_view.shared_with)} share, his own:"
        " who else it is shared with stays private"
    )

    say()
    say("5. Bob launches it: shared images are for launching")
    bob_instance = service.launch_instance(BOB, golden.id)
    say(f"  instance {bob_instance.id} runs {bob_instance.os_name} in {bob_instance.region.id}")

    say()
    say("6. Bob tries to rename it: launch only, so no")
    refused(lambda: service.modify_image(BOB, golden.id, name="bobs-golden"))

    say()
    say("7. Bob keeps a trust list without Alice: launching her image is refused")
    service.set_trusted_sharers(BOB, [])
    refused(lambda: service.launch_instance(BOB, golden.id))
    service.set_trusted_sharers(BOB, [ALICE])
    say(
        f"  with Alice on the list, it launches again: {service.launch_instance(BOB, golden.id).id}"
    )

    say()
    say("8. Alice fills her quota in ap-guangzhou; the 11th image is refused")
    for number in range(2, 11):
        service.create_image(ALICE, instance.id, name=f"web-build-{number:02d}")
    quota = service.image_quota(ALICE, "ap-guangzhou")
    say(f"  {quota.used} of {quota.limit} used")
    refused(lambda: service.create_image(ALICE, instance.id, name="web-build-11"))

    say()
    say("9. Alice deletes the image she still shares: cancel the shares first")
    refused(lambda: service.delete_images(ALICE, [golden.id]))
    service.unshare_image(ALICE, golden.id, [BOB])
    service.delete_images(ALICE, [golden.id])
    quota = service.image_quota(ALICE, "ap-guangzhou")
    say(f"  after unsharing it deletes; {quota.used} of {quota.limit} used")
    refused(lambda: service.get_image(BOB, golden.id))

    say()
    say("Every refusal above left the catalog exactly as it was.")
