"""Lazo's built-in comment analyzer: lexicons and rules, Spanish and English, offline. No I/O
beyond reading its packaged word lists once."""

from __future__ import annotations

from .analysis import NEUTRAL, POLARITY_OF, CommentAnalysis
from .causes import CueMatcher, compile_cues, tag_causes
from .emotion import emotion
from .keyphrases import keyphrases
from .language import UNDETERMINED, LanguageIdentifier
from .lexicon import LANGUAGES, abbreviations, lexicon
from .patterns import Speller
from .sentiment import SUPERLATIVE, sentiment
from .taxonomy import DEFAULT_TAXONOMY, Taxonomy
from .text import CAPS, WORD, tokenize

# Languages read with the Spanish lexicon (close enough for sentiment words); the rest with English.
_READ_AS_SPANISH = frozenset({"es", "pt", "it", "ca", "gl", "fr"})
_SUPERLATIVE_ENDINGS = ("isimos", "isimas", "isimo", "isima")
_COMPILED_LIMIT = 32
_PREPARED_LIMIT = 50_000
_NOT_SUPERLATIVES = frozenset(
    {
        "latest",
        "honest",
        "interest",
        "forest",
        "request",
        "protest",
        "suggest",
        "harvest",
        "manifest",
        "contest",
        "arrest",
        "invest",
        "digest",
        "modest",
        "earnest",
        "guest",
        "midwest",
    }
)


def _shouting(tokens) -> bool:
    """Most words in CAPS: the whole comment is shouted, so CAPS on one word says less."""
    caps = sum(1 for t in tokens if t.flags & CAPS)
    if caps < 2:
        return False
    words = sum(1 for t in tokens if t.kind == WORD and t.end - t.start > 1)
    return caps >= 0.8 * words


def _has_cues(taxonomy: Taxonomy, language: str) -> bool:
    """A comment in another language is tagged only if the taxonomy has cues in it."""
    return any(cause.cues.get(language) for cause in taxonomy.active)


