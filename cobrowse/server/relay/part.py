"""What every concern of the relay starts from.

Public names:

- ``Part(relay)``: one concern of a ``facade.Relay``, with the relay it belongs to (whose other
  parts it calls), its ``engine``, the engine's ``store`` and the relay's ``audit`` (an
  ``audit.Auditor``).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cobrowse.server.relay.facade import Relay


class Part:
    """One concern of ``relay`` (see the module's docstring)."""

    def __init__(self, relay: "Relay") -> None:
        self.relay = relay
        self.engine = relay.engine
        self.store = relay.store
        self.audit = relay.audit
