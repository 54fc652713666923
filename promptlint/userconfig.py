"""Settings only the user can give, never the scanned repository.

A repository's own config is input to the scan, and the scan may be of a stranger's pull
request. Whatever would run code or spend the user's credentials is therefore decided
here, from the command line, the environment, or the user's own config file
(``$XDG_CONFIG_HOME/promptlint/config.toml``, by default ``~/.config/promptlint/config.toml``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from promptlint.config import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

USER_KEYS = ("plugins", "tokenizer")
PLUGINS_ENV = "PROMPTLINT_PLUGINS"
TOKENIZERS = ("offline", "anthropic")


@dataclass(frozen=True)
class UserSettings:
    plugins: frozenset[str] = frozenset()  # entry-point names, or {"all"}
    source: str | None = None
    tokenizer: str | None = None  # "anthropic": count exactly in every project (the user's key, the user's word)

    def plugin_enabled(self, name: str, distribution: str | None) -> bool:
        if "all" in self.plugins:
            return True
        return name in self.plugins or (distribution is not None and distribution in self.plugins)


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "promptlint" / "config.toml"


def _names(value: object, where: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `plugins` must be a list of entry-point or distribution names")
    return frozenset(v.strip() for v in value if v.strip())


def load_user_settings() -> UserSettings:
    """The user's own settings: ``PROMPTLINT_PLUGINS`` and the user config file, merged."""
    plugins: set[str] = set()
    source = None
    path = user_config_path()
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ConfigError(f"{path}: cannot read user config: {exc}") from None
        for key in data:
            if key not in USER_KEYS:
                raise ConfigError(f"{path}: unknown key `{key}` in the user config (keys: {', '.join(USER_KEYS)})")
        plugins |= _names(data.get("plugins", []), str(path))
        tokenizer = data.get("tokenizer")
        if tokenizer is not None and tokenizer not in TOKENIZERS:
            raise ConfigError(f"{path}: `tokenizer` must be \"offline\" or \"anthropic\", got {tokenizer!r}")
        source = str(path)
    else:
        tokenizer = None
    env = os.environ.get(PLUGINS_ENV, "")
    plugins |= {p.strip() for p in env.split(",") if p.strip()}
    return UserSettings(frozenset(plugins), source, tokenizer)


def choose_tokenizer(repo_value: str, given: str | None, where: str | None) -> tuple[str, str | None]:
    """The counter to use, and a notice when the repository's config asked for one it may
    not have: ``--tokenizer`` wins, then the user config; a repository's own
    ``tokenizer = "anthropic"`` would open connections with the user's key, so it is
    reported and the offline counter used."""
    if given is not None:
        return given, None
    user = load_user_settings().tokenizer
    if user is not None:
        return user, None
    if repo_value == "anthropic":
        return "offline", (f"{where or 'config'}: `tokenizer = \"anthropic\"` is not obeyed: a repository's config "
                           f"cannot make promptlint send prompts with your API key; pass --tokenizer anthropic, or set "
                           f"tokenizer = \"anthropic\" in {user_config_path()}")
    return repo_value, None
