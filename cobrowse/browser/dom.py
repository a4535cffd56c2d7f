"""The widget's elements: text always set as text, styles that a page's Content-Security-Policy
lets apply, and keyboard focus kept where its users expect it.

Public names:

- ``element(tag, text=None, cls=None, **attrs)``: a new element; ``text`` is set as text, never
  parsed as HTML; an attribute's ``_`` becomes ``-`` (``aria_label=`` sets ``aria-label``).
- ``button(label, on_click, quiet=False)``: a ``<button type="button">`` calling
  ``on_click(event)``; ``quiet`` draws it as the secondary choice.
- ``modal(role, **attrs)``: a veil over the page holding a modal dialog box, as
  ``(veil, dialog)``.
- ``style_sheet(css)``: a constructed style sheet.
- ``keep_tab_inside(event, container, active)``: Tab and Shift+Tab go round ``container``'s
  buttons instead of leaving it.
- ``focused_label(root, box)``, ``refocus(box, label)``: keep focus in ``box`` across a redraw.
"""

from cobrowse.browser.ffi import create_proxy, document, window


def element(tag, text=None, cls=None, **attrs):
    """Create an element; ``text`` is set as text, never parsed as HTML."""
    node = document.createElement(tag)
    if text is not None:
        node.textContent = text
    if cls:
        node.className = cls
    for name in attrs:
        node.setAttribute(name.replace("_", "-"), attrs[name])
    return node


def button(label, on_click, quiet=False):
    node = element("button", label, cls="quiet" if quiet else None, type="button")
    node.addEventListener("click", create_proxy(on_click))
    return node


def modal(role, **attrs):
    veil = element("div", cls="veil")
    dialog = element("div", cls="dialog", role=role, aria_modal="true", **attrs)
    veil.appendChild(dialog)
    return veil, dialog


def style_sheet(css):
    """A constructed style sheet: unlike a ``<style>`` element, a page's Content-Security-Policy
    needs no ``'unsafe-inline'`` in ``style-src`` to let it apply."""
    sheet = window.CSSStyleSheet.new()
    sheet.replaceSync(css)
    return sheet


def keep_tab_inside(event, container, active):
    """On Tab from the last button (Shift+Tab from the first), or with the focus (``active``)
    outside ``container``, move it to the first (last) button of ``container``."""
    buttons = container.querySelectorAll("button")
    if not buttons.length:
        return
    first, last = buttons[0], buttons[buttons.length - 1]
    edge = first if event.shiftKey else last
    if edge.isSameNode(active) or not container.contains(active):
        event.preventDefault()
        (last if event.shiftKey else first).focus()


def focused_label(root, box):
    """The text of the focused element if focus is in ``box`` (about to be redrawn), else None."""
    active = root.activeElement
    if box and active and box.contains(active):
        return str(active.textContent)
    return None


def refocus(box, label):
    """Keep keyboard focus in the redrawn ``box``: on the button with the same label if there
    is one (End stays End), else on its first button, else on the box itself."""
    buttons = box.querySelectorAll("button")
    for index in range(buttons.length):
        if buttons[index].textContent == label:
            buttons[index].focus()
            return
    if buttons.length:
        buttons[0].focus()
    else:
        box.setAttribute("tabindex", "-1")
        box.focus()
