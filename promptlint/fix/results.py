"""What a fix run did, per fix and per file: the statuses, edits, measured savings and
diffs that reports render."""

from __future__ import annotations

from dataclasses import dataclass, field

from promptlint.engine import Analysis
from promptlint.fix.files import SourceText
from promptlint.fix.measure import Measured
from promptlint.types import Edit, PricedFinding

# What happened to each fix.
APPLIED, SUGGESTED, SKIPPED, FAILED, REFUSED = "applied", "suggested", "skipped", "failed", "refused"


@dataclass
class FixResult:
    finding: PricedFinding
    applicability: str  # the rule's, or "unsafe" when the edit also changes other prompts
    status: str
    reason: str | None = None
    edits: tuple[Edit, ...] = ()
    measured: Measured | None = None
    diff: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def paths(self) -> set[str]:
        return {e.path for e in self.edits}


@dataclass
class FixRun:
    analysis: Analysis
    results: list[FixResult]
    files: dict[str, tuple[SourceText, str]]  # changed files only: path -> (as read, text with the applied fixes)
    total: Measured | None = None
    after: Analysis | None = None  # the tree with the applied fixes, analyzed again
    written: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # path -> why it was not written
    notes: dict[str, str] = field(default_factory=dict)  # path -> how it was written (through a link, in place)
    notices: list[str] = field(default_factory=list)  # about earlier runs and undone writes
    unfixable: int = 0  # findings without an automatic fix

    def by_status(self, status: str) -> list[FixResult]:
        return [r for r in self.results if r.status == status]

    def diff(self) -> str:
        """One unified diff of every applied change, file by file."""
        return "".join(source.diff(text) for _, (source, text) in sorted(self.files.items()))
