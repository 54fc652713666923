"""Read usage log files of any supported format into :class:`LoggedCall` records.

A file is one JSON document or JSON Lines; its format is recognised from its records
(OTLP ``resourceSpans``, LiteLLM spend-log rows, Langfuse observations, promptlint's
own JSONL). A file that cannot be read, or whose format is not recognised, is reported
and skipped: the others are still read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlint.traffic import langfuse, litellm, native, otel
from promptlint.traffic.records import LoggedCall, LogError

MAX_LOG_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class UsageLogs:
    calls: tuple[LoggedCall, ...]
    files: tuple[tuple[str, str, int], ...] = ()  # (file, format, calls read)
    problems: tuple[str, ...] = ()  # files that could not be read, with why
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> records not counted


def _documents(text: str, name: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    documents = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
        except ValueError as exc:
            raise LogError(f"{name}:{number}: not JSON or JSON Lines ({exc.msg})") from None
    return documents


def _records(documents: list[Any]) -> list[Any]:
    """Flatten ``[...]``, ``{"data": [...]}`` and JSON Lines into one list of records."""
    out: list[Any] = []
    for document in documents:
        if isinstance(document, list):
            out.extend(document)
        elif isinstance(document, dict) and isinstance(document.get("data"), list):
            out.extend(document["data"])
        else:
            out.append(document)
    return out


def detect(documents: list[Any]) -> str | None:
    first = next((d for d in documents if isinstance(d, (dict, list))), None)
    if isinstance(first, dict) and "resourceSpans" in first:
        return "otel"
    records = _records(documents[:50])
    for record in records:
        if not isinstance(record, dict):
            continue
        if litellm.looks_like(record):
            return "litellm"
        if langfuse.looks_like(record):
            return "langfuse"
        if native.looks_like(record):
            return "promptlint"
    return None


READERS = {"otel": lambda docs, name: otel.read(docs, name),
           "litellm": lambda docs, name: litellm.read(_records(docs), name),
           "langfuse": lambda docs, name: langfuse.read(_records(docs), name),
           "promptlint": lambda docs, name: native.read(_records(docs), name)}
FORMAT_NAMES = {"otel": "OpenTelemetry (OTLP JSON)", "litellm": "LiteLLM logs", "langfuse": "Langfuse observations",
                "promptlint": "promptlint JSONL"}


def read_file(path: Path, shown: str) -> tuple[str, list[LoggedCall], dict[str, int]]:
    try:
        if path.stat().st_size > MAX_LOG_BYTES:
            raise LogError(f"{shown}: larger than {MAX_LOG_BYTES // (1024 * 1024)} MB; split it")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LogError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LogError(f"{shown}: not UTF-8 text") from None
    documents = _documents(text, shown)
    kind = detect(documents)
    if kind is None:
        raise LogError(f"{shown}: not a usage log promptlint reads (OTLP JSON, LiteLLM, Langfuse or promptlint JSONL)")
    calls: list[LoggedCall] = []
    skipped: dict[str, int] = {}
    for item in READERS[kind](documents, shown):
        if isinstance(item, str):
            skipped[item] = skipped.get(item, 0) + 1
        else:
            calls.append(item)
    return kind, calls, skipped


def read_logs(paths: list[tuple[Path, str]]) -> UsageLogs:
    """``paths`` are (file, how to show it)."""
    calls: list[LoggedCall] = []
    files = []
    problems = []
    skipped: dict[str, int] = {}
    for path, shown in paths:
        try:
            kind, got, skips = read_file(path, shown)
        except LogError as exc:
            problems.append(str(exc))
            continue
        calls.extend(got)
        files.append((shown, kind, len(got)))
        for reason, n in skips.items():
            skipped[reason] = skipped.get(reason, 0) + n
    return UsageLogs(tuple(calls), tuple(files), tuple(problems), skipped)
