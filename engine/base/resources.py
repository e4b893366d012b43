"""The files dibao ships beside its code: the grammar, the policy schema, the policy tree, the sources.

In the repository they live at the top level (``grammar/``, ``schema/``, ``policies/``,
``sources/``); a built wheel carries the same folders as package data under
``engine/_data/`` (the build copies them, see ``setup.py``). ``data_root`` finds whichever
is present, through ``importlib.resources``, so an installed package and a checkout read
the same files the same way.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

PACKAGE_DATA = "_data"


class MissingData(RuntimeError):
    """The package was installed without its data (a broken build)."""


@lru_cache(maxsize=1)
def data_root() -> Path:
    """The folder holding ``grammar/``, ``schema/``, ``policies/`` and ``sources/``."""
    packaged = resources.files("engine").joinpath(PACKAGE_DATA)
    if packaged.joinpath("grammar", "rules.lark").is_file():
        return Path(str(packaged)).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "grammar" / "rules.lark").is_file():
        return checkout
    raise MissingData("dibao was installed without its data: engine/_data/grammar/rules.lark is missing; "
                      "reinstall the package from a wheel built with `pip wheel .`")


def grammar_path() -> Path:
    return data_root() / "grammar" / "rules.lark"


def bundled_policies() -> Path:
    """The policy tree shipped with the package (the repository's ``policies/`` in a checkout)."""
    return data_root() / "policies"


def package_version() -> str:
    """The installed distribution's version (``unknown`` when run from a checkout that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dibao")
    except PackageNotFoundError:
        return "unknown"
