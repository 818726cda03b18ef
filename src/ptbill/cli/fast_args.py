"""The options of ``ptbill check`` and ``ptbill units``, declared once, and a reader of the plain argument lists
that lets ``main()`` run those two commands without importing click (about 45 ms of a 0.1 s start).

``read(argv)`` answers ``(command, keyword arguments)`` only for an argument list that click would read the same
way without a word to say: the command first, then its options (``--json``, ``--ndjson``, ``--jobs N`` /
``--jobs=N`` / ``-j N`` / ``-jN`` for check; ``--method NAME`` / ``--method=NAME``, ``--json`` for units), in any
order among at least one argument (a file, ``-``, a ``CODE=MINUTES`` pair). Everything else answers None and is
click's to read, so every help text, refusal and exit status stays click's own: ``--help``/``-h``, ``--version``,
an unknown option, ``--``, a missing argument or option value, a value click would refuse (``--jobs 0``,
``--method x``) or read in its own way (``--jobs +2``), a flag given a value (``--json=1``).

The click decorators (``cli.group``) take the option names, parameter names, ranges, choices and defaults from
here and keep the help texts; ``main()`` falls back to click for every command when the environment sets
``PTBILL_NO_FAST_ARGS=1`` (the tests compare both paths' output that way), when click's shell completion is asked
for (``_PTBILL_COMPLETE``), and on Windows (where click expands wildcards in the arguments).
"""

from __future__ import annotations

from collections.abc import Sequence

from ptbill.domain.identifiers import bounded_int


class Option:
    """An option as both readers take it: its names, the parameter it sets, and its values (a flag has none;
    a number within ``low``..``high``; or one of ``choices``)."""

    __slots__ = ("choices", "default", "dest", "high", "low", "names")

    def __init__(
        self,
        names: tuple[str, ...],
        dest: str,
        *,
        default: object = False,
        low: int | None = None,
        high: int | None = None,
        choices: tuple[str, ...] = (),
    ) -> None:
        self.names = names
        self.dest = dest
        self.default = default
        self.low = low
        self.high = high
        self.choices = choices

    @property
    def takes_value(self) -> bool:
        return self.low is not None or bool(self.choices)

    def value(self, text: str) -> object:
        """The value click would make of ``text``, or None where click would refuse it or read it its own way."""
        if self.choices:
            return text if text in self.choices else None
        if self.low is not None and self.high is not None:
            number = bounded_int(text, len(str(self.high)))  # ASCII digits only: click's int() reads more
            return number if number is not None and self.low <= number <= self.high else None
        return None


JSON = Option(("--json",), "as_json")
NDJSON = Option(("--ndjson",), "ndjson")
JOBS = Option(("--jobs", "-j"), "jobs", default=1, low=1, high=64)
METHOD = Option(("--method",), "method", default="cms", choices=("cms", "per_code"))

# Each command's options, and the parameter its arguments (one or more) go to.
COMMANDS: dict[str, tuple[tuple[Option, ...], str]] = {
    "check": ((JSON, NDJSON, JOBS), "files"),
    "units": ((METHOD, JSON), "services"),
}


def read(argv: Sequence[str]) -> tuple[str, dict[str, object]] | None:
    """``(command, its keyword arguments)`` for a plainly well-formed check or units; None for click to read."""
    if not argv or argv[0] not in COMMANDS:
        return None
    options, arguments_name = COMMANDS[argv[0]]
    named = {name: option for option in options for name in option.names}
    values: dict[str, object] = {option.dest: option.default for option in options}
    arguments: list[str] = []
    rest = list(argv[1:])
    rest.reverse()  # popped from the end: the next argument is last
    while rest:
        arg = rest.pop()
        if arg[:1] != "-" or arg == "-":
            arguments.append(arg)
            continue
        if arg.startswith("--"):
            name, equals, attached = arg.partition("=")
        else:  # a short option: -j2 is -j 2
            name, equals, attached = arg[:2], "", arg[2:]
        option = named.get(name)
        if option is None:
            return None  # --help, -h, --version, --, an unknown option
        if not option.takes_value:
            if equals or attached:
                return None  # --json=1: click's refusal
            values[option.dest] = True
            continue
        if equals or attached:
            text = attached
        elif rest:
            text = rest.pop()
        else:
            return None  # no value: click's refusal
        value = option.value(text)
        if value is None:
            return None
        values[option.dest] = value  # given twice: the last one counts, as in click
    if not arguments:
        return None  # click's "Missing argument"
    values[arguments_name] = tuple(arguments)
    return argv[0], values
