"""Which rules and reference data decided something: the rule-set version plus a content hash of every
parameter and code-set file the catalog reads (shipped data, a clinic's overlay folders, installed CMS tables).

Stored with each check result and each claim, it says whether a past decision can be reproduced as it
was. A catalog reads each file once and keeps what it read, so its fingerprint is computed once too (and
each file hashed once per size and modification time); after that it costs a dictionary lookup.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path

from ptbill.reference.catalog import ReferenceCatalog

HASH_LENGTH = 16  # hex digits of SHA-256 kept: enough to tell two data sets apart, short enough to show
_CHUNK = 1 << 20

_lock = threading.Lock()
_file_hashes: dict[Path, tuple[int, int, str]] = {}  # path → (size, mtime_ns, sha256)
_by_catalog: weakref.WeakKeyDictionary[ReferenceCatalog, str] = weakref.WeakKeyDictionary()


def _file_hash(path: Path, size: int, mtime_ns: int) -> str:
    with _lock:
        cached = _file_hashes.get(path)
    if cached is not None and cached[:2] == (size, mtime_ns):
        return cached[2]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _file_hashes[path] = (size, mtime_ns, value)
    return value


def content_hash(roots: Iterable[Path]) -> str:
    """SHA-256 over each file's path (relative to its root) and content, in a fixed order; hex, shortened."""
    digest = hashlib.sha256()
    for number, root in enumerate(roots):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            stat = path.stat()
            relative = path.relative_to(root).as_posix()
            digest.update(f"{number}:{relative}\0{_file_hash(path, stat.st_size, stat.st_mtime_ns)}\n".encode())
    return digest.hexdigest()[:HASH_LENGTH]


def data_roots(catalog: ReferenceCatalog) -> tuple[Path, ...]:
    """The folders whose files decide what the catalog answers."""
    installed = (catalog.installed_dir,) if catalog.installed_dir is not None else ()
    return (catalog.data_dir, *catalog.overlay_dirs, *installed)


def fingerprint(ruleset_version: str, catalog: ReferenceCatalog) -> str:
    """``<rule-set version>+<content hash>``, e.g. ``0.1.0+3f9a0c1d2e4b5a69``."""
    with _lock:
        known = _by_catalog.get(catalog)
    if known is None:
        known = content_hash(data_roots(catalog))
        with _lock:
            _by_catalog[catalog] = known
    return f"{ruleset_version}+{known}"
