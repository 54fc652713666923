"""Write and compare prompt inventories: the CI gate that fails a pull request whose prompts grew.

A baseline is the audit inventory frozen in a JSON file committed next to the code: every
template and request by its stable id (``path::qualified.name``, ``path::function::api#n``;
never a line number, so moving code does not churn it), with its tokens, the model it is
priced as and its dollars. Keys are sorted and nothing else varies between runs, so the
file diffs cleanly in review and a rewrite with no prompt change is byte-identical.

Comparing walks the union of ids. An entry fails the gate when it grew beyond
``max-increase`` (:mod:`promptlint.thresholds`: its tokens, its dollars, or the price of
each of its tokens, so a swap to a dearer model fails even when no token changed); so does
either total (request input, template text). A new entry does not fail on its own, since
adding a prompt is ordinary work, but it grows the totals, so a large new prompt still
fails. Removed entries are listed and never fail. A budget with its own ``max-increase``
(``budgets = [{path = "app/agents/**", max-increase = "2x"}]``) applies it to the entries
under its glob, one by one and together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from promptlint.atomic import write_atomic
from promptlint.report import round_usd
from promptlint.globs import match_path
from promptlint.thresholds import Growth, MaxIncrease

FORMAT_VERSION = 1
KINDS = ("request", "template")
SETTINGS = ("default_model", "requests_per_month", "cache_hit_rate", "tokenizer")


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a promptlint baseline (exit code 2)."""


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # request | template
    tokens: int
    model: str
    usd_per_request: float
    usd_per_month: float
    # where usd_per_month's traffic came from ({requests_per_month, source}) and whether the
    # entry is production; recorded for readers, not compared
    traffic: dict | None = None
    production: bool = True

    def to_json(self) -> dict:
        out = {"tokens": self.tokens, "model": self.model,
               "usd_per_request": round_usd(self.usd_per_request), "usd_per_month": round_usd(self.usd_per_month)}
        if self.traffic is not None:
            out["traffic"] = self.traffic
            out["production"] = self.production
        return out


@dataclass(frozen=True)
class Inventory:
    entries: dict[tuple[str, str], Entry]  # (kind, id) -> entry
    settings: dict = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for (k, _), e in sorted(self.entries.items()) if k == kind]

    def total(self, kind: str) -> tuple[int, float]:
        entries = self.of_kind(kind)
        return sum(e.tokens for e in entries), sum(e.usd_per_month for e in entries)

    def growth(self, kind: str, where: str | None = None) -> Growth:
        """The total of ``kind`` (of the entries under the glob ``where``) as the gate compares it."""
        entries = [e for e in self.of_kind(kind) if where is None or _under(where, e.id)]
        return Growth(sum(e.tokens for e in entries), sum(e.usd_per_month for e in entries),
                      sum(e.usd_per_request for e in entries))

    def to_json(self) -> dict:
        doc: dict = {"promptlint_baseline": FORMAT_VERSION, "settings": dict(self.settings)}
        for kind in KINDS:
            doc[f"{kind}s"] = {e.id: e.to_json() for e in self.of_kind(kind)}
        tokens, usd = self.total("request")
        doc["totals"] = {"requests": {"tokens": tokens, "usd_per_month": round_usd(usd)},
                         "templates": {"tokens": self.total("template")[0]}}  # template prices do not add up to a bill
        return doc


def inventory(analysis) -> Inventory:
    """Every request and template of an analysis, with what the gate compares."""
    config = analysis.config
    measured = analysis.measurements
    entries: dict[tuple[str, str], Entry] = {}
    for request in analysis.project.requests:
        counts = measured.requests[request.id]
        price = analysis.request_prices[request.id]
        site = analysis.traffic.of_request(request.id)
        entries[("request", request.id)] = Entry(request.id, "request", counts.input_tokens, counts.model,
                                                 price.usd_per_request, price.usd_per_month,
                                                 site.to_json(), site.production)
    for tid in analysis.project.templates:
        price = analysis.template_prices[tid]
        site = analysis.traffic.of_template(tid)
        entries[("template", tid)] = Entry(tid, "template", measured.templates[tid], measured.template_models[tid],
                                           price.usd_per_request, price.usd_per_month, site.to_json(), site.production)
    settings = {"default_model": config.default_model, "requests_per_month": config.requests_per_month,
                "cache_hit_rate": config.cache_hit_rate, "tokenizer": measured.tokenizer}
    return Inventory(entries, settings)


