"""Reference YAML read once per content: the parsed document is kept in a cache file named by the file's
SHA-256 and ptbill's version, so a command that checks one note does not parse some fifty YAML files (nor
import PyYAML) every time it starts.

The cache lives in ``PTBILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/ptbill``, else ``~/.cache/ptbill``, created
0700. Keyed by content, a changed file is simply a new entry; a file that does not parse is never cached (the
error is raised each time, as before). A cache that cannot be read or written is ignored: the file is parsed.
Only this process's user writes the folder, so unpickling what it holds trusts no one else.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from ptbill import __version__
from ptbill.data_dir import cache_dir

_FORMAT = 1


def load_yaml_file(path: Path, origin: str) -> Any:
    """The document in ``path`` as ``strict_yaml.load_strict_yaml`` reads it; ReferenceDataError naming
    ``origin`` and the line when it is not valid."""
    raw = path.read_bytes()
    key = hashlib.sha256(raw + f"\0{__version__}\0{_FORMAT}".encode()).hexdigest()
    entry = cache_dir() / "yaml" / f"{key}.pickle"
    try:
        with entry.open("rb") as cached:
            return pickle.load(cached)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, IndexError, TypeError, ValueError):
        pass
    from ptbill.reference.strict_yaml import load_strict_yaml  # PyYAML only on a miss

    data = load_strict_yaml(raw.decode("utf-8"), origin)
    _store(entry, data)
    return data


def _store(entry: Path, data: Any) -> None:
    import tempfile  # only a file not cached yet is stored: most commands never load it

    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)  # whole or not at all, whoever else is writing it
    except OSError:
        pass
