"""Which link activations leave the co-browsed site.

Public names:

- ``site_hosts(domains, page_host)``: the host patterns that count as the site.
- ``split_url(url)``: ``(scheme, host, port)`` of an absolute URL, lower-cased.
- ``classify(url, hosts)``: ``"external"``, ``"internal"`` or ``"ignored"``.
- ``replaces_page(button, target, ctrl, meta, shift, alt, download)``: whether following a link
  activated this way replaces the current page (rather than opening another tab or window).

Pure Python (MicroPython has no ``urllib.parse``): the browser hands us absolute URLs from
``HTMLAnchorElement.href``, so a small splitter is enough.
"""


def split_url(url):
    """Return ``(scheme, hostname, port)`` of an absolute URL; empty strings where absent."""
    url = url.strip()
    colon = url.find(":")
    if colon <= 0:
        return "", "", ""
    scheme = url[:colon].lower()
    rest = url[colon + 1:]
    if not rest.startswith("//"):
        return scheme, "", ""
    rest = rest[2:]
    for stop in "/?#":
        cut = rest.find(stop)
        if cut >= 0:
            rest = rest[:cut]
    at = rest.rfind("@")
    if at >= 0:
        rest = rest[at + 1:]
    if rest.startswith("["):  # An IPv6 literal: [::1]:8000.
        close = rest.find("]")
        host, port = rest[:close + 1], rest[close + 2:]
    elif ":" in rest:
        host, port = rest.split(":", 1)
    else:
        host, port = rest, ""
    return scheme, host.lower().rstrip("."), port


def site_hosts(domains, page_host):
    """Parse ``data-domains`` (comma-separated) into host patterns; default the page's host.

    A pattern is a host name (``shop.example``), a host with a port (``127.0.0.1:8000``, which
    then must match too) or a wildcard for subdomains (``*.example.com``).
    """
    hosts = [part.strip().lower() for part in (domains or "").split(",") if part.strip()]
    return hosts or [page_host.lower()]


def _matches(pattern, host, port):
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) or host == pattern[2:]
    if ":" in pattern and not pattern.startswith("["):
        return pattern == host + ":" + port
    if pattern.startswith("[") and "]:" in pattern:
        return pattern == host + ":" + port
    return pattern == host


def classify(url, hosts):
    """Classify an absolute link URL against the site's host patterns.

    ``"external"``: an http(s) URL on a host outside the site (fires NavigatingAway);
    ``"internal"``: an http(s) URL on the site, fragments included;
    ``"ignored"``: anything else (``mailto:``, ``tel:``, ``javascript:``, ``blob:`` ...).
    """
    scheme, host, port = split_url(url)
    if scheme not in ("http", "https") or not host:
        return "ignored"
    for pattern in hosts:
        if _matches(pattern, host, port):
            return "internal"
    return "external"


def replaces_page(button=0, target="", ctrl=False, meta=False, shift=False, alt=False, download=False):
    """True when following the link navigates this very page, so the session would end."""
    if button != 0 or ctrl or meta or shift or alt or download:
        return False
    return target.lower() in ("", "_self", "_top", "_parent")
