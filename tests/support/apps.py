"""Apps built with real frameworks from npm, served on the customer's site with the widget.

Public names:

- ``APPS``: the apps' names: ``"react"``, ``"vue"``, ``"knockout"``, ``"jquery"``.
- ``framework_page(site, server, runtime, name, **attributes)``: publish app ``name`` on the
  ``site`` fixture's origin, embedding the widget from ``server`` on ``runtime`` (``data_x="y"``
  adds ``data-x="y"`` to the widget's tag, as ``site.page`` does); return the URL of its form
  route. The app's routes are ``<base>/`` and ``<base>/about`` with ``base`` =
  ``/apps/<runtime>/<name>``; both are published, so a reload on either works.
- ``app_base(runtime, name)``: that base path; ``app_title(name)``: the app's ``h1`` and page title.

The sources are in ``tests/browser/apps/`` (``react/``, ``vue/``, ``knockout/``, ``jquery/``), pinned in
package.json and built by ``make setup`` (``node tests/browser/apps/build.mjs``, esbuild, production
mode) into the git-ignored ``tests/browser/apps/dist/``:

- React 19 (react-dom, react-router): function components, inputs controlled through
  ``useState``/``onChange``, ``onSubmit`` with ``preventDefault``, ``<Link>`` routes.
- Vue 3 (vue-router): single-file components compiled at build time, ``v-model`` on every field,
  ``@submit.prevent``, ``<RouterLink>`` routes.
- Knockout 3.5, written the old way: ``textInput`` on the name, ``value`` bindings (updated on
  ``change``) on the message and plan, the ``submit`` binding, routes by ``history.pushState``
  in a click handler, and a to-do field whose handler tests ``keyCode === 13`` on ``keyup``.
- jQuery 4, written as before ``KeyboardEvent.key``: handlers bound with ``$(...).on``, the
  name's Enter caught by a ``keypress`` handler testing ``e.which === 13`` (it signs up and
  stops the form's own submission), the name echoed on ``keyup``, the checkbox read on
  ``change``, a help panel closed by Escape (``e.which === 27`` on keydown), routes by
  ``history.pushState`` in a click handler.

Every app shows what it received in the DOM, under the same element ids:

| id | what |
| --- | --- |
| ``#app-title`` | ``h1``: "React app", "Vue app", "Knockout app" or "jQuery app" |
| ``#nav-form``, ``#nav-about`` | links to the two routes (client-side navigation, no page load) |
| ``#route`` | the route the app's router is on: ``form`` or ``about`` |
| ``#signup`` | the form (form route); Enter in ``#name`` submits it |
| ``#name`` | text input; ``#name-echo`` shows the app's state of it as it changes |
| ``#message`` | textarea |
| ``#plan`` | ``select``, values ``basic`` (the default) and ``pro`` |
| ``#subscribe`` | checkbox; ``#subscribe-echo`` shows ``yes`` or ``no`` from the app's state |
| ``#submit`` | the submit button |
| ``#submitted`` | after a submit, the app's state as JSON: ``{"name", "message", "plan", "subscribe"}`` |
| ``#submit-count`` | how many times the form was submitted |
| ``#increment``, ``#clicks`` | a button and the count of its clicks |
| ``#about-title`` | ``h2`` "About" (about route) |
| ``#new-todo``, ``#todos li`` | Knockout only: Enter (keyCode 13 on keyup) adds the field's text to the list |
| ``#help``, ``#help-panel``, ``#escape-count`` | jQuery only: a button opening a panel that Escape closes, and how often it did |
"""

from support.processes import ROOT

APPS = ("react", "vue", "knockout", "jquery")
DIST = ROOT / "tests" / "browser" / "apps" / "dist"
ROUTES = ("/", "/about")
BODY = '<div id="app" data-base="{base}"></div>\n<script src="/apps/{name}.js"></script>'


def app_title(name):
    return "%s app" % ("jQuery" if name == "jquery" else name.capitalize())


def app_base(runtime, name):
    return "/apps/%s/%s" % (runtime, name)


def framework_page(site, server, runtime, name, **attributes):
    """Publish app ``name`` with the widget on ``runtime``; return its form route's URL."""
    bundle = DIST / (name + ".js")
    if not bundle.exists():
        raise FileNotFoundError("%s is missing: `make setup` builds the framework apps" % bundle)
    site.pages["/apps/%s.js" % name] = bundle.read_text()
    base = app_base(runtime, name)
    body = BODY.format(base=base, name=name)
    title = app_title(name)
    urls = [site.page(server, runtime, body, path=base + route, title=title, **attributes) for route in ROUTES]
    return urls[0]
