"""The methods ``dataclasses`` writes for ptbill's value classes, compiled once per machine instead of at every start.

Python 3.11's ``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and the
frozen class's ``__setattr__`` as source text and compiles each with ``exec``: about a millisecond a class, and the
modules ``ptbill check`` loads make fifty (79 ms of a 0.25 s start on this machine, round 9). The compiled code
depends on nothing but that text, so ``install`` has ``dataclasses`` use an ``exec`` that looks the text up in a
file of code objects compiled before (``marshal``, as Python's own ``.pyc`` files) and compiles only what is not
there; the command adds what it compiled when it ends. The classes are made as before, by ``dataclasses``, with
the same methods: only the compiling is skipped.

The file lives beside the reference YAML cache (``PTBILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/ptbill``, else
``~/.cache/ptbill``, ``code/``), named by the interpreter's cache tag and ptbill's version. Only this user writes
the folder (0700), as for ``.pyc`` files; a file that cannot be read is ignored, one that cannot be written is
not written.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from ptbill import __version__
from ptbill.data_dir import cache_dir

_FORMAT = 1
MOST = 4_000  # sources kept: ptbill makes a few hundred; a process loading other libraries adds theirs up to here


class CompiledSources:
    """Code compiled from source text, read from ``path`` and added to as the process compiles more."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.owner = os.getpid()
        self.added = 0
        self.codes: dict[str, CodeType] = {}
        try:
            loaded = marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if isinstance(loaded, dict):
            self.codes = {text: code for text, code in loaded.items() if type(text) is str and type(code) is CodeType}

    def exec(self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        if type(source) is str:
            code = self.codes.get(source)
            if code is None:
                code = compile(source, "<string>", "exec")
                if len(self.codes) < MOST:
                    self.codes[source] = code
                    self.added += 1
            source = code
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """Write the file again if this process compiled something new (not a forked child: its parent writes)."""
        if not self.added or os.getpid() != self.owner:
            return
        import tempfile

        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                marshal.dump(self.codes, out)
            os.replace(temporary, self.path)  # whole or not at all, whoever else is writing it
            self.added = 0
        except (OSError, ValueError):
            pass


def cache_file() -> Path:
    return cache_dir() / "code" / f"dataclass-methods-{sys.implementation.cache_tag}-{__version__}-{_FORMAT}.marshal"


def install() -> CompiledSources | None:
    """Have ``dataclasses`` compile through the cache from now on in this process (once); the cache is written when
    the process ends. None where ``dataclasses`` does not compile through ``exec`` by that name."""
    current = getattr(dataclasses, "exec", None)
    if isinstance(getattr(current, "__self__", None), CompiledSources):
        return current.__self__  # type: ignore[no-any-return,union-attr]
    create = getattr(dataclasses, "_create_fn", None)  # Python 3.11 and 3.12 compile each method there
    if create is None or "exec" not in create.__code__.co_names:
        return None
    sources = CompiledSources(cache_file())
    dataclasses.exec = sources.exec  # type: ignore[attr-defined]  # found before the builtin by _create_fn
    atexit.register(sources.save)
    return sources
