"""The one way into JavaScript: the only module of the widget that imports ``js`` and
``pyscript.ffi``; every other module of ``cobrowse.browser`` reaches the page through it.

Public names:

- ``window``, ``document``: the page's (timers, ``location``, ``WebSocket``, storage and the
  other globals are ``window``'s).
- ``create_proxy(function)``: a JavaScript function that calls ``function``. Keep it for as
  long as JavaScript may call it: Pyodide frees a proxy nothing holds.
- ``js_object(mapping)``: a JavaScript object with the values of the JSON-ready ``mapping``.
- ``js_array(*values)``: a JavaScript array of JavaScript values.
- ``loader()``: ``window.Cobrowse``, whose internal members (``_options``, ``_attach``,
  ``_settle``, ``_live``, ``_control``) are the loader's side (``static/cobrowse.js``).
- ``report(message)``: tell the page's developer, on the console, what went wrong.

The convention both ways: calls into JavaScript take and return strings, numbers and
JavaScript objects, never Python containers, which the runtimes convert differently. What
crosses as data crosses as JSON text (``js_object``, the loader's ``_options``, payloads and
actions); the loader parses it on its side.
"""

import json

import js
from pyscript.ffi import create_proxy

window = js.window
document = js.document


def js_object(mapping):
    """A JavaScript object made from ``mapping`` through JSON text, never a converted dict."""
    return js.JSON.parse(json.dumps(mapping))


def js_array(*values):
    return js.Array.of(*values)


def loader():
    return js.window.Cobrowse


def report(message):
    js.console.error("Cobrowse: " + message)

