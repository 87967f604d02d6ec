"""Where an SDK call's time goes under ``mock_cvm``: the fake, against the SDK's own work.

An official-SDK ``DescribeImages`` of 20 images, answered by the fake, split into the
fake's answer (``MockCvm.answer``: parse, the service, render the JSON body), the SDK's
parsing of that same body (``json.loads`` and the response model), and the rest of the
SDK's call.  The goal: the fake at most a quarter of the call.

Run: ``python -m benchmarks.sdk_fake``; prints a Markdown section.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from tencentcloud.common import credential
from tencentcloud.cvm.v20170312 import cvm_client, models

from benchmarks._common import machine, table
from imagecatalog.tencentcloud import mock_cvm

CALLS = 300
ROUNDS = 7


def best_us(action: Callable[[], object]) -> float:
    """The best of several rounds of *action*, in µs per call (least disturbed by the
    rest of the machine)."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            action()
        rounds.append((time.perf_counter() - start) / CALLS * 1e6)
    return min(rounds)


def measure() -> dict[str, float]:
    with mock_cvm() as cvm:
        client = cvm_client.CvmClient(credential.Credential("id", "key"), "ap-guangzhou")
        request = models.DescribeImagesRequest()
        request.Limit = 20
        params = json.loads(request.to_json_string())
        body = cvm.answer(client, "DescribeImages", params)

        def parse() -> None:
            model = models.DescribeImagesResponse()
            model._deserialize(json.loads(body)["Response"])

        return {
            "whole SDK call": best_us(lambda: client.DescribeImages(request)),
            "the fake (MockCvm.answer)": best_us(
                lambda: cvm.answer(client, "DescribeImages", params)
            ),
            "the SDK parsing the same body": best_us(parse),
            "ImageService.describe_images alone": best_us(
                lambda: cvm.service.describe_images(cvm.account, "ap-guangzhou", limit=20)
            ),
        }


def report() -> str:
    times = measure()
    whole = times["whole SDK call"]
    rows = [[step, f"{us:,.0f}", f"{us / whole:.0%}"] for step, us in times.items()]
    return "\n".join(
        [
            "## The SDK fake: how much of a call is the fake",
            "",
            f"Machine: {machine()}.",
            "",
            "Command: `nox -s bench` (runs `python -m benchmarks.sdk_fake`). An official-SDK "
            "`DescribeImages` of 20 images (the built-in public catalog), under `mock_cvm()`; "
            f"best of {ROUNDS} rounds of {CALLS} calls. The fake's answer includes rendering "
            "the JSON body; each image's JSON is made once and kept (an image is an immutable "
            "value), so repeated listings join rendered pieces. Goal: the fake at most 25% "
            "of the whole call.",
            "",
            table(["step", "µs per call", "share of the whole call"], rows),
            "",
        ]
    )


if __name__ == "__main__":
    print(report())
