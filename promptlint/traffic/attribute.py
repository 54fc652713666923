"""Attribute each logged call to the request site that sent it, or say why not.

In order: a **site tag** (``promptlint.site`` in the call's metadata: a request id, or
``path::function`` when that names one request); else the **fingerprint** of the static
text, among the sites whose model agrees with the logged one (a site whose model is not a
literal agrees with any). An exact match (every static piece in order) beats an
approximate one; among exact matches the site that explains the most static text wins, so
two sites sharing a system prompt are told apart by their other static parts; two that
cannot be told apart are **ambiguous**. A call no site matches is **unattributed**. Both
are listed with their reason, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from promptlint.models import ModelCatalog
from promptlint.traffic.fingerprint import Fingerprint, Match, call_document, fingerprint, match, shingles
from promptlint.traffic.records import LoggedCall
from promptlint.types import Project

APPROXIMATE = 0.8  # shingle containment for an approximate match
CANDIDATE = 0.5  # shingle containment below which a site is not compared piece by piece
_DATE = re.compile(r"(-|@)(\d{8}|\d{4}-\d{2}-\d{2}|latest|v\d+(:\d+)?)$")


@dataclass(frozen=True)
class Unattributed:
    call: LoggedCall
    reason: str
    candidates: tuple[str, ...] = ()  # the sites it could be (ambiguous) or nearly matched


@dataclass(frozen=True)
class Attribution:
    by_site: dict[str, tuple[LoggedCall, ...]] = field(default_factory=dict)
    approximate: dict[str, int] = field(default_factory=dict)  # site -> calls matched approximately
    how: dict[str, dict[str, int]] = field(default_factory=dict)  # site -> {"tag"|"text"|"approximate": n}
    unattributed: tuple[Unattributed, ...] = ()

    @property
    def ambiguous(self) -> tuple[Unattributed, ...]:
        return tuple(u for u in self.unattributed if len(u.candidates) > 1 and u.reason.startswith("ambiguous"))

    @property
    def attributed(self) -> int:
        return sum(len(c) for c in self.by_site.values())


def model_key(model: str | None, catalog: ModelCatalog | None = None) -> str | None:
    """A model id as logs and code both spell it: no provider prefix, no date suffix."""
    if not model:
        return None
    name = model.strip().lower().rsplit("/", 1)[-1]
    if catalog is not None:
        canonical = catalog.canonical(name)
        if canonical:
            name = canonical.lower()
    previous = None
    while previous != name:
        previous = name
        name = _DATE.sub("", name)
    return name


class Attributor:
    def __init__(self, project: Project, catalog: ModelCatalog | None = None) -> None:
        self.catalog = catalog
        self.prints: list[Fingerprint] = [fingerprint(r, project) for r in project.requests]
        self.ids = {r.id for r in project.requests}
        self._models = {fp.site: model_key(fp.model, catalog) for fp in self.prints}
        self._index: dict[str, list[int]] = {}  # shingle -> usable fingerprints holding it
        for i, fp in enumerate(self.prints):
            if fp.usable:
                for gram in fp.shingles:
                    self._index.setdefault(gram, []).append(i)

    def candidates(self, grams: set[str]) -> list[Fingerprint]:
        """Usable fingerprints sharing at least half their shingles with the call: an exact
        match shares (nearly) all of them, so nothing that could match is left out."""
        hits: dict[int, int] = {}
        for gram in grams & self._index.keys():
            for i in self._index[gram]:
                hits[i] = hits.get(i, 0) + 1
        return [self.prints[i] for i, n in hits.items() if n >= CANDIDATE * len(self.prints[i].shingles)]

    def resolve_tag(self, tag: str) -> str | None:
        if tag in self.ids:
            return tag
        within = [rid for rid in self.ids if rid.startswith(tag + "::")]
        return within[0] if len(within) == 1 else None

    def agrees(self, site: str, model: str | None) -> bool:
        wanted = self._models.get(site)
        return wanted is None or model is None or wanted == model

    def attribute(self, call: LoggedCall) -> tuple[str | None, str, Unattributed | None]:
        """(site, how, None) or (None, "", why not)."""
        if call.site is not None:
            site = self.resolve_tag(call.site)
            if site is not None:
                return site, "tag", None
            return None, "", Unattributed(call, f"site tag `{call.site}` names no request site in the scanned tree")
        if not call.has_text:
            return None, "", Unattributed(call, "the log recorded neither a site tag nor the text sent")
        model = model_key(call.model, self.catalog)
        document = call_document(call.system, call.messages)
        grams = shingles(document)
        usable = self.candidates(grams)
        agreeing = [fp for fp in usable if self.agrees(fp.site, model)]
        matches = [match(fp, document, grams) for fp in agreeing]
        exact = [m for m in matches if m.exact]
        if exact:
            return self._pick(call, exact, "text")
        close = [m for m in matches if m.containment >= APPROXIMATE]
        if close:
            return self._pick(call, close, "approximate")
        # the text matches a site of another model: worth saying so
        others = [match(fp, document, grams) for fp in usable if fp not in agreeing]
        near = sorted((m for m in others if m.exact or m.containment >= APPROXIMATE),
                      key=lambda m: -m.matched_chars)
        if near:
            return None, "", Unattributed(call, f"the text matches {near[0].site}, but the log's model "
                                                f"({call.model}) is not that site's", (near[0].site,))
        best = max(matches, key=lambda m: m.containment, default=None)
        hint = (best.site,) if best is not None and best.containment >= 0.3 else ()
        return None, "", Unattributed(call, "no request site's static text matches the text sent", hint)

    def _pick(self, call: LoggedCall, found: list[Match], how: str):
        if how == "text":
            key = lambda m: (m.matched_chars,)  # noqa: E731 - the most specific exact match
        else:
            key = lambda m: (round(m.containment, 2), m.matched_chars)  # noqa: E731 - then the most specific
        found.sort(key=lambda m: (tuple(-k for k in key(m)), m.site))
        best = found[0]
        tied = [m.site for m in found if key(m) == key(best)]
        if len(tied) > 1:
            return None, "", Unattributed(call, f"ambiguous: {len(tied)} request sites send the same static text",
                                          tuple(tied))
        return best.site, how, None


def attribute(calls, project: Project, catalog: ModelCatalog | None = None) -> Attribution:
    attributor = Attributor(project, catalog)
    by_site: dict[str, list[LoggedCall]] = {}
    how: dict[str, dict[str, int]] = {}
    unattributed: list[Unattributed] = []
    for call in calls:
        site, kind, missing = attributor.attribute(call)
        if site is None:
            unattributed.append(missing)
            continue
        by_site.setdefault(site, []).append(call)
        counts = how.setdefault(site, {})
        counts[kind] = counts.get(kind, 0) + 1
    approximate = {site: n["approximate"] for site, n in how.items() if n.get("approximate")}
    return Attribution({s: tuple(c) for s, c in by_site.items()}, approximate, how, tuple(unattributed))
