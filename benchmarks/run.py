"""Run every benchmark and write docs/benchmarks.md.

``nox -s bench`` runs this; ``python -m benchmarks.run --quick`` runs small
sizes only (for a smoke test), printing instead of writing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks import moto_compare, scaling, sdk_fake, sql_ops, versus_0_1_0

TARGET = Path(__file__).parent.parent / "docs" / "benchmarks.md"

HEADER = """\
# Benchmarks

Written by `nox -s bench` (`python -m benchmarks.run`); numbers are from the machine named in
each section. Speed is measured here, never asserted in the test suite. The goals come from
the project's issue on scale: listing and quota costs must not grow with the catalog; under
1 KiB of memory per image at a million images; at least 100x faster than moto through boto3;
faster than moto's backend objects at listing the images shared with a grantee; within 5x of
plain dicts.

"""

NOTES = """\
## What the numbers say, and where the time goes

- **Scaling.** Every operation costs the same at a thousand images and at a million: the
  store keeps indexes per region, per (owner, region) and per (grantee, region), so no call
  scans the catalog, and a page of a listing reads only that page. Memory stays under
  1 KiB per image at a million images (resident memory of the whole process, indexes
  included).
- **moto through boto3** pays for HTTP-like request handling, XML and botocore on every
  call, so imagecatalog is two to three orders of magnitude faster on listings. On single
  writes the gap is smaller: imagecatalog checks every rule on each call (share limit,
  state, licence, trust, visibility) inside a unit of work with an undo journal, and its
  "delete" step is two calls (cancel the shares, then delete), because an image still
  shared cannot be deleted. Where the ratio is under 100x, that is the cost.
- **moto's backend objects** validate almost nothing and keep one list per region, so a
  single register or delete is cheap there; but every share and every listing scans all
  AMIs, so its share cost grows with N while ours does not, and listing the images shared
  with a grantee is faster here even through the paged API (100 per call).
- **The floor** (plain dicts, no rules) is the least Python can do. Our per-operation cost
  over the floor is the price of the rules and of immutable values: the floor registers an
  image in well under a microsecond; a checked, journalled, indexed register costs about
  15 µs. The 5x goal is not met for single writes; listings are closest.

## Profiling (pyinstrument), and what changed

Profiled with `python -m pyinstrument` on the imagecatalog side of the moto workload
(N = 2,000). Before and after, same script, same machine, µs per image (listings: per
complete listing):

| step | before | after |
|---|---|---|
| register | 20.5 | 14.3 |
| share (3 accounts) | 23.4 | 24.9 |
| list owner's (20 pages) | 11,638 | 1,432 |
| list grantee's (20 pages) | 24,414 | 855 |
| unshare + delete | 28.5 | 14.8 |

What the profile showed, and the change made:

1. `attrs.evolve` re-ran every validator on every internal change (a share, a state, a
   receiver's view): 40% of share and unshare. Changes whose values the rules have already
   checked now use an unchecked copy (`replace_checked_fields`).
2. `Operation.allowed_states` rebuilt a frozenset on every call: now computed once.
3. The control-character check walked names in Python: now one regular expression.
4. Every listing sorted the caller's whole visible set and built a view of each image.
   The indexes now stay in listing order (an index that receives an image out of order is
   sorted once, when next read), a page reads only its own range, and the store keeps each
   receiver's view of a shared image (made once, when shared), so listing copies nothing.
   Sharing pays for it (one view per receiver), which is why share did not get faster.
5. Smaller: `Account.of` caches values, the unit of work is a plain class instead of a
   generator context manager, ID drawing uses one `getrandbits` call.
"""


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    sections = [
        HEADER,
        scaling.report([1000, 5000] if quick else [10**3, 10**4, 10**5, 10**6]),
        moto_compare.report([200] if quick else [1000, 4000]),
        sdk_fake.report(),
        sql_ops.report(),
        *([] if quick else [versus_0_1_0.report()]),
        NOTES,
    ]
    text = "\n".join(sections)
    if quick:
        print(text)
    else:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
