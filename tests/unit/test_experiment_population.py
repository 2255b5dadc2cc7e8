"""The demo's simulated customer base: deterministic under a seed, and calibrated on the seed's result."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime

import pytest

from shared.settings import Settings
from demo import population as P
from demo.__main__ import keys
from demo.simulator import DemoError

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def people(seed: int = 3, customers: int = 3000):
    return P.generate(random.Random(seed), customers=customers, months=6, now=NOW, tag="t")


def test_a_seed_repeats_the_population():
    a, b = people(customers=50), people(customers=50)
    assert [(c.id, [s.answers for s in c.surveys]) for c in a] == [(c.id, [s.answers for s in c.surveys]) for c in b]
    assert all(s.submitted_at < NOW for c in a for s in c.surveys)
    assert all(1 <= v <= 10 for c in a for s in c.surveys for v in s.answers.values())


def test_selection_follows_the_programme_rule():
    [c] = people(customers=1)
    c.surveys = [P.Survey("r1", NOW, "web", {"experience": 8, "worth": 8, "recommend": 8}, None)]
    assert not P.selected(c)
    c.surveys[0].comment = "Muy contento"
    assert P.selected(c) and not P.selected(c, comment_selects=False)
    c.surveys[0].answers = {"experience": 6, "worth": 6, "recommend": 6}
    assert P.selected(c, comment_selects=False)


def test_renewal_is_calibrated_on_the_seeds_92_vs_81():
    selected = [c for c in people() if P.selected(c)]
    untreated = statistics.mean(P.renewal_probability(c.latest_iec, False) for c in selected)
    treated = statistics.mean(P.renewal_probability(c.latest_iec, True) for c in selected)
    assert abs(untreated - 0.81) < 0.03 and abs(treated - 0.92) < 0.03


def test_a_follow_up_survey_never_raises_a_new_alert():
    rng = random.Random(1)
    for latest in (1.0, 4.0, 9.5, None):
        answers = P.follow_up_answers(rng, latest)
        assert sum(answers.values()) / 3 > 6


def test_the_demo_finds_its_keys(tmp_path):
    assert keys(Settings(api_keys=None, var_dir=tmp_path), "k-given") == {"admin": "k-given"}
    configured = Settings(api_keys="a1:ingest,b2:agent,c3:admin,d4:admin", var_dir=tmp_path)
    assert keys(configured, None) == {"ingest": "a1", "agent": "b2", "admin": "c3"}
    with pytest.raises(DemoError, match="no API key"):
        keys(Settings(api_keys=None, var_dir=tmp_path), None)
    assert not (tmp_path / "api-key").exists()  # never invents a key the running system would not know
    (tmp_path / "api-key").write_text("lazo_dev\n")
    assert keys(Settings(api_keys=None, var_dir=tmp_path), None) == {"admin": "lazo_dev"}
