"""Agents that `afs agents run NAME -- ARGS…` runs: context-audit, researcher, scribe-draft,
and those plugins add (docs/agents.md). Names are resolved on first use."""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "Agent": "afs.agents.base",
    "AgentResult": "afs.agents.base",
    "get_agent": "afs.agents.base",
    "list_agents": "afs.agents.base",
    "run_agent": "afs.agents.base",
    "ModelAgent": "afs.agents.model",
    "audit_contexts": "afs.agents.context_audit",
    "research_directory": "afs.agents.researcher",
    "ContextAuditAgent": "afs.agents.context_audit",
    "ResearcherAgent": "afs.agents.researcher",
    "ScribeDraftAgent": "afs.agents.scribe_draft",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
