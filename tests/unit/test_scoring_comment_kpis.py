"""Emotion mix, cause counts and the driver view: the arithmetic on counts (no database)."""

from __future__ import annotations

import pytest

from services.scoring.domain.comment_kpis import Sums, cause_counts, drivers, emotion_mix, themes


def test_the_emotion_mix_lists_all_five_with_shares():
    mix = emotion_mix({"rechazo": 1, "extasis": 3})
    assert mix["analysed"] == 4
    assert mix["emotions"] == {"rechazo": 1, "decadencia": 0, "indiferencia": 0, "disfrutable": 0, "extasis": 3}
    assert mix["emotion_shares"]["extasis"] == 0.75 and mix["emotion_shares"]["decadencia"] == 0
    assert emotion_mix({})["emotion_shares"]["rechazo"] is None  # no comment: no share, not zero


def test_cause_counts_split_by_polarity_most_mentioned_first():
    out = cause_counts(
        [("price", "negative", 2), ("billing", "negative", 3), ("price", "positive", 1), ("delivery", "neutral", 3)]
    )
    assert [c["key"] for c in out] == ["billing", "delivery", "price"]
    assert out[2] == {"key": "price", "mentions": 3, "negative": 2, "neutral": 0, "positive": 1}


def test_drivers_compare_with_and_without_each_cause():
    base = Sums(10, 60.0)  # mean 6
    out = drivers(base, {"billing": Sums(4, 12.0), "staff_attitude": Sums(2, 18.0), "all": Sums(10, 60.0)})
    billing = next(d for d in out if d["key"] == "billing")
    assert billing["with"] == {"count": 4, "iec_mean": 3.0}
    assert billing["without"] == {"count": 6, "iec_mean": 8.0}
    assert billing["impact"] == pytest.approx(-5.0)
    assert [d["key"] for d in out] == ["billing", "staff_attitude", "all"]  # biggest drag first, none last
    assert out[-1]["impact"] is None and out[-1]["without"] == {"count": 0, "iec_mean": None}


def test_themes_count_each_phrase_once_per_comment_and_say_which_are_rising():
    current = [["roaming", "roaming"], ["roaming", "tarjeta sim"], ["tarjeta sim"], ["roaming"], ["una vez"]]
    previous = [["tarjeta sim"], ["tarjeta sim"], ["tarjeta sim"]]
    out = themes(current, previous)
    assert out == [
        {"phrase": "roaming", "count": 3, "previous": 0, "rising": True},
        {"phrase": "tarjeta sim", "count": 2, "previous": 3, "rising": False},
    ]  # once: not a theme
    assert themes([], previous) == []
