"""Development sessions: ``nox -s tests``, ``typecheck``, ``lint``, ``docs``.

Each session installs what it needs into its own virtual environment, so a
fresh clone needs nothing but Python and nox.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "typecheck", "lint", "docs"]  # bench only on request
nox.options.default_venv_backend = "venv"

PYTHON_VERSIONS = ["3.11", "3.12", "3.13"]


@nox.session(python=PYTHON_VERSIONS)
def tests(session: nox.Session) -> None:
    """Run the whole test suite: unit, property, stateful and documentation examples."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Check types strictly with mypy over src, tests and this file."""
    session.install("-e", ".[typecheck]")
    session.run("mypy", *session.posargs)
    session.chdir("tests/examples/downstream")  # a project of its own, with its own mypy.ini
    session.run("mypy", "--config-file", "mypy.ini", "image_janitor.py", "test_image_janitor.py")


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py", "docs/conf.py")
    session.run(
        "ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py", "docs/conf.py"
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with Sphinx, treating every warning as an error."""
    # autodoc imports the testing toolkit and the fake CVM endpoint
    session.install("-e", ".[docs,testing,tencentcloud,sql]")
    session.run(
        "sphinx-build",
        "--fail-on-warning",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (scaling to a million images; against moto and plain dicts; the
    SDK fake; the SQL store; the HTTP server against moto's server mode; this release
    against 0.1.0, by instruction counts when
    valgrind is installed) and write docs/benchmarks.md.  Takes about ten minutes; pass
    --quick for a smoke run."""
    session.install("-e", ".[bench,sql,tencentcloud,server]")
    session.run("python", "-m", "benchmarks.run", *session.posargs)
