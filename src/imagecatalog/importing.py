"""What ImportImage accepts: operating systems, file formats and URLs."""

from __future__ import annotations

import enum
import re
from typing import Any
from urllib.parse import urlsplit

from imagecatalog._deprecation import deprecated
from imagecatalog._validation import require_str
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import OsType

__all__ = [
    "IMAGE_FILE_EXTENSIONS",
    "IMPORTABLE_PLATFORMS",
    "check_image_url",
    "check_os_version",
    "importable_platform",
]

#: The platforms ImportImage accepts (the provider's DescribeImportImageOs list)
#: and the OS type each implies.
IMPORTABLE_PLATFORMS: dict[str, OsType] = {
    "CentOS": OsType.LINUX,
    "Ubuntu": OsType.LINUX,
    "Debian": OsType.LINUX,
    "OpenSUSE": OsType.LINUX,
    "SUSE": OsType.LINUX,
    "CoreOS": OsType.LINUX,
    "FreeBSD": OsType.LINUX,
    "Other Linux": OsType.LINUX,
    "Windows Server 2008": OsType.WINDOWS,
    "Windows Server 2012": OsType.WINDOWS,
    "Windows Server 2016": OsType.WINDOWS,
}

_OS_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._ -]{0,31}")


#: The extensions of the disk-image files ImportImage reads (iso only when forced).
IMAGE_FILE_EXTENSIONS = frozenset({"raw", "vhd", "qcow2", "vmdk", "iso"})


class _ImageFormat(enum.Enum):
    """Deprecated: the formats of :data:`IMAGE_FILE_EXTENSIONS` (nothing kept them)."""

    RAW = "raw"
    VHD = "vhd"
    QCOW2 = "qcow2"
    VMDK = "vmdk"
    ISO = "iso"


def __getattr__(name: str) -> Any:
    if name == "ImageFormat":
        deprecated(
            "imagecatalog.importing.ImageFormat",
            "check_image_url returns the URL it checked; the extensions are IMAGE_FILE_EXTENSIONS",
        )
        return _ImageFormat
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def importable_platform(value: object) -> tuple[str, OsType]:
    """The image platform and OS type for an importable platform name."""
    name = require_str(value, "platform")
    os_type = IMPORTABLE_PLATFORMS.get(name)
    if os_type is None:
        raise InvalidParameterError(
            f"platform {name!r} cannot be imported; importable platforms are "
            f"{', '.join(IMPORTABLE_PLATFORMS)}",
            parameter="platform",
            value=value,
            code=ErrorCode.INVALID_IMAGE_OS_TYPE_UNSUPPORTED,
        )
    return ("Windows" if os_type is OsType.WINDOWS else name), os_type


def check_os_version(value: object) -> str:
    """An OS version label such as ``"7"`` or ``"22.04"``."""
    version = require_str(value, "os_version")
    if _OS_VERSION.fullmatch(version) is None:
        raise InvalidParameterError(
            f"OS version {version!r} is not supported: give a version label of 1 to 32 "
            "letters, digits, dots or dashes, such as '7' or '22.04'",
            parameter="os_version",
            value=value,
            code=ErrorCode.INVALID_IMAGE_OS_VERSION_UNSUPPORTED,
        )
    return version


def check_image_url(value: object, *, force: bool) -> str:
    """*value*, if it is the object-storage (COS) URL of an image file ImportImage reads.

    The URL must be ``http(s)://<bucket>.cos.<region>.myqcloud.com/<path>.<ext>``
    with an extension among raw, vhd, qcow2, vmdk; iso only with *force*.
    """
    url = require_str(value, "image_url")
    parts = urlsplit(url)
    suffix = parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path else ""
    if (
        parts.scheme not in ("http", "https")
        or not (parts.hostname or "").endswith(".myqcloud.com")
        or suffix not in IMAGE_FILE_EXTENSIONS
    ):
        raise InvalidParameterError(
            f"image URL {url!r} is not an object-storage (COS) URL of an image file; "
            "expected https://<bucket>.cos.<region>.myqcloud.com/<name>.<ext> with ext "
            "one of raw, vhd, qcow2, vmdk (iso with force=True)",
            parameter="image_url",
            value=value,
            code=ErrorCode.INVALID_PARAMETER_URL_ERROR,
        )
    if suffix == "iso" and not force:
        raise InvalidParameterError(
            f"image URL {url!r} points to an ISO file, which imports only when forced; "
            "pass force=True or convert it to raw, vhd, qcow2 or vmdk",
            parameter="image_url",
            value=value,
            code=ErrorCode.ISO_MUST_IMPORT_BY_FORCE,
        )
    return url
