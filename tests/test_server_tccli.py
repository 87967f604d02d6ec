"""``tccli``, the official Tencent Cloud command line, against the real server over HTTPS.

tccli is run as a user runs it: the pinned release (tests/tccli/requirements.txt) in a
virtual environment of its own, ``.tccli-venv/`` at the root of the clone, made on first
use (tccli needs the whole ``tencentcloud-sdk-python``, which clashes with the split SDK
packages of the project's environment), with a ``HOME`` of its own and no proxy.  The
server is ``python -m imagecatalog serve --certfile --keyfile`` with a certificate from
``python -m trustme``, as docs/server.md says, and tccli trusts its authority the one way
it can: through the certifi bundle of its environment.

Grounding, in tccli 3.1.189.1 and the SDK it installs:
``tccli/services/cvm/cvm_client.py`` (``doDescribeImages`` and the other ``do*``: an
``HttpProfile`` with ``endpoint=--endpoint`` and no protocol or certification, a
``CvmClient`` of the region ``--region``, the parameters through the SDK's request model;
``parse_global_arg``: ``--secretId``/``--secretKey`` before ``TENCENTCLOUD_SECRET_ID``/
``TENCENTCLOUD_SECRET_KEY``), ``tccli/main.py`` (``main``: an SDK error is printed to
standard error, status 255), ``tencentcloud/common/http/request.py`` (``ProxyConnection``:
``verify=certifi.where()`` when no certification is given).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.http_server import BOB, DOC, SECRETS, Server, doc_block, doc_credentials

pytest.importorskip("uvicorn")
pytest.importorskip("trustme")

pytestmark = pytest.mark.tccli

ROOT = Path(__file__).parent.parent
REQUIREMENTS = Path(__file__).parent / "tccli" / "requirements.txt"
VENV = ROOT / ".tccli-venv"
#: The port docs/server.md serves on; the tests serve on a free one.
DOC_ENDPOINT = "127.0.0.1:9443"
#: What pip says when it cannot reach a package registry at all.
_UNREACHABLE = re.compile(
    r"connection broken by|NewConnectionError|ConnectTimeoutError|Failed to establish a new "
    r"connection|Temporary failure in name resolution|Network is unreachable|ProxyError"
)
#: How tccli reports an SDK error (``TencentCloudSDKException.__str__``).
_SDK_ERROR = re.compile(
    r"^\[TencentCloudSDKException\] code:(?P<code>\S+) message:(?P<message>.*) "
    r"requestId:(?P<request_id>[0-9a-f-]{36}|None)$"
)


def doc_session() -> str:
    """The shell block of docs/server.md that drives tccli."""
    return doc_block("console", "TENCENTCLOUD_SECRET_ID")


@attrs.frozen
class Ran:
    """What one tccli command did."""

    status: int
    stdout: str
    stderr: str

    def answer(self) -> Any:
        assert self.status == 0, self.stderr
        return json.loads(self.stdout)

    def error(self) -> tuple[str, str]:
        """The code and request ID of the SDK error tccli printed, and printed alone
        (``None``: the request got no answer)."""
        assert self.status == 255 and self.stdout == "", (self.status, self.stdout)
        found = _SDK_ERROR.match(self.stderr.strip())
        assert found, self.stderr
        return found["code"], found["request_id"]


class Tccli:
    """The pinned tccli in its own virtual environment, with a ``HOME`` of its own."""

    def __init__(self, venv: Path, home: Path) -> None:
        self.venv = venv
        self.home = home
        self.bundle = Path(
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "certifi"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        self.original_bundle = (venv / "cacert-original.pem").read_bytes()
        (home / "tccli-venv").symlink_to(venv, target_is_directory=True)

    def trust(self, *authorities: Path) -> None:
        """certifi's bundle as installed, plus *authorities*."""
        self.bundle.write_bytes(
            self.original_bundle + b"".join(ca.read_bytes() for ca in authorities)
        )

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment with no proxy, no credentials and no profile of the caller's
        (tccli reads ``HTTPS_PROXY``, ``TENCENTCLOUD_*`` and ``~/.tccli``)."""
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home)} | dict(
            extra or {}
        )

    def __call__(
        self,
        server: Server,
        action: str,
        *parameters: str,
        secret_id: str | None = "AKIDalice",
        secret_key: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Ran:
        """``tccli cvm ACTION --endpoint 127.0.0.1:PORT --region ap-guangzhou`` with
        *parameters*, and ``--secretId``/``--secretKey`` unless *secret_id* is None."""
        command = [str(self.venv / "bin" / "tccli"), "cvm", action]
        command += ["--endpoint", f"127.0.0.1:{server.port}", "--region", "ap-guangzhou"]
        if secret_id is not None:
            key = secret_key or SECRETS.get(secret_id, {}).get("SecretKey", "no-key")
            command += ["--secretId", secret_id, "--secretKey", key]
        ran = subprocess.run(
            [*command, *parameters],
            capture_output=True,
            text=True,
            env=self.env(env),
            timeout=120,
        )
        return Ran(ran.returncode, ran.stdout, ran.stderr)


def install_tccli(venv: Path) -> None:
    """The pinned tccli in *venv*, unless it is there already."""
    wanted = REQUIREMENTS.read_text("utf-8")
    stamp = venv / "installed-requirements.txt"
    if stamp.is_file() and stamp.read_text("utf-8") == wanted:
        return
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # --no-compile: byte-compiling the whole SDK takes 30 s; what tccli imports compiles on use
    python = str(venv / "bin" / "python")
    pip = subprocess.run(
        [python, "-m", "pip", "install", "--no-compile", "--quiet", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if pip.returncode != 0:
        output = pip.stdout + pip.stderr
        unreachable = [line for line in output.splitlines() if _UNREACHABLE.search(line)]
        if unreachable and not os.environ.get("CI"):
            pytest.skip(
                f"tccli cannot be installed: pip reaches no package registry "
                f"({unreachable[0].strip()[:240]})"
            )
        pytest.fail(f"pip could not install tccli into {venv}:\n{output[-4000:]}")
    certifi = subprocess.run([python, "-m", "certifi"], capture_output=True, text=True, check=True)
    shutil.copyfile(certifi.stdout.strip(), venv / "cacert-original.pem")
    stamp.write_text(wanted, "utf-8")


@pytest.fixture(scope="session")
def tccli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tccli]:
    """The pinned tccli, installed into .tccli-venv/ on first use (skipped only when no
    package registry answers, and never in CI), trusting no test authority."""
    install_tccli(VENV)
    made = Tccli(VENV, tmp_path_factory.mktemp("tccli-home"))
    made.trust()
    yield made
    made.trust()


@attrs.frozen
class Tls:
    """The server over HTTPS, and the authority that signed its certificate."""

    server: Server
    authority: Path

    @property
    def directory(self) -> Path:
        return self.authority.parent


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tls]:
    """``python -m trustme`` and ``imagecatalog serve --certfile --keyfile``, as
    docs/server.md does, with the doc's credentials and Alice's and Bob's."""
    directory = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [sys.executable, "-m", "trustme", "--dir", str(directory), "--quiet"],
        check=True,
        timeout=60,
    )
    server = Server(
        directory,
        options=[
            "--certfile",
            str(directory / "server.pem"),
            "--keyfile",
            str(directory / "server.key"),
        ],
        secrets={**SECRETS, **doc_credentials()},
    ).start()
    try:
        yield Tls(server, directory / "client.pem")
    finally:
        server.stop()


