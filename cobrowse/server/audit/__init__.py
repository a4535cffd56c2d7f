"""The audit trail: who started, joined, asked for, was granted and used control of which
session, one JSON line per move, written before the move takes effect (``docs/security.md``).

Public names (from the modules named):

- ``AuditTrail``, ``FileTrail``, ``NullTrail``, ``AuditUnavailable``, ``open_trail`` (``trail``):
  where lines go.
- ``Auditor``, ``EVENTS``, ``agent_identity``, ``rfc3339`` (``lines``): what a line says.
- ``audited_action`` (``actions``): what a line says of an action under remote control.
- ``report``: ``python -m cobrowse audit``'s timeline.
"""

from cobrowse.server.audit.actions import audited_action
from cobrowse.server.audit.lines import EVENTS, Auditor, agent_identity, rfc3339
from cobrowse.server.audit.trail import AuditTrail, AuditUnavailable, FileTrail, NullTrail, open_trail

__all__ = ["EVENTS", "AuditTrail", "AuditUnavailable", "Auditor", "FileTrail", "NullTrail", "agent_identity",
           "audited_action", "open_trail", "rfc3339"]
