"""The command line: ``python -m imagecatalog demo`` and ``python -m imagecatalog serve``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from imagecatalog.demo import run_demo

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m imagecatalog",
        description="A faithful model of a cloud provider's VM image catalog.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="walk through public, custom and shared images, rules included"
    )
    demo.add_argument("--seed", type=int, default=2026, help="seed for the IDs (default 2026)")
    serve = commands.add_parser(
        "serve",
        help="serve the CVM API over HTTP for any Tencent Cloud SDK (imagecatalog[server])",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000)")
    serve.add_argument(
        "--credentials",
        required=True,
        help='JSON file: {"<SecretId>": {"SecretKey": "...", "AccountId": "..."}}',
    )
    serve.add_argument(
        "--store", default=None, help="SQLite or PostgreSQL URL (default: in memory)"
    )
    serve.add_argument(
        "--profile",
        default="newest",
        choices=["seed", "2023-08", "2024-02", "newest"],
        help="the provider's dated rules (default: newest, as the live API)",
    )
    serve.add_argument("--certfile", default=None, help="TLS certificate (PEM), with --keyfile")
    serve.add_argument("--keyfile", default=None, help="TLS private key (PEM), with --certfile")
    serve.add_argument(
        "--control-token",
        default=None,
        help="turn on the control API under /_imagecatalog/ (Bearer token: 16 or more "
        "printable ASCII characters)",
    )
    serve.add_argument(
        "--ready-after-polls",
        type=int,
        default=None,
        help="work takes this many DescribeImages showings (as mock_cvm's)",
    )
    serve.add_argument(
        "--virtual-clock",
        action="store_true",
        help="work takes virtual time, moved on through the control API",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=int,
        default=10,
        help="seconds requests in flight get to finish on SIGTERM (default 10)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=16,
        help="threads that make catalog calls (default 16: the SQL store's connections, "
        "and one more)",
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        run_demo(seed=arguments.seed)
    elif arguments.command == "serve":
        from imagecatalog.exceptions import ImageCatalogError
        from imagecatalog.server import serve as run_server

        try:
            run_server(
                host=arguments.host,
                port=arguments.port,
                credentials=arguments.credentials,
                store=arguments.store,
                profile=arguments.profile,
                certfile=arguments.certfile,
                keyfile=arguments.keyfile,
                control_token=arguments.control_token,
                ready_after_polls=arguments.ready_after_polls,
                virtual_clock=arguments.virtual_clock,
                shutdown_timeout=arguments.shutdown_timeout,
                workers=arguments.workers,
            )
        except (ImageCatalogError, OSError) as error:  # a bad file or option: one line
            parser.exit(2, f"imagecatalog serve: {error}\n")
    return 0
