"""The causes a programme tags comments with: keys, names per language, cue words per language.
A value type, serialisable to and from JSON so each programme owns its own edited copy. No I/O
beyond reading the packaged default.

Cue syntax (accents and case never matter): words separated by spaces; `factur*` is a stem (any
ending); `_` stands for one word ("tardan _ en contestar"); a cue starting with `-` is an
exclusion: that phrase is never read as a cue, of any cause ("-a cargo de" keeps "cargo" from
meaning a charge there). At each place in a comment the longest cue wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from .patterns import MIN_STEM, WILDCARD
from .text import EMOJI, phrase_tokens, tokenize

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")
MAX_CAUSES = 100
MAX_CUES_PER_LANGUAGE = 500
MAX_CUE_CHARS = 80
MAX_CUE_WORDS = 6
MAX_NAME_CHARS = 80
DEFAULT_KEYS = (
    "billing",
    "price",
    "product_quality",
    "usability",
    "responsiveness",
    "staff_attitude",
    "staff_knowledge",
    "sales_promise",
    "digital_channels",
    "delivery",
)


class TaxonomyError(ValueError):
    """A taxonomy that cannot be used; `field` names where (e.g. "causes[2].cues.es[4]")."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _check_cue(where: str, cue: Any) -> str:
    if not isinstance(cue, str) or not cue.strip():
        raise TaxonomyError(where, "a cue is a non-empty string")
    cue = " ".join(cue.split())
    if len(cue) > MAX_CUE_CHARS:
        raise TaxonomyError(where, f"at most {MAX_CUE_CHARS} characters")
    words = phrase_tokens(cue.removeprefix("-"))
    if not any(w[:1].isalnum() or w.endswith("*") or tokenize(w)[0].kind == EMOJI for w in words if w != WILDCARD):
        raise TaxonomyError(where, "the cue has no word (or emoji) in it")
    if len(words) > MAX_CUE_WORDS:
        raise TaxonomyError(where, f"at most {MAX_CUE_WORDS} words")
    if words[0] == WILDCARD:
        raise TaxonomyError(where, "a cue cannot start with _")
    for w in words:
        if w.endswith("*") and len(w) - 1 < MIN_STEM:
            raise TaxonomyError(where, f"a stem needs at least {MIN_STEM} letters before *")
    return cue


@dataclass(frozen=True)
class TaxonomyCause:
    key: str
    names: Mapping[str, str]
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    retired: bool = False

    def __post_init__(self):
        # fields are named relative to the cause; Taxonomy.from_dict prefixes "causes[i]."
        if not isinstance(self.key, str) or not KEY_PATTERN.match(self.key):
            raise TaxonomyError("key", "lowercase letters, digits and _, starting with a letter, at most 40")
        if not isinstance(self.names, Mapping) or not self.names:
            raise TaxonomyError("names", "at least one name, by language code")
        names = {}
        for lang, name in self.names.items():
            if not isinstance(lang, str) or not LANG_PATTERN.match(lang):
                raise TaxonomyError("names", f"{str(lang)[:10]!r} is not a language code")
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
                raise TaxonomyError(f"names.{lang}", f"1 to {MAX_NAME_CHARS} characters")
            names[lang] = name.strip()
        if not isinstance(self.cues, Mapping):
            raise TaxonomyError("cues", "an object of cue lists by language code")
        cues = {}
        for lang, items in self.cues.items():
            if not isinstance(lang, str) or not LANG_PATTERN.match(lang):
                raise TaxonomyError("cues", f"{str(lang)[:10]!r} is not a language code")
            if isinstance(items, str) or not isinstance(items, Iterable):
                raise TaxonomyError(f"cues.{lang}", "a list of cues")
            items = list(items)
            if len(items) > MAX_CUES_PER_LANGUAGE:
                raise TaxonomyError(f"cues.{lang}", f"at most {MAX_CUES_PER_LANGUAGE} cues")
            cues[lang] = tuple(dict.fromkeys(_check_cue(f"cues.{lang}[{k}]", c) for k, c in enumerate(items)))
        if not isinstance(self.retired, bool):
            raise TaxonomyError("retired", "true or false")
        object.__setattr__(self, "names", MappingProxyType(names))
        object.__setattr__(self, "cues", MappingProxyType(cues))

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or next(iter(self.names.values()))

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "names": dict(self.names),
            "cues": {k: list(v) for k, v in self.cues.items()},
            "retired": self.retired,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TaxonomyCause:
        if not isinstance(data, Mapping):
            raise TaxonomyError("", "an object with key, names, cues, retired")
        unknown = set(data) - {"key", "names", "cues", "retired"}
        if unknown:
            raise TaxonomyError(str(sorted(unknown)[0]), "unknown field")
        return cls(
            key=data.get("key"),
            names=data.get("names") or {},
            cues=data.get("cues") or {},
            retired=data.get("retired", False),
        )


@dataclass(frozen=True)
class Taxonomy:
    causes: tuple[TaxonomyCause, ...]
    version: int = 1

    def __post_init__(self):
        causes = tuple(self.causes)
        if len(causes) > MAX_CAUSES:
            raise TaxonomyError("causes", f"at most {MAX_CAUSES} causes")
        seen = set()
        for i, cause in enumerate(causes):
            if not isinstance(cause, TaxonomyCause):
                raise TaxonomyError(f"causes[{i}]", "a TaxonomyCause")
            if cause.key in seen:
                raise TaxonomyError(f"causes[{i}].key", f"{cause.key!r} appears twice")
            seen.add(cause.key)
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise TaxonomyError("version", "a positive integer")
        object.__setattr__(self, "causes", causes)

    @property
    def active(self) -> tuple[TaxonomyCause, ...]:
        return tuple(c for c in self.causes if not c.retired)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.causes)

    def get(self, key: str) -> TaxonomyCause | None:
        return next((c for c in self.causes if c.key == key), None)

    def to_dict(self) -> dict:
        return {"version": self.version, "causes": [c.to_dict() for c in self.causes]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Taxonomy:
        if not isinstance(data, Mapping) or not isinstance(data.get("causes"), list):
            raise TaxonomyError("causes", "a taxonomy is an object with a list of causes")
        causes = []
        for i, item in enumerate(data["causes"]):
            try:
                causes.append(TaxonomyCause.from_dict(item))
            except TaxonomyError as e:
                raise TaxonomyError(f"causes[{i}]" + (f".{e.field}" if e.field else ""), e.message) from None
        return cls(causes=tuple(causes), version=data.get("version", 1))

    @classmethod
    def from_json(cls, text: str) -> Taxonomy:
        try:
            data = json.loads(text)
        except ValueError as e:
            raise TaxonomyError("taxonomy", f"not JSON: {e}") from None
        return cls.from_dict(data)


@cache
def _default() -> Taxonomy:
    text = resources.files(__package__).joinpath("data", "taxonomy_default.json").read_text("utf-8")
    return Taxonomy.from_json(text)


DEFAULT_TAXONOMY: Taxonomy = _default()
