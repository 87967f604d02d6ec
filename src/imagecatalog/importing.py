"""What ImportImage accepts: operating systems, file formats and URLs."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from imagecatalog._deprecation import deprecated
from imagecatalog._validation import require_str
from imagecatalog.exceptions import ErrorCode, InvalidParameterError
from imagecatalog.images import OsType

__all__ = [
    "IMAGE_FILE_EXTENSIONS",
    "IMPORTABLE_OS",
    "IMPORTABLE_OS_LIST",
    "IMPORTABLE_PLATFORMS",
    "ImportableOs",
    "check_image_url",
    "check_importable",
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
    "Redhat": OsType.LINUX,
}


@attrs.frozen
class ImportableOs:
    """One entry of DescribeImportImageOs' ``ImportImageOsVersionSet``: an OS,
    the versions ImportImage takes for it, and its architectures."""

    os_name: str
    versions: tuple[str, ...]
    architectures: tuple[str, ...]


_LINUX_ARCHITECTURES = ("x86_64", "i386", "arm_64")
_WINDOWS_ARCHITECTURES = ("x86_64", "i386")

#: What DescribeImportImageOs answers, and so what ImportImage takes through the
#: SDK fake: the official example's ``ImportImageOsVersionSet`` (tccli's
#: DescribeImportImageOs example, "查询导入镜像支持的操作系统配置信息"), with
#: ``arm_64`` added to the Linux systems, which ImportImage's Architecture
#: docstring allows ("取值范围包括：x86_64、i386、arm_64") though the example,
#: older, lists none.  The example names Redhat here but not in its Linux list;
#: both are kept as the example has them.
IMPORTABLE_OS: tuple[ImportableOs, ...] = (
    ImportableOs("Windows Server 2008", ("9",), _WINDOWS_ARCHITECTURES),
    ImportableOs("Windows Server 2012", ("9",), _WINDOWS_ARCHITECTURES),
    ImportableOs("Windows Server 2016", ("9",), _WINDOWS_ARCHITECTURES),
    ImportableOs("CentOS", ("5", "6", "7"), _LINUX_ARCHITECTURES),
    ImportableOs("CoreOS", ("7",), _LINUX_ARCHITECTURES),
    ImportableOs("Debian", ("6", "7", "8", "9"), _LINUX_ARCHITECTURES),
    ImportableOs("FreeBSD", ("10",), _LINUX_ARCHITECTURES),
    ImportableOs("Redhat", ("5", "6", "7"), _LINUX_ARCHITECTURES),
    ImportableOs("OpenSUSE", ("11", "12"), _LINUX_ARCHITECTURES),
    ImportableOs("SUSE", ("10", "11", "12", "13"), _LINUX_ARCHITECTURES),
    ImportableOs("Ubuntu", ("10", "12", "14", "16"), _LINUX_ARCHITECTURES),
    ImportableOs("Other Linux", ("8",), _LINUX_ARCHITECTURES),
)
#: DescribeImportImageOs' ``ImportImageOsListSupported``, as the official example has it.
IMPORTABLE_OS_LIST: Mapping[str, tuple[str, ...]] = {
    "Linux": (
        "CentOS",
        "Ubuntu",
        "Debian",
        "OpenSUSE",
        "SUSE",
        "CoreOS",
        "FreeBSD",
        "Other Linux",
    ),
    "Windows": ("Windows Server 2008", "Windows Server 2012", "Windows Server 2016"),
}
_IMPORTABLE = {entry.os_name: entry for entry in IMPORTABLE_OS}


def check_importable(os_name: object, version: object, architecture: object) -> None:
    """ImportImage's OsType, OsVersion and Architecture: a combination
    :data:`IMPORTABLE_OS` lists (what DescribeImportImageOs tells clients)."""
    name = require_str(os_name, "OsType")
    entry = _IMPORTABLE.get(name)
    if entry is None:
        raise InvalidParameterError(
            f"OsType {name!r} cannot be imported; DescribeImportImageOs lists "
            f"{', '.join(_IMPORTABLE)}",
            parameter="OsType",
            value=os_name,
            code=ErrorCode.INVALID_IMAGE_OS_TYPE_UNSUPPORTED,
        )
    if require_str(version, "OsVersion") not in entry.versions:
        raise InvalidParameterError(
            f"OsVersion {version!r} of {name} cannot be imported; DescribeImportImageOs "
            f"lists {', '.join(entry.versions)}",
            parameter="OsVersion",
            value=version,
            code=ErrorCode.INVALID_IMAGE_OS_VERSION_UNSUPPORTED,
        )
    if require_str(architecture, "Architecture") not in entry.architectures:
        raise InvalidParameterError(
            f"Architecture {architecture!r} of {name} cannot be imported; "
            f"DescribeImportImageOs lists {', '.join(entry.architectures)}",
            parameter="Architecture",
            value=architecture,
            code=ErrorCode.INVALID_PARAMETER_VALUE,
        )


_OS_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._ -]{0,31}")


#: The extensions of the disk-image files ImportImage reads (iso only when forced).
#: ``img`` is a raw disk image by convention: the docs list formats, not extensions.
IMAGE_FILE_EXTENSIONS = frozenset({"raw", "img", "vhd", "qcow2", "vmdk", "iso"})


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
    with an extension among raw (or img), vhd, qcow2, vmdk; iso only with *force*.
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
            "one of raw, img, vhd, qcow2, vmdk (iso with force=True)",
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
