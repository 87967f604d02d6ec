"""Regions: where images live.

Images are regional: an image exists in one region, is listed there, launches
instances there, and is shared with other accounts only there.
"""

from __future__ import annotations

import attrs

from imagecatalog._validation import require_str
from imagecatalog.exceptions import ErrorCode, InvalidParameterError

__all__ = ["Region"]


@attrs.frozen(kw_only=True, order=False)
class Region:
    """A provider region, such as ``ap-guangzhou``.

    Get one with :meth:`Region.of`; :meth:`Region.all` lists the known regions
    (the provider's regions).  ``mainland_china`` tells whether the region lies in mainland
    China; ``windows_licence_fee`` whether Windows public images carry a
    licence fee there (see :mod:`imagecatalog.pricing`).
    """

    id: str
    name: str = attrs.field(eq=False)
    mainland_china: bool = attrs.field(eq=False)
    #: Whether a Windows public image carries a licence fee here.  The provider says
    #: "in some regions outside mainland China" without naming them; by default
    #: every region outside mainland China.  Unverified against price lists.
    windows_licence_fee: bool = attrs.field(
        eq=False,
        default=attrs.Factory(lambda region: not region.mainland_china, takes_self=True),
    )

    @classmethod
    def of(cls, region: Region | str) -> Region:
        """Return the known region for a :class:`Region` or a region ID.

        >>> Region.of("ap-guangzhou").mainland_china
        True
        >>> Region.of("eu-frankfurt").mainland_china
        False

        An unknown ID raises :class:`~imagecatalog.InvalidParameterError` with
        code ``InvalidRegion.NotFound``.
        """
        if isinstance(region, Region):
            known = _BY_ID.get(region.id)
            if known is not None and known == region:
                return known
            region_id = region.id
        else:
            region_id = require_str(region, "region")
        found = _BY_ID.get(region_id)
        if found is None:
            raise InvalidParameterError(
                f"region {region_id!r} is not a known region; use one of {', '.join(_BY_ID)}",
                parameter="region",
                value=region,
                code=ErrorCode.INVALID_REGION_NOT_FOUND,
            )
        return found

    @classmethod
    def all(cls) -> tuple[Region, ...]:
        """Every known region, mainland China first."""
        return _ALL

    def __str__(self) -> str:
        return self.id


_ALL: tuple[Region, ...] = tuple(
    Region(id=region_id, name=name, mainland_china=mainland)
    for region_id, name, mainland in (
        ("ap-guangzhou", "South China (Guangzhou)", True),
        ("ap-shanghai", "East China (Shanghai)", True),
        ("ap-nanjing", "East China (Nanjing)", True),
        ("ap-beijing", "North China (Beijing)", True),
        ("ap-chengdu", "Southwest China (Chengdu)", True),
        ("ap-chongqing", "Southwest China (Chongqing)", True),
        ("ap-shanghai-fsi", "East China (Shanghai Finance)", True),
        ("ap-shenzhen-fsi", "South China (Shenzhen Finance)", True),
        ("ap-hongkong", "Hong Kong, Macao, Taiwan (Hong Kong, China)", False),
        ("ap-singapore", "Southeast Asia (Singapore)", False),
        ("ap-bangkok", "Southeast Asia (Bangkok)", False),
        ("ap-jakarta", "Southeast Asia (Jakarta)", False),
        ("ap-mumbai", "South Asia (Mumbai)", False),
        ("ap-seoul", "Northeast Asia (Seoul)", False),
        ("ap-tokyo", "Northeast Asia (Tokyo)", False),
        ("na-siliconvalley", "US West (Silicon Valley)", False),
        ("na-ashburn", "US East (Virginia)", False),
        ("na-toronto", "North America (Toronto)", False),
        ("eu-frankfurt", "Europe (Frankfurt)", False),
        ("sa-saopaulo", "South America (São Paulo)", False),
    )
)
_BY_ID: dict[str, Region] = {region.id: region for region in _ALL}
