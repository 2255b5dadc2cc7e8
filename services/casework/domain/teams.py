"""Team scoping: an agent whose key or token names owner teams sees and works only the cases those
teams own; everyone else (managers, admins, agents without teams) sees every case.

A case outside the scope is answered as one that does not exist (404), so a scoped agent learns
nothing of other teams' cases, not even that an id is taken. A scoped agent may hand a case only to
one of its own teams: handing it elsewhere would lose it from the agent's own queue by mistake,
and is a manager's decision. Unassigned cases have no team: a triage agent (no teams) or a manager
assigns them first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TeamScope:
    teams: frozenset[str] | None = None  # None: every case

    @classmethod
    def of(cls, teams: frozenset[str] | None) -> TeamScope:
        return cls(frozenset(teams) if teams else None)

    @property
    def limited(self) -> bool:
        return self.teams is not None

    def sees(self, owner: str | None) -> bool:
        return self.teams is None or owner in self.teams

    def assignment_problem(self, owner: str) -> str | None:
        """Why this scope may not give a case to `owner`, or None."""
        if self.sees(owner):
            return None
        return f"must be one of this key's teams: {', '.join(sorted(self.teams or ()))}"


EVERY_CASE = TeamScope()
