"""Links that leave the site during a session: the link hook, the leave dialog and the departure.

Public names:

- ``Navigation(session, connection, ui, hosts, pump, grace_ms)``: one page's link hook.
  ``install()`` hooks the page's clicks (once, at boot), and those of its same-origin frames at
  any depth as they load; a link to another site (not in ``hosts``) that takes the top page
  there (in a frame: ``target=_top``, or ``_parent`` from a frame of the top page, or
  ``_blank``) fires NavigatingAway and, if it would replace the page, asks first in ``ui``'s
  leave dialog (when ``ui`` is there and its ``navigatingAway`` popup is on). A confirmed
  departure ends the session as NAVIGATED_AWAY, then ``after_events()`` (once the widget has
  delivered the session's events) navigates; if the server has not acknowledged the end
  within ``grace_ms`` milliseconds, the ``connection`` is hung up and the page goes anyway.
  ``pump()`` is the widget's: it sends and shows what the session queued.
"""

from cobrowse.browser.dom import button, element, modal
from cobrowse.browser.ffi import create_proxy, document, window
from cobrowse.core import links
from cobrowse.core.states import States, in_session
from cobrowse.core.widget_view import LEAVE_PROMPT


class Navigation:
    """The departures from the site of one page's visitor."""

    def __init__(self, session, connection, ui, hosts, pump, grace_ms):
        self.session = session
        self.connection = connection
        self.ui = ui
        self.hosts = hosts
        self.pump = pump
        self.grace_ms = grace_ms
        self.leaving_to = None  # Where the visitor confirmed going, while the session ends.
        self._on_link_proxy = create_proxy(self._on_link)
        self._on_load_proxy = create_proxy(self._on_load)

    def install(self):
        self._hook(document)

    def _hook(self, doc):
        """Hook a document's clicks, and its frames' as they load (a listener added twice to one
        document is added once)."""
        doc.addEventListener("click", self._on_link_proxy, True)
        doc.addEventListener("auxclick", self._on_link_proxy, True)
        # A frame's load event does not bubble, but its document hears it in the capture phase.
        doc.addEventListener("load", self._on_load_proxy, True)
        frames = doc.querySelectorAll("iframe")
        for index in range(frames.length):
            self._hook_frame(frames[index])

    def _on_load(self, event):
        if getattr(event.target, "nodeName", None) == "IFRAME":
            self._hook_frame(event.target)

    def _hook_frame(self, frame):
        try:
            inner = frame.contentDocument  # None (or a JS null) for another origin's frame.
        except Exception:  # noqa: BLE001 - a frame of another origin may also refuse outright.
            return
        if inner and getattr(inner, "addEventListener", None):
            self._hook(inner)

    def after_events(self):
        """The session's events have been delivered: go where the visitor chose, unless the
        session is still being ended (then the server's answer or the grace time decides)."""
        if self.leaving_to and self.session.state != States.DISCONNECTING:
            window.location.assign(self.leaving_to)

    def _on_link(self, event):
        if not in_session(self.session.state) or event.defaultPrevented:
            return
        if event.type == "auxclick" and event.button != 1:
            return
        link = _find_link(event)
        if link is None:
            return
        target = _top_target(link)
        if target is None:
            return
        url = _link_url(link)
        if url is None or links.classify(url, self.hosts) != "external":
            return
        self.session.link_activated(url)
        if links.replaces_page(event.button, target, event.ctrlKey, event.metaKey, event.shiftKey, event.altKey, link.hasAttribute("download")):
            event.preventDefault()
            if self.ui is not None and self.ui.popups.get("navigatingAway"):
                self._ask_to_leave(url)
            else:
                self._leave(url)
        self.pump()

    def _leave(self, url):
        if self.session.leave_site(url):
            self.leaving_to = url
            window.setTimeout(create_proxy(self._leave_anyway), self.grace_ms)
        else:
            window.location.assign(url)

    def _leave_anyway(self, *args):
        if self.session.state == States.DISCONNECTING:
            self.connection.close()
            self.session.connection_lost()
            self.pump()

    def _ask_to_leave(self, url):
        self.ui.close_dialog()
        veil, dialog = modal("dialog", aria_label="Leaving the co-browsing session", aria_describedby="leave-prompt")
        dialog.appendChild(element("p", LEAVE_PROMPT + ".", id="leave-prompt"))
        dialog.appendChild(element("p", url, cls="muted"))
        stay = button("Cancel", lambda event: self._answer(url, False), quiet=True)
        dialog.appendChild(button("Continue", lambda event: self._answer(url, True)))
        dialog.appendChild(stay)
        self.ui.show_dialog(veil, lambda: self._answer(url, False))
        stay.focus()

    def _answer(self, url, leave):
        self.ui.close_dialog(restore_focus=not leave)
        if leave:
            self._leave(url)
        self.pump()


def _find_link(event):
    """The innermost ``<a>``/``<area>`` (HTML or SVG) with an href on the event's path.

    The composed path reaches into open shadow roots, so links inside components count.
    """
    path = event.composedPath()
    for index in range(path.length):
        node = path[index]
        tag = node.nodeName if hasattr(node, "nodeName") else None
        if tag in ("A", "AREA", "a", "area") and node.hasAttribute("href"):
            return node
    return None


def _link_url(link):
    """The link's absolute URL; SVG links keep theirs in an animated string."""
    href = link.href
    if not isinstance(href, str):
        href = window.URL.new(link.getAttribute("href"), link.ownerDocument.baseURI).href
    return str(href)


def _top_target(link):
    """The link's target as the top page sees it: its own in the top page; in a frame, "" when
    it replaces the top page (``_top``, or ``_parent`` from a frame of the top page), "_blank"
    for a new window, None when only the frame navigates (the visitor stays on the page)."""
    target = str(link.getAttribute("target") or "")
    frame = link.ownerDocument.defaultView.frameElement
    if not frame:
        return target
    target = target.lower()
    if target == "_top" or (target == "_parent" and not frame.ownerDocument.defaultView.frameElement):
        return ""
    return "_blank" if target == "_blank" else None
