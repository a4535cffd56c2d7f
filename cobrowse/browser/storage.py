"""What a tab keeps across its page loads: the session's resume token and the agent it granted
control to, in ``sessionStorage``.

Public names:

- ``TabStorage(server, site_code)``: the tab's memory of its session with ``server`` for
  ``site_code``: ``load()`` returns ``(token, grant)`` as the previous page left them (None
  for what it did not keep); ``keep(token, grant)`` stores what changed (None removes it).

``sessionStorage`` survives same-site page loads in this tab and never reaches another tab, a
URL or ``localStorage``. Where storage is disabled or full, nothing is kept and pages cannot
resume: that is never an error.
"""

from cobrowse.browser.ffi import window


class TabStorage:
    """The resume token and the control grant of one tab's session."""

    def __init__(self, server, site_code):
        self.token_key = "cobrowse:" + server + "|" + site_code
        self.grant_key = self.token_key + "|control"
        self.token = None
        self.grant = None

    def load(self):
        self.token = _get(self.token_key)
        self.grant = _get(self.grant_key)
        return self.token, self.grant

    def keep(self, token, grant):
        if token != self.token:
            self.token = token
            _set(self.token_key, token)
        if grant != self.grant:
            self.grant = grant
            _set(self.grant_key, grant)


def _get(key):
    try:
        value = window.sessionStorage.getItem(key)
    except Exception:  # noqa: BLE001 - storage may be disabled; then pages cannot resume.
        return None
    return str(value) if value else None


def _set(key, value):
    try:
        if value:
            window.sessionStorage.setItem(key, value)
        else:
            window.sessionStorage.removeItem(key)
    except Exception:  # noqa: BLE001 - storage may be disabled or full.
        pass
