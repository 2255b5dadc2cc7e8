"""Properties of the built-in analyzer over arbitrary text (hypothesis): always a valid, bounded
analysis or None for a blank comment; evidence always quoted from the comment; deterministic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.domain.comments import DEFAULT_KEYS, DEFAULT_TAXONOMY, EMOTIONS, POLARITY_OF, builtin_analyzer
from services.scoring.domain.comments.text import MAX_ANALYSED_CHARS, fold, tokenize

WORDS = [
    "no",
    "muy",
    "factura",
    "precio",
    "app",
    "técnico",
    "pero",
    "aunque",
    "nada",
    "bien",
    "mal",
    "genial",
    "not",
    "very",
    "bill",
    "price",
    "website",
    "engineer",
    "but",
    "love",
    "hate",
    "never",
    "again",
    "!!!",
    "😡",
    "😍",
    ":)",
    ",",
    ".",
    "?",
    "sooo",
    "ÉXITO",
    "10/10",
    "tres semanas",
    "dos veces",
    "q",
    "thx",
]
any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)
wordy = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(any_text, wordy))
def test_any_text_gives_a_valid_bounded_analysis(text):
    a = builtin_analyzer().analyze(text, DEFAULT_TAXONOMY)
    if not text.strip():
        assert a is None
        return
    assert a is not None
    assert -1.0 <= a.sentiment <= 1.0
    assert a.polarity == POLARITY_OF[a.emotion] and a.emotion in EMOTIONS
    assert len(a.causes) <= len(DEFAULT_KEYS) and len({c.key for c in a.causes}) == len(a.causes)
    assert all(c.key in DEFAULT_KEYS and c.evidence and c.evidence in text for c in a.causes)
    assert len(a.keyphrases) <= 5 and all(0 < len(p) <= 60 for p in a.keyphrases)
    assert builtin_analyzer().analyze(text, DEFAULT_TAXONOMY) == a


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_folding_keeps_every_offset(text):
    assert len(fold(text)) == len(text)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=20), st.integers(1, 3000))
def test_tokens_never_reach_past_the_analysed_prefix(chunk, times):
    text = chunk * times
    tokens = tokenize(text)
    assert all(0 <= t.start < t.end <= min(len(text), MAX_ANALYSED_CHARS) for t in tokens)
    assert len(tokens) <= MAX_ANALYSED_CHARS
