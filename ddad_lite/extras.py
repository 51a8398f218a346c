"""Optional extras: a feature that needs a package the core install lacks says, in one line,
which extra to install (`pip install "ddad-lite[notebooks]"`), never a traceback.

    require_extra("notebooks", "papermill", "nbconvert")   # before the feature starts

The extras themselves are declared in pyproject.toml ([project.optional-dependencies]).
"""

from __future__ import annotations

import importlib

from .errors import UserError


def require_extra(extra: str, *modules: str, feature: str = "this command") -> None:
    """Raise a one-line UserError naming `extra` unless every module in `modules` imports."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise UserError(f"{feature} needs the optional extra {extra!r} ({module} is not "
                            f"installed): pip install \"ddad-lite[{extra}]\"") from None