@pytest.fixture
def trusting(tccli: Tccli, tls: Tls) -> Tccli:
    """tccli with the server's authority added to its certifi bundle."""
    tccli.trust(tls.authority)
    return tccli


def test_tccli_trusts_the_certifi_bundle_of_its_environment_and_nothing_else(
    tccli: Tccli, tls: Tls
) -> None:
    """docs/server.md tells users to add the authority to certifi's bundle: the SDK
    gives requests ``verify=certifi.where()`` when no certification is set (``ProxyConnection``
    in tencentcloud/common/http/request.py; tccli's ``do*`` functions set none), and
    requests reads ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` only when ``verify`` is True
    or None (``Session.merge_environment_settings``), ``SSL_CERT_FILE`` not at all (a
    given CA file replaces the default paths).  Should tccli ever read one of them, this
    fails and the doc must change."""
    tccli.trust()
    ca = str(tls.authority)
    refused = tccli(
        tls.server,
        "DescribeImages",
        env={"REQUESTS_CA_BUNDLE": ca, "CURL_CA_BUNDLE": ca, "SSL_CERT_FILE": ca},
    )
    assert refused.error() == ("ClientNetworkError", "None")
    assert "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    tccli.trust(tls.authority)
    assert tccli(tls.server, "DescribeImages").answer()["TotalCount"] > 0


