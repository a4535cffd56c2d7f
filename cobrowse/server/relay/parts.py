"""A long view put back together from the visitor's ``view_part`` messages (docs/protocol.md).

Public names:

- ``ViewParts(size, refused)``: the parts of one view of ``size`` characters so far;
  ``add(text)`` takes the next one, ``whole()`` says whether they add up, ``text()`` joins them.
  A refused view (past the session's budget) keeps no text, only counts it, so that its
  remaining parts are let go of without a word.
- ``too_large(size)``: what the visitor and the agents are told of a view past the budget.
- ``refusal_view(message)``: the view that tells agents so, which the log keeps in place of the
  page for those who join later.
"""

from cobrowse.core import protocol


class ViewParts:
    """The parts of one long view (see the module's docstring)."""

    __slots__ = ("size", "refused", "received", "texts")

    def __init__(self, size: int, refused: bool) -> None:
        self.size = size
        self.refused = refused
        self.received = 0
        self.texts: list[str] = []

    def add(self, text: str) -> None:
        """Take the next part; a part past the view's size is a protocol error."""
        if self.received + len(text) > self.size:
            raise protocol.ProtocolError("bad_field", "view parts longer than their size %d" % self.size)
        self.received += len(text)
        if not self.refused:
            self.texts.append(text)

    def whole(self) -> bool:
        return self.received == self.size

    def text(self) -> str:
        return "".join(self.texts)


def too_large(size: int) -> str:
    return "The live view stopped: this page is too large to share: %.1f MB" % (size / 1_000_000)


def refusal_view(message: str) -> str:
    """A view of one rrweb custom event (type 5) tagged ``protocol.REFUSED_VIEW_TAG``."""
    event = {"type": 5, "timestamp": 0, "data": {"tag": protocol.REFUSED_VIEW_TAG, "payload": {"message": message}}}
    text: str = protocol.encode("view", events=[event])
    return text