class LexiconAnalyzer:
    """The default `CommentAnalyzer`. One instance serves any number of comments and taxonomies
    (compiled cue lists are cached per taxonomy object)."""

    name = "lazo-lexicon"
    version = "1.0.0"

    def __init__(self) -> None:
        self._label = f"{self.name} {self.version}"
        self._lex = {lang: lexicon(lang) for lang in LANGUAGES}
        self._default_cues = compile_cues(DEFAULT_TAXONOMY)
        vocabulary = set(self._default_cues.words)
        for lex in self._lex.values():
            vocabulary |= lex.words | lex.stopwords
        self._known = frozenset(vocabulary)
        self._shorthand = abbreviations()
        self._speller = Speller(vocabulary)
        self._compiled: dict[int, tuple[Taxonomy, CueMatcher]] = {
            id(DEFAULT_TAXONOMY): (DEFAULT_TAXONOMY, self._default_cues)
        }
        # what counts as a word of each analysed language when identifying the language
        cues_by_language = {lang: compile_cues(DEFAULT_TAXONOMY, (lang,)) for lang in LANGUAGES}
        vocabularies = {
            lang: (lambda w, lex=self._lex[lang], cues=cues_by_language[lang]: lex.matcher.knows(w) or cues.knows(w))
            for lang in LANGUAGES
        }
        self._languages = LanguageIdentifier(self._lex, vocabularies)
        self._prepared: dict[str, tuple[str, int]] = {}
        self._function_words = frozenset().union(*(lex.stopwords for lex in self._lex.values()))

    @property
    def label(self) -> str:
        return self._label

    def _cues(self, taxonomy: Taxonomy) -> CueMatcher:
        hit = self._compiled.get(id(taxonomy))
        if hit is not None and hit[0] is taxonomy:
            return hit[1]
        matcher = compile_cues(taxonomy)
        if len(self._compiled) >= _COMPILED_LIMIT:
            self._compiled = {id(DEFAULT_TAXONOMY): (DEFAULT_TAXONOMY, self._default_cues)}
        self._compiled[id(taxonomy)] = (taxonomy, matcher)
        return matcher

    def _understood(self, word: str) -> bool:
        return (
            word in self._known
            or self._default_cues.knows(word)
            or any(lex.matcher.knows(word) for lex in self._lex.values())
        )

    def _prepare(self, tokens) -> tuple[list[str], list[str], list[str], list[int]]:
        """Token norms for the lexicons (shorthand expanded, typos corrected, "-ísimo" folded onto
        its base word); the same without typo correction, for telling the language (a Portuguese
        "fatura" is no Spanish "factura"); the norms as typed, for a taxonomy's own cue words;
        and flags."""
        norms, ident, raw, flags = [], [], [], []
        cache = self._prepared
        for tok in tokens:
            word = tok.norm
            raw.append(word)
            if tok.kind != WORD:
                norms.append(word)
                ident.append(word)
                flags.append(tok.flags)
                continue
            hit = cache.get(word)
            if hit is None:
                hit = self._prepare_word(word)
                if len(cache) >= _PREPARED_LIMIT:
                    cache.clear()
                cache[word] = hit
            norms.append(hit[0])
            ident.append(word if hit[2] else hit[0])
            flags.append(tok.flags | hit[1])
        return norms, ident, raw, flags

    def _prepare_word(self, word: str) -> tuple[str, int, bool]:
        """(the word to match, flags, whether it is a typo correction)."""
        if word in self._shorthand:
            return self._shorthand[word], 0, False
        if len(word) > 5:
            base = self._superlative_base(word) or self._english_superlative_base(word)
            if base:
                return base, SUPERLATIVE, False
            if not self._understood(word):
                corrected = self._speller.correct(word)
                return corrected, 0, corrected != word
        return word, 0, False

    def _superlative_base(self, word: str) -> str | None:
        """ "carísimo" -> "caro", "amabilísima" -> "amable": Spanish's built-in intensifier."""
        for ending in _SUPERLATIVE_ENDINGS:
            if word.endswith(ending):
                stem = word[: -len(ending)]
                plural = "s" if ending.endswith("s") else ""
                cands = [stem + ("o" if ending[4] == "o" else "a") + plural, stem + "e" + plural, stem + plural]
                if stem.endswith("bil"):
                    cands.insert(0, stem[:-3] + "ble" + plural)
                if stem.endswith("qu"):
                    cands.insert(0, stem[:-2] + "co")
                if stem.endswith("gu"):
                    cands.insert(0, stem[:-1] + "o")
                return next((c for c in cands if self._understood(c)), None)
        return None

    def _english_superlative_base(self, word: str) -> str | None:
        """ "smoothest" -> "smooth", "friendliest" -> "friendly", "biggest" -> "big", when the
        base is an opinion word and the word itself is not one ("latest", "honest")."""
        if not word.endswith("est") or word in _NOT_SUPERLATIVES or self._lex["en"].matcher.knows(word):
            return None
        stem = word[:-3]
        cands = [stem, stem + "e"]
        if stem.endswith("i"):
            cands.insert(0, stem[:-1] + "y")
        if len(stem) > 2 and stem[-1] == stem[-2]:
            cands.append(stem[:-1])
        lexicon = self._lex["en"].matcher
        return next((c for c in cands if len(c) > 2 and c in lexicon.words), None)

    def analyze(self, text: str, taxonomy: Taxonomy = DEFAULT_TAXONOMY) -> CommentAnalysis | None:
        if not isinstance(text, str) or not text.strip():
            return None
        tokens = tokenize(text, self._known)
        norms, ident, raw, flags = self._prepare(tokens)
        language = self._languages.identify(tokens, ident, text)
        primary = "es" if language in _READ_AS_SPANISH else "en"
        if language == UNDETERMINED:
            primary = "es" if self._spanish_leaning(norms) else "en"
        lex = self._lex[primary]
        fallback = self._lex["en" if primary == "es" else "es"]
        s = sentiment(tokens, norms, flags, lex, fallback, _shouting(tokens))
        mood = emotion(s)
        polarity = POLARITY_OF[mood]
        causes = ()
        if language in LANGUAGES or language == UNDETERMINED or _has_cues(taxonomy, language):
            cues = self._cues(taxonomy)
            cue_norms = (
                norms
                if cues is self._default_cues
                else [r if r != n and cues.knows(r) else n for r, n in zip(raw, norms)]
            )
            causes = tag_causes(text, tokens, cue_norms, s, cues, polarity or NEUTRAL)
        phrases = keyphrases(text, tokens, norms, s.lexical, self._function_words)
        return CommentAnalysis(language, round(s.score, 3), polarity, mood, causes, phrases, self.label)

    def _spanish_leaning(self, norms: list[str]) -> bool:
        es, en = self._lex["es"].words, self._lex["en"].words
        return sum(n in es for n in norms) > sum(n in en for n in norms)
