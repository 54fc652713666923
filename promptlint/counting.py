"""``promptlint count``: tokens and price of one text or template file.

``input_tokens`` is what ``count_tokens`` (or OpenAI's chat counting) returns for the text
sent as one user message: the text's tokens plus the message frame; ``tokens`` is the text
alone.

A template file (Jinja, YAML prompt file) is read through its extractor so only static
text counts and placeholders are listed, exactly as ``check`` would count it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from promptlint.config import Config, ConfigError
from promptlint.discover import classify, relative
from promptlint.extract import EXTRACTORS, decode
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer
from promptlint.tokens import make_counter
from promptlint.tokens.frames import text_frame
from promptlint.types import Diagnostic


def _text_and_holes(source: str, data: bytes, config: Config) -> tuple[str, list[str]]:
    kind = classify(Path(source).as_posix(), config) if source != "-" else None
    text = decode(source, data)
    if isinstance(text, Diagnostic):
        raise ValueError(f"{source}: {text.message}")
    if kind in EXTRACTORS and kind != "python":
        templates = _file_templates(source, config)
        if templates:
            holes: list[str] = []
            for t in templates:
                holes += [h for h in t.placeholders if h not in holes]
            return "\n".join(t.text for t in templates), holes
    return text, []


def _file_templates(source: str, config: Config) -> list:
    """The file's templates as ``check`` sees them: Jinja includes and extends composed."""
    from promptlint.engine import scan

    project, _ = scan([Path(source)], config)
    rel = relative(Path(source).resolve(), Path(config.root).resolve())
    for d in project.diagnostics:
        if d.path == rel and d.code == "PL001":
            raise ValueError(f"{source}: {d.message}")
    return [t for t in project.templates.values() if t.path == rel]


def count_source(source: str, model: str, config: Config) -> dict:
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    text, holes = _text_and_holes(source, data, config)
    catalog = ModelCatalog(config.prices)
    if not catalog.is_known(model):
        closest = catalog.closest(model)
        raise ConfigError(f"unknown model `{model}`" + (f"; did you mean `{closest}`?" if closest else ""))
    counter = make_counter(config, catalog)
    [(tokens, kind)] = counter.count_marked([text], model)
    if kind == "exact-api":
        from promptlint.tokens.request_body import text_body

        [input_tokens] = counter.exact.count_bodies([text_body(counter.exact.api_model(model), text)])
    else:
        input_tokens = None
    if input_tokens is None:
        frame = text_frame(catalog, model)
        input_tokens = tokens + frame.tokens
        if kind == "exact-api" or not frame.measured:
            kind = "estimate"
    warning = counter.exact.warning() if counter.exact is not None else None
    pricer = Pricer(config, catalog)
    price = pricer.price(pricer.template_cost(model, input_tokens))
    return {
        "source": source, "model": model, "tokenizer": "anthropic" if kind == "exact-api" else "offline",
        "count": kind, "exact": kind != "estimate", "warnings": [warning] if warning else [],
        "tokens": tokens, "input_tokens": input_tokens,
        "characters": len(text), "placeholders": holes, "usd_per_request": price.usd_per_request,
        "usd_per_month": price.usd_per_month, "requests_per_month": config.requests_per_month,
    }
