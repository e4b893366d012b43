"""Build hook: the wheel carries the grammar, the schema, the policy tree and its sources.

The repository keeps them at the top level (``grammar/``, ``schema/``, ``policies/``,
``sources/``); ``build_py`` copies them into the package as ``engine/_data/…``, where
``engine.base.resources`` reads them. Everything else is declared in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED_FOLDERS = ("grammar", "schema", "policies", "sources")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout itself
            return
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "engine" / "_data"
        for name in BUNDLED_FOLDERS:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(here / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildWithData})
