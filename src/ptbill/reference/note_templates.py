"""The note templates ptbill ships: ``reference_data/note_templates/<key>.yaml``, one template a file.

Each file is read as other reference data is (strict YAML, a key written twice refused; parsed once per
content through the YAML cache) and checked as a note as it loads (``domain.note_template.read_template``):
a template that does not read is refused with ReferenceDataError naming its file and field, and none of the
shipped templates is offered until it is fixed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.note_template import NoteTemplate, TemplateFormatError, read_template
from ptbill.reference.yaml_cache import load_yaml_file

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "reference_data" / "note_templates"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


@dataclass(frozen=True, slots=True)
class ShippedTemplate:
    key: str  # the file's name without .yaml: lumbar-radiculopathy
    template: NoteTemplate


def load_templates(folder: Path) -> tuple[ShippedTemplate, ...]:
    """Every template in ``folder``, by name; ReferenceDataError naming the file and each bad field."""
    found = []
    for path in sorted(folder.glob("*.yaml")):
        origin = f"note_templates/{path.name}"
        if not _KEY.fullmatch(path.stem):
            raise ReferenceDataError(f"{origin}: a template's file name is lower-case letters, digits and dashes")
        data = load_yaml_file(path, origin)
        try:
            template = read_template(data, origin)
        except TemplateFormatError as exc:
            raise ReferenceDataError("\n".join(f"{origin}: {problem}" for problem in exc.problems)) from None
        found.append(ShippedTemplate(path.stem, template))
    names = [shipped.template.name for shipped in found]
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise ReferenceDataError(f"note_templates: more than one template is named {', '.join(repeated)}")
    return tuple(sorted(found, key=lambda shipped: shipped.template.name))


@functools.cache
def shipped_templates() -> tuple[ShippedTemplate, ...]:
    """ptbill's templates, read once per process."""
    return load_templates(TEMPLATES_DIR)
