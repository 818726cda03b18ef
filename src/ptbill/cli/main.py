"""The ``ptbill`` command's start and end. ``check`` and ``units`` follow spec/cli.md exactly; the rest is ours.

Exit status: 0 fine, 1 something blocked or refused, 2 unreadable input (an argument, option or file
the command cannot use: one line per problem naming it, no traceback), 3 an error ptbill did not
expect (a bug: one line saying so, without the data it was handling).

``main()`` reads a plainly well-formed ``check`` or ``units`` itself (``cli.fast_args``) and runs it without
importing click; every other argument list, and every command when ``PTBILL_NO_FAST_ARGS=1`` is set, is read by
the click group (``cli.group``, which also holds every help text), as ``cli`` here still names it.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from ptbill.cli.terminal import echo, printable

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3


def fail(lines: Sequence[str]) -> NoReturn:
    """Unusable input: each problem on one line of stderr (even a parser's several lines), then exit status 2."""
    for line in lines:
        echo(printable(" ".join(line.split())), err=True)
    sys.exit(EXIT_BAD_INPUT)


# Loading `ptbill check`'s modules makes about 55,000 tracked objects that live as long as the process (modules,
# classes, validators) and a few hundred garbage ones: the collector's repeated scans of the growing heap cost
# more than they free. main() pauses the cyclic garbage collector while the command's modules load, and the
# commands resume it before they work on their input.
IMPORTS_ONLY = ("check", "units", "claim")  # these resume it themselves, after their own imports


def resume_collection(settled: bool = False) -> None:
    """Resume the collector; ``settled``: what loaded so far lives as long as the process, so the
    collector's scans skip it from now on (``gc.freeze``) instead of scanning it all at the first. Nothing
    when the collector runs: main() did not start this command (a test's runner, another program)."""
    if gc.isenabled():
        return
    if settled:
        gc.freeze()
    gc.enable()


def _withhold_exception_messages() -> None:
    """``log_privacy``'s filter on the loggers that record exceptions: now when ``logging`` is loaded, else as soon
    as anything loads it. ``check`` and ``units`` never do (``logging`` was about 9 ms of their start); nothing can
    log before it is loaded, so no record escapes the filter either way."""
    if "logging" in sys.modules:
        from ptbill.log_privacy import withhold_exception_messages

        withhold_exception_messages()
    elif not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):  # main() called again
        sys.meta_path.insert(0, _AfterImport("logging", _withhold_exception_messages))


class _AfterImport:
    """A ``sys.meta_path`` entry that calls ``then()`` once the module ``name`` has been loaded, whoever imports it
    first, and then leaves the path. The module is found and loaded by the other finders, as without it, and keeps
    its own loader."""

    def __init__(self, name: str, then: Callable[[], None]) -> None:
        self.name = name
        self.then = then
        self.found = False

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != self.name or self.found:
            return None
        self.found = True
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec: ModuleSpec | None = None if finder is self or find_spec is None else find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _LoadThen(spec.loader, self)  # type: ignore[assignment]
                return spec
        return None

    def loaded(self) -> None:
        sys.meta_path.remove(self)
        self.then()


class _LoadThen:
    """The module's own loader, and ``_AfterImport.loaded`` once the module has run."""

    def __init__(self, loader: Any, waiting: _AfterImport) -> None:
        self.loader = loader
        self.waiting = waiting

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.waiting.loaded()


def _configure() -> None:
    """Check against the CMS tables `ptbill reference load-*` installed, where there are any."""
    from ptbill.data_dir import data_dir_from_environment  # not ptbill.settings: ~6 ms of dataclasses
    from ptbill.reference.catalog import ReferenceCatalog, configure_default_catalog

    reference_dir = data_dir_from_environment() / "reference"
    if reference_dir.is_dir():
        configure_default_catalog(ReferenceCatalog(installed_dir=reference_dir))


def _fast_args() -> tuple[str, dict[str, Any]] | None:
    """The command and its arguments when main() may read them itself (``cli.fast_args``), else None."""
    if os.environ.get("PTBILL_NO_FAST_ARGS") or os.environ.get("_PTBILL_COMPLETE") or os.name == "nt":
        return None
    from ptbill.cli.fast_args import read

    return read(sys.argv[1:])


_CLICK_ABORTED = 1  # click's exit status for an interrupt and a broken pipe


def _run(command: str, arguments: dict[str, Any]) -> NoReturn:
    """Run check or units as the click group's standalone mode would, to the same output and exit status: an
    interrupt (or end of input) says "Aborted!" and exits 1, a broken pipe exits 1 without a word."""
    try:
        try:
            if command == "check":
                from ptbill.cli.check_cmd import check_command

                check_command(**arguments)
            else:
                from ptbill.cli.units_cmd import units_command

                units_command(**arguments)
        except (EOFError, KeyboardInterrupt):
            from gettext import gettext as _  # click's words, as click translates them

            for line in ("", _("Aborted!")):  # click writes these to sys.stderr itself, as it is
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
            sys.exit(_CLICK_ABORTED)
        except OSError as error:
            import errno

            if error.errno != errno.EPIPE:
                raise
            sys.stdout = _Pacified(sys.stdout)
            sys.stderr = _Pacified(sys.stderr)
            sys.exit(_CLICK_ABORTED)
    except (EOFError, KeyboardInterrupt):
        sys.exit(_CLICK_ABORTED)
    sys.exit(EXIT_OK)  # units returns when it is done: click's standalone mode then exits 0


class _Pacified:
    """A standard stream whose ``flush`` ignores a broken pipe, so the interpreter's last flush at exit does not
    complain about a reader that has gone (click's own wrapper for the same case); all else is the stream's."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def main() -> None:
    # pydantic looks for plugins among every installed package's entry points the first time it builds a
    # validator (about 20 ms of each command's start); ptbill uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()  # resumed by the command (see resume_collection), and below whatever happens
    try:
        from ptbill.cli.dataclass_code import install

        install()  # the dataclass methods the command's modules make, compiled once per machine
        _withhold_exception_messages()
        _configure()
        fast = _fast_args()
        if fast is not None:
            _run(*fast)
        from ptbill.cli.group import cli

        cli(prog_name="ptbill")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
    except Exception as error:
        # The last resort, for what no command expected: one line, and never the error's text, which
        # may quote a patient's data. PTBILL_DEBUG=1 shows the traceback to whoever fixes it.
        if os.environ.get("PTBILL_DEBUG"):
            raise
        echo(
            f"ptbill: unexpected error ({type(error).__name__}); this is a bug in ptbill. Please report it with "
            "the command you ran (not your files); PTBILL_DEBUG=1 shows the details.",
            err=True,
        )
        sys.exit(EXIT_BUG)
    finally:
        gc.enable()


def __getattr__(name: str) -> Any:
    """``cli``: the click group, loaded when first asked for (``from ptbill.cli.main import cli``)."""
    if name == "cli":
        from ptbill.cli.group import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
