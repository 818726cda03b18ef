"""`ptbill check` and `ptbill units` read their plain argument lists without click (issue 17: click is a quarter
of `ptbill units`' start), and answer byte for byte as the click group does: the same standard output, standard
error and exit status for every argument list, whichever reads it. What is not plainly well-formed is click's to
read and refuse, with its own words."""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptbill.cli.fast_args import read

ROOT = Path(__file__).resolve().parents[3]
NOTE = str(ROOT / "tests" / "scenarios" / "medicare-lumbar-clean.json")
BLOCKED = str(ROOT / "examples" / "commercial-manual-traction-billed-as-97012.json")
OTHER = str(ROOT / "examples" / "medicare-traction-with-unneeded-59.json")

# Argument lists a script may pass, and whether main() reads them itself ({missing}, {garbage}, {lines} and
# {accented} are files of the test's own; STDIN is what standard input holds for the "-" cases).
NOTE_TEXT = Path(NOTE).read_text(encoding="utf-8")
STDIN = {"-": NOTE_TEXT, "--ndjson": json.dumps(json.loads(NOTE_TEXT)) + "\n{oops\n\n" + json.dumps({"id": 1}) + "\n"}
CASES: list[tuple[list[str], bool]] = [
    (["check", NOTE], True),
    (["check", "--json", NOTE], True),
    (["check", "--json", NOTE, BLOCKED], True),  # an array; blocked: exit 1
    (["check", NOTE, "--json", BLOCKED, OTHER], True),  # an option among the files
    (["check", "-j", "2", "--ndjson", "-"], True),
    (["check", "--ndjson", "{lines}"], True),  # a bad line answered in its place, exit 2
    (["check", "--jobs=2", "--json", NOTE, OTHER], True),
    (["check", "-j2", "--jobs", "1", NOTE], True),  # given twice: the last counts
    (["check", "-"], True),
    (["check", "{missing}"], True),
    (["check", "{garbage}", NOTE], True),
    (["check", "{accented}"], True),
    (["check", "--json", "--ndjson", NOTE], True),  # the command's own refusal: two outputs
    (["check", ""], True),
    (["units", "97110=33", "97012=15"], True),
    (["units", "--method", "per_code", "--json", "97110=33"], True),
    (["units", "--method=per_code", "97110=10", "97112=10"], True),
    (["units", "--json", "--json", "97110=8"], True),
    (["units", "97112=20", "97110=20"], True),  # a tie
    (["units", "97110=abc"], True),
    (["units", "99999=10", "97110"], True),
    (["check"], False),  # click: missing argument
    (["check", "--jobs", "0", NOTE], False),
    (["check", "-j", "65", NOTE], False),
    (["check", "--jobs", "+2", NOTE], False),  # click reads it as 2
    (["check", "-j", "\u0663", NOTE], False),  # an Arabic-Indic 3: click's int() reads it too
    (["check", "--jobs", "007", NOTE], False),
    (["check", "-j=2", NOTE], False),
    (["check", "--jobs"], False),
    (["check", "--json=1", NOTE], False),
    (["check", "--", NOTE], False),
    (["check", "--js", NOTE], False),
    (["check", "--help"], False),
    (["check", NOTE, "-h"], False),
    (["units", "--method", "x", "97110=8"], False),
    (["units", "--ndjson", "97110=8"], False),
    (["units", "--method"], False),
    (["units"], False),
    (["--version"], False),
    (["--help"], False),
    (["unitz", "97110=8"], False),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("fast-args")
    (folder / "garbage.json").write_text('{"id": ', encoding="utf-8")
    lines = folder / "lines.jsonl"
    lines.write_text(STDIN["--ndjson"], encoding="utf-8")
    return {
        "missing": str(folder / "missing.json"),
        "garbage": str(folder / "garbage.json"),
        "lines": str(lines),
        "accented": str(folder / "née-\x1b[31m.json"),  # missing, and named with a non-ASCII letter and an escape
    }


def ptbill(args: list[str], stdin: str | None, *, click_only: bool, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, **env}
    environment.pop("PTBILL_NO_FAST_ARGS", None)
    if click_only:
        environment["PTBILL_NO_FAST_ARGS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "ptbill", *args],
        input=(stdin or "").encode(),
        capture_output=True,
        cwd=ROOT,
        env=environment,
        check=False,
    )


@pytest.mark.parametrize(("args", "fast"), CASES, ids=[" ".join(args) or "(none)" for args, _ in CASES])
def test_either_reader_gives_the_same_output_and_exit_status(
    files: dict[str, str], args: list[str], fast: bool
) -> None:
    args = [arg.format(**files) if "{" in arg else arg for arg in args]
    assert (read(args) is not None) is fast
    stdin = STDIN["--ndjson"] if "--ndjson" in args else STDIN["-"] if "-" in args else None
    by_click = ptbill(args, stdin, click_only=True)
    by_main = ptbill(args, stdin, click_only=False)
    assert (by_main.stdout, by_main.stderr) == (by_click.stdout, by_click.stderr)
    assert by_main.returncode == by_click.returncode
    assert b"Traceback" not in by_main.stderr


def test_a_stream_click_would_reencode_is_written_as_click_writes_it(files: dict[str, str]) -> None:
    # An ASCII standard error: click writes the line's UTF-8 bytes beneath it; so does the fast path (through click).
    args = ["check", files["accented"], NOTE]
    by_click = ptbill(args, None, click_only=True, PYTHONIOENCODING="ascii")
    by_main = ptbill(args, None, click_only=False, PYTHONIOENCODING="ascii")
    assert by_main.returncode == by_click.returncode == 2
    assert "née".encode() in by_click.stderr
    assert (by_main.stdout, by_main.stderr) == (by_click.stdout, by_click.stderr)


# The check and units commands print through ``terminal.echo`` whichever reader ran them; it writes what click.echo,
# which they used, writes: on the usual streams, on an ASCII one (click writes UTF-8 beneath it), with ANSI codes
# (stripped off a terminal), and with no stream at all.
STREAMS = [("utf-8", "strict"), ("utf-8", "backslashreplace"), ("ascii", "strict"), ("latin-1", "replace")]
TEXTS = ["enc.json: date_of_service: not a date", "née, 日本", "\x1b[31mred\x1b[0m", ""]


@pytest.mark.parametrize(("encoding", "errors"), STREAMS)
@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("err", [False, True], ids=["stdout", "stderr"])
def test_echo_writes_the_bytes_click_echo_writes(
    monkeypatch: pytest.MonkeyPatch, encoding: str, errors: str, text: str, err: bool
) -> None:
    import click

    from ptbill.cli.terminal import echo

    written = []
    for write in (echo, lambda text, err: click.echo(text, err=err)):
        stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors)
        monkeypatch.setattr(sys, "stderr" if err else "stdout", stream)
        try:
            write(text, err)
        except UnicodeEncodeError as error:
            written.append(repr(error).encode())
            continue
        stream.flush()
        buffer = stream.buffer
        assert isinstance(buffer, io.BytesIO)
        written.append(buffer.getvalue())
    assert written[0] == written[1]
    monkeypatch.setattr(sys, "stderr" if err else "stdout", None)
    echo(text, err)  # nowhere to write: nothing, as click


