"""axe-core in the page Playwright has open: its violations, by impact. The script is vendored
(tests/browser/vendor/axe-core); a context that runs it needs ``bypass_csp=True``, since the pages allow
no injected script."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} at {', '.join(self.targets[:4])}"


def violations(page: Page) -> list[Violation]:
    """Run axe on the page as it is now (WCAG 2.x A and AA, and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {
               runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               resultTypes: ["violations"],
           })).violations"""
    )
    return [
        Violation(v["id"], v["impact"] or "minor", v["help"], tuple(str(n["target"][0]) for n in v["nodes"]))
        for v in found
    ]
