"""User-facing errors.

A `UserError` is a mistake the user can fix (an unknown name, missing data, a corrupted file,
a config that does not match a checkpoint). Its message is one line that names the problem and
the fix; the CLI prints it without a traceback and exits with status 2. Everything else is a
bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input, stated in one line with what to do about it."""


def unknown_name(kind: str, name: str, known) -> UserError:
    """The standard error for a name that is not in a registry."""
    return UserError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(known))}")