def test_parameters_as_json_or_unfolded_reach_the_server_alike(trusting: Tccli, tls: Tls) -> None:
    """tccli's two ways of giving parameters, one JSON value per option (the default:
    the value is parsed as JSON, ``CLIArgument.add_to_params`` in tccli/argument.py) and
    ``--cli-unfold-argument`` (dotted names folded back into objects and arrays,
    ``CliUnfoldArgument.build_action_parameters``), make the same request: the same
    public Ubuntu images, filtered by the server."""
    as_json = trusting(
        tls.server,
        "DescribeImages",
        "--Filters",
        '[{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]},'
        ' {"Name": "platform", "Values": ["Ubuntu"]}]',
        "--Limit",
        "2",
    ).answer()
    unfolded = trusting(
        tls.server,
        "DescribeImages",
        "--cli-unfold-argument",
        *("--Filters.0.Name", "image-type", "--Filters.0.Values", "PUBLIC_IMAGE"),
        *("--Filters.1.Name", "platform", "--Filters.1.Values", "Ubuntu"),
        *("--Limit", "2"),
    ).answer()
    everything = trusting(tls.server, "DescribeImages").answer()
    assert as_json["ImageSet"] == unfolded["ImageSet"] and len(as_json["ImageSet"]) == 2
    assert 2 <= as_json["TotalCount"] == unfolded["TotalCount"] < everything["TotalCount"]
    for image in as_json["ImageSet"]:
        assert (image["ImageType"], image["Platform"]) == ("PUBLIC_IMAGE", "Ubuntu")


def test_an_image_made_with_tccli_is_listed_and_shared(trusting: Tccli, tls: Tls) -> None:
    """RunInstances, CreateImage, DescribeImages and ModifyImageSharePermission through
    tccli (credentials by ``--secretId``/``--secretKey``, the flags ``parse_global_arg``
    takes first): the image is Alice's ``PRIVATE_IMAGE`` and, once shared, Bob's
    ``SHARED_IMAGE``; the nested ``Placement`` object goes through the SDK's request
    model (``RunInstancesRequest.from_json_string`` in ``doRunInstances``)."""
    server = tls.server
    ubuntu = trusting(
        server,
        "DescribeImages",
        *("--cli-unfold-argument", "--Filters.0.Name", "image-name"),
        *("--Filters.0.Values", "Ubuntu Server 22.04"),
    ).answer()["ImageSet"][0]["ImageId"]
    [instance] = trusting(
        server, "RunInstances", "--ImageId", ubuntu, "--Placement", '{"Zone": "ap-guangzhou-3"}'
    ).answer()["InstanceIdSet"]
    image = trusting(
        server, "CreateImage", "--InstanceId", instance, "--ImageName", "web-golden-tccli"
    ).answer()["ImageId"]
    [listed] = trusting(server, "DescribeImages", "--ImageIds", json.dumps([image])).answer()[
        "ImageSet"
    ]
    assert (listed["ImageName"], listed["ImageType"]) == ("web-golden-tccli", "PRIVATE_IMAGE")
    assert listed["ImageState"] == "NORMAL"
    shared = trusting(
        server,
        "ModifyImageSharePermission",
        *("--cli-unfold-argument", "--ImageId", image, "--AccountIds", BOB),
        *("--Permission", "SHARE"),
    ).answer()
    assert set(shared) == {"RequestId"}
    [seen] = trusting(
        server, "DescribeImages", "--ImageIds", json.dumps([image]), secret_id="AKIDbob"
    ).answer()["ImageSet"]
    assert (seen["ImageId"], seen["ImageType"]) == (image, "SHARED_IMAGE")