# Run main() as `ptbill ARGS` and print, on the last line of stderr, its exit status and which of WATCHED it loaded.
PROBE = """
import json, sys
from ptbill.cli.main import main
watched = sys.argv.pop(1).split(",")
try:
    main()
except SystemExit as end:
    status = end.code
print(json.dumps([status, [name for name in watched if name in sys.modules]]), file=sys.stderr)
"""
# What the two commands do without: click, the settings of the app (the data folder is all they read), logging.
WATCHED = ("click", "ptbill.settings", "logging")


@pytest.mark.parametrize("args", [["check", NOTE], ["check", "--json", "-j", "2", NOTE, OTHER], ["units", "97110=33"]])
def test_the_two_commands_run_without_importing_click(args: list[str]) -> None:
    def probe(**env: str) -> tuple[int, list[str], str]:
        environment = {key: value for key, value in os.environ.items() if key != "PTBILL_NO_FAST_ARGS"}
        command = [sys.executable, "-c", PROBE, ",".join(WATCHED), *args]
        environment.update(env)
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, check=False)
        status, loaded = json.loads(result.stderr.splitlines()[-1])
        return status, loaded, result.stdout

    status, loaded, output = probe()
    assert status in (0, 1)
    assert loaded == []
    by_click = probe(PTBILL_NO_FAST_ARGS="1")
    assert by_click == (status, ["click"], output)  # the comparison above compares two readers


@pytest.fixture
def collector_restored() -> object:
    yield
    gc.unfreeze()
    gc.enable()


class _Interrupted(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise KeyboardInterrupt


class _BrokenPipe(io.TextIOWrapper):
    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8")

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


@pytest.mark.usefixtures("collector_restored")
@pytest.mark.parametrize("click_only", [True, False], ids=["click", "fast"])
def test_an_interrupt_is_aborted_and_a_closed_pipe_is_exit_1_as_click_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], click_only: bool
) -> None:
    from ptbill.cli.main import main

    if click_only:
        monkeypatch.setenv("PTBILL_NO_FAST_ARGS", "1")
    else:
        monkeypatch.delenv("PTBILL_NO_FAST_ARGS", raising=False)
    # Ctrl-C while `ptbill check -` waits for its input
    monkeypatch.setattr(sys, "argv", ["ptbill", "check", "-"])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(_Interrupted()))
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 1
    assert capsys.readouterr().err == "\nAborted!\n"
    # the reader of `ptbill units --json ... | head` gone: no word, exit 1, and the last flush does not complain
    monkeypatch.setattr(sys, "argv", ["ptbill", "units", "--json", "97110=33"])
    monkeypatch.setattr(sys, "stdout", _BrokenPipe())
    monkeypatch.setattr(sys, "stderr", sys.stderr)  # put back after the test: the exit wraps both streams
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 1
    sys.stdout.flush()
    assert capsys.readouterr().err == ""
