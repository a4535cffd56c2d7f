"""A customer's site on another origin than the cobrowse server, for the browser tests.

Public names:

- ``Site``: pages published by path and served as given; ``page(server, runtime, body, ...)``
  publishes a page that embeds the widget from ``server`` and records every event it hears.
- ``PAGE``: the template of such a page; ``EVENT_NAMES``: the events it listens to.
"""

import json

from cobrowse.core.events import EVENT_NAMES
from support.processes import PageServer


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<script src="{server}/static/cobrowse.js" data-site-code="{site_code}" data-runtime="{runtime}" {attributes}></script>
<script>
  // The customer page's own script: it records every co-browse event it hears.
  window.heard = [];
  {names}.forEach(function (name) {{
    Cobrowse.Events[name].listen(function (event) {{ window.heard.push([name, event]); }});
  }});
</script>
{head}
</head><body>
{body}
</body></html>"""


class Site:
    """A customer's site on another origin: pages are published by path and served as given."""

    def __init__(self):
        self.server = PageServer()
        self.pages = self.server.pages
        self.port = self.server.port
        # The site is 127.0.0.1; "localhost" on the same port stands in for a third-party site.
        self.base = "http://127.0.0.1:%d" % self.port
        self.elsewhere = "http://localhost:%d" % self.port
        self.pages["/elsewhere.html"] = "<!doctype html><title>Elsewhere</title><link rel='icon' href='data:,'><h1>Another site</h1>"

    def page(self, server, runtime, body="", path=None, head="", site_code="TEST-1", title="Customer page", **attributes):
        """Publish a page embedding the widget; return its URL. ``data_x="y"`` adds data-x="y"."""
        path = path or "/page-%d.html" % len(self.pages)
        extra = " ".join('%s="%s"' % (name.replace("_", "-"), value) for name, value in attributes.items())
        self.pages[path] = PAGE.format(
            title=title, server=server.base, site_code=site_code, runtime=runtime, attributes=extra,
            names=json.dumps(EVENT_NAMES), head=head, body=body,
        )
        return self.base + path