def dumps(inv: Inventory) -> str:
    return json.dumps(inv.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(inv: Inventory, path: Path) -> None:
    """Write atomically: a reader (or a crash) never sees half a baseline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dumps(inv).encode("utf-8"))


def load(path: Path) -> Inventory:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist; write it with `promptlint audit --write-baseline {path}`") from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("promptlint_baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path} is not a promptlint baseline (version {FORMAT_VERSION})")
    entries: dict[tuple[str, str], Entry] = {}
    for kind in KINDS:
        table = data.get(f"{kind}s", {})
        if not isinstance(table, dict):
            raise BaselineError(f"baseline {path}: `{kind}s` must be an object of id -> entry")
        for eid, raw in table.items():
            try:
                entries[(kind, eid)] = Entry(eid, kind, int(raw["tokens"]), str(raw.get("model", "")),
                                             float(raw.get("usd_per_request", 0)), float(raw.get("usd_per_month", 0)))
            except (TypeError, KeyError, ValueError):
                raise BaselineError(f"baseline {path}: entry `{eid}` needs a whole number of `tokens`") from None
    settings = data.get("settings") if isinstance(data.get("settings"), dict) else {}
    return Inventory(entries, settings)


@dataclass(frozen=True)
class Change:
    """One id's before and after; ``None`` on the side where it does not exist."""

    id: str
    kind: str
    before: Entry | None
    after: Entry | None
    exceeded: bool = False
    reason: str | None = None  # why it is over the limit: "price per token rose 16.7x (gpt-4o-mini -> gpt-4o)"

    @property
    def status(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "removed"
        if self.after.tokens > self.before.tokens:
            return "grown"
        if self.after.tokens < self.before.tokens:
            return "shrunk"
        if round_usd(self.after.usd_per_month) != round_usd(self.before.usd_per_month):
            return "repriced"  # same tokens, another model or price
        return "unchanged"

    @property
    def tokens_before(self) -> int:
        return self.before.tokens if self.before else 0

    @property
    def tokens_after(self) -> int:
        return self.after.tokens if self.after else 0

    @property
    def usd_before(self) -> float:
        return self.before.usd_per_month if self.before else 0.0

    @property
    def usd_after(self) -> float:
        return self.after.usd_per_month if self.after else 0.0


@dataclass(frozen=True)
class Total:
    kind: str
    tokens_before: int
    tokens_after: int
    usd_before: float
    usd_after: float
    exceeded: bool
    reason: str | None = None
    where: str | None = None  # a budget's glob: the total of the entries under it


@dataclass(frozen=True)
class Comparison:
    baseline: str  # the file, as the user named it
    limit: MaxIncrease
    changes: tuple[Change, ...]
    totals: tuple[Total, ...]
    notes: tuple[str, ...] = ()
    budget_totals: tuple[Total, ...] = ()  # per budget glob with its own max-increase

    @property
    def failed(self) -> bool:
        return any(c.exceeded for c in self.changes) or any(t.exceeded for t in (*self.totals, *self.budget_totals))

    @property
    def changed(self) -> list[Change]:
        """What a reviewer reads: failures first, then the biggest moves in dollars."""
        moved = [c for c in self.changes if c.status != "unchanged"]
        order = {"grown": 0, "new": 1, "repriced": 2, "removed": 3, "shrunk": 4}
        return sorted(moved, key=lambda c: (not c.exceeded, order[c.status],
                                            -abs(c.usd_after - c.usd_before), c.kind, c.id))

    @property
    def unchanged(self) -> int:
        return sum(1 for c in self.changes if c.status == "unchanged")

    def total(self, kind: str) -> Total:
        return next(t for t in self.totals if t.kind == kind)

    def to_json(self) -> dict:
        def side(entry: Entry | None) -> dict | None:
            return None if entry is None else {"tokens": entry.tokens, "model": entry.model,
                                               "usd_per_month": round_usd(entry.usd_per_month)}

        return {
            "file": self.baseline, "max_increase": self.limit.describe(), "failed": self.failed,
            "changes": [{"id": c.id, "kind": c.kind, "status": c.status, "exceeded": c.exceeded, "reason": c.reason,
                         "before": side(c.before), "after": side(c.after),
                         "delta_tokens": c.tokens_after - c.tokens_before,
                         "delta_usd_per_month": round_usd(c.usd_after - c.usd_before)} for c in self.changed],
            "unchanged": self.unchanged,
            "totals": {f"{t.kind}s": {"tokens_before": t.tokens_before, "tokens_after": t.tokens_after,
                                      "exceeded": t.exceeded,
                                      **({"usd_per_month_before": round_usd(t.usd_before),
                                          "usd_per_month_after": round_usd(t.usd_after)} if t.kind == "request" else {})}
                       for t in self.totals},
            "budgets": [{"path": t.where, "kind": t.kind, "tokens_before": t.tokens_before, "tokens_after": t.tokens_after,
                         "usd_per_month_before": round_usd(t.usd_before), "usd_per_month_after": round_usd(t.usd_after),
                         "exceeded": t.exceeded, "reason": t.reason} for t in self.budget_totals],
            "notes": list(self.notes),
        }


def compare(before: Inventory, after: Inventory, limit: MaxIncrease, baseline: str,
            budgets: tuple[tuple[str, MaxIncrease], ...] = ()) -> Comparison:
    """``budgets``: (glob, limit) pairs that also apply, to the entries under each glob."""
    changes = []
    for key in sorted(set(before.entries) | set(after.entries)):
        old, new = before.entries.get(key), after.entries.get(key)
        reason = None
        if old is not None and new is not None:
            limits = [(None, limit), *((glob, own) for glob, own in budgets if _under(glob, key[1]))]
            reason = next((r for glob, own in limits if (r := _entry_reason(own, old, new, glob))), None)
        changes.append(Change(key[1], key[0], old, new, reason is not None, reason))
    totals = [_total(kind, before.growth(kind), after.growth(kind), limit) for kind in KINDS]
    budget_totals = [_total(kind, before.growth(kind, glob), after.growth(kind, glob), own, glob)
                     for glob, own in budgets for kind in KINDS]
    return Comparison(baseline, limit, tuple(changes), tuple(totals), _setting_notes(before.settings, after.settings),
                      tuple(t for t in budget_totals if t.tokens_before or t.tokens_after))


def _under(glob: str, ident: str) -> bool:
    return match_path(glob, ident.split("::", 1)[0]) or match_path(glob, ident)


def _entry_reason(limit: MaxIncrease, old: Entry, new: Entry, glob: str | None) -> str | None:
    reason = limit.reason(Growth(old.tokens, old.usd_per_month, old.usd_per_request, old.model),
                          Growth(new.tokens, new.usd_per_month, new.usd_per_request, new.model))
    if reason is None:
        return None
    if old.model != new.model:
        reason += f" ({old.model} -> {new.model})"
    return reason + (f", over the budget for `{glob}` ({limit.describe()})" if glob else "")


def _total(kind: str, old: Growth, new: Growth, limit: MaxIncrease, where: str | None = None) -> Total:
    reason = limit.reason(old, new)
    return Total(kind, int(old.tokens), int(new.tokens), old.usd_per_month, new.usd_per_month, reason is not None,
                 reason, where)


def _setting_notes(old: dict, new: dict) -> tuple[str, ...]:
    """Settings that change every number at once deserve a word before anyone reads deltas."""
    notes = []
    for key in SETTINGS:
        if key in old and key in new and old[key] != new[key]:
            notes.append(f"the baseline was written with {key.replace('_', '-')} = {old[key]!r}, "
                         f"now {new[key]!r}: deltas include that change")
    return tuple(notes)
