"""Team scoping (services.casework.domain.teams) and where it comes from: API keys
(`key:agent@team|team`) and access tokens' teams claim (shared.http.auth, shared.http.oidc)."""

from __future__ import annotations

import pytest

from shared.http.auth import ApiKeys, Principal
from shared.http.oidc import teams_from
from services.casework.domain.teams import EVERY_CASE, TeamScope


def test_a_scope_sees_its_teams_cases_only_and_assigns_within_them():
    scope = TeamScope.of(frozenset({"billing", "web"}))
    assert scope.sees("billing") and scope.sees("web")
    assert not scope.sees("retention") and not scope.sees(None)  # unassigned: no team owns it yet
    assert scope.assignment_problem("web") is None
    assert "billing, web" in scope.assignment_problem("retention")
    assert EVERY_CASE.sees(None) and EVERY_CASE.sees("x") and EVERY_CASE.assignment_problem("x") is None
    assert TeamScope.of(None) == TeamScope.of(frozenset()) == EVERY_CASE


def test_keys_carry_teams_and_only_agents_are_held_to_them():
    keys = ApiKeys.parse("k1:agent@billing|web, k2:agent, k3:manager@billing, a:b:c:admin")
    assert keys.identify("k1").teams == {"billing", "web"}
    assert keys.identify("k1").team_scope == {"billing", "web"}
    assert keys.identify("k2").team_scope is None
    assert keys.identify("k3").team_scope is None  # managers see every case
    assert keys.identify("a:b:c").role == "admin"
    for bad in ("k:agent@", "k:agent@|", "k:root@x", "k:agent@" + "x" * 201):
        with pytest.raises(ValueError):
            ApiKeys.parse(bad)
    assert Principal("agent", "x", teams=frozenset({"t"})).team_scope == {"t"}


def test_a_tokens_teams_claim_a_string_or_a_list():
    assert teams_from({"lazo_teams": ["billing", "web", 3, "", "x" * 300, "a\nb"]}, "lazo_teams") == {"billing", "web"}
    assert teams_from({"groups": {"teams": "billing"}}, "groups.teams") == {"billing"}
    assert teams_from({}, "lazo_teams") == frozenset()