def test_an_error_is_its_code_on_standard_error_and_status_255(trusting: Tccli, tls: Tls) -> None:
    """Whatever the code, tccli prints the SDK's exception
    (``[TencentCloudSDKException] code:... message:... requestId:...``,
    ``TencentCloudSDKException.__str__``) to standard error and exits 255
    (``main`` in tccli/main.py): a wrong key, an unknown SecretId, and a refusal of
    the catalog's rules each come back with the server's code."""
    server = tls.server
    wrong_key = trusting(server, "DescribeImages", secret_key="not-alices-key")
    unknown = trusting(server, "DescribeImages", secret_id="AKIDnobody")
    missing = trusting(
        server, "ModifyImageAttribute", "--ImageId", "img-00000000", "--ImageName", "x"
    )
    codes = [ran.error() for ran in (wrong_key, unknown, missing)]
    assert [code for code, _ in codes] == [
        "AuthFailure.SignatureFailure",
        "AuthFailure.SecretIdNotFound",
        "InvalidImageId.NotFound",
    ]
    assert all(request_id != "None" for _, request_id in codes)  # the server's answers
    assert "alice-key" not in wrong_key.stderr


def test_the_docs_tccli_session_runs_as_written(tccli: Tccli, tls: Tls) -> None:
    """The shell block of docs/server.md, run by bash as written (only the port is the
    test server's): it trusts the authority as the doc says, takes its credentials from
    ``TENCENTCLOUD_SECRET_ID``/``TENCENTCLOUD_SECRET_KEY`` and the doc's credentials file,
    makes an image, lists it, shares it, and meets a wrong key; and the doc installs the
    tccli these tests pin."""
    pinned = re.search(r"^tccli==(\S+)$", REQUIREMENTS.read_text("utf-8"), re.M)
    assert pinned and f"pip install tccli=={pinned[1]}" in DOC.read_text("utf-8")
    session = doc_session()
    assert DOC_ENDPOINT in session
    tccli.trust()  # the block adds the authority itself
    ran = subprocess.run(
        [
            "bash",
            "-e",
            "-u",
            "-o",
            "pipefail",
            "-c",
            session.replace(DOC_ENDPOINT, f"127.0.0.1:{tls.server.port}"),
        ],
        cwd=tls.directory,
        capture_output=True,
        text=True,
        env=tccli.env(),
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    answers, rest = [], ran.stdout.strip()
    decoder = json.JSONDecoder()
    while rest.startswith("{"):
        answer, end = decoder.raw_decode(rest)
        answers.append(answer)
        rest = rest[end:].strip()
    [listing, shared, permissions] = answers
    [image] = listing["ImageSet"]
    assert (image["ImageName"], image["ImageType"]) == ("web-golden-2026-11", "PRIVATE_IMAGE")
    assert set(shared) == {"RequestId"}
    assert [held["AccountId"] for held in permissions["SharePermissionSet"]] == ["100000000002"]
    assert rest == "tccli exited with 255"
    found = _SDK_ERROR.match(ran.stderr.strip().splitlines()[-1])
    assert found and found["code"] == "AuthFailure.SignatureFailure", ran.stderr
