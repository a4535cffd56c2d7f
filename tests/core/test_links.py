"""Unit tests for cobrowse.core.links: which link activations leave the co-browsed site."""

import pytest

from cobrowse.core.links import classify, replaces_page, site_hosts, split_url

# The browser passes ``location.hostname`` (no port) as the page's host.
SHOP = site_hosts(None, "shop.example")


@pytest.mark.parametrize("url,parts", [
    ("https://shop.example/path?q=1#top", ("https", "shop.example", "")),
    ("HTTP://Shop.EXAMPLE:8080/", ("http", "shop.example", "8080")),
    ("http://user:secret@shop.example:81/x", ("http", "shop.example", "81")),
    ("https://shop.example./", ("https", "shop.example", "")),
    ("https://shop.example?x=@evil.example", ("https", "shop.example", "")),
    ("https://shop.example#@evil.example", ("https", "shop.example", "")),
    ("https://shop.example/a@evil.example", ("https", "shop.example", "")),
    ("http://[::1]:8000/", ("http", "[::1]", "8000")),
    ("http://[::1]/", ("http", "[::1]", "")),
    ("  https://shop.example/  ", ("https", "shop.example", "")),
    ("mailto:someone@shop.example", ("mailto", "", "")),
    ("javascript:void(0)", ("javascript", "", "")),
    ("/relative/path", ("", "", "")),
    ("relative.html", ("", "", "")),
    ("#fragment", ("", "", "")),
    ("", ("", "", "")),
    (":nothing", ("", "", "")),
])
def test_split_url(url, parts):
    assert split_url(url) == parts


@pytest.mark.parametrize("domains,page_host,hosts", [
    (None, "Shop.Example", ["shop.example"]),
    ("", "shop.example", ["shop.example"]),
    (" , ,", "shop.example", ["shop.example"]),
    ("Shop.Example, *.Example.COM ,127.0.0.1:8000", "ignored.example", ["shop.example", "*.example.com", "127.0.0.1:8000"]),
])
def test_site_hosts(domains, page_host, hosts):
    assert site_hosts(domains, page_host) == hosts


@pytest.mark.parametrize("url,kind", [
    # Another host over http(s) leaves the site.
    ("https://elsewhere.example/", "external"),
    ("http://elsewhere.example/page", "external"),
    ("https://shop.example.evil.example/", "external"),
    ("https://evilshop.example/", "external"),
    ("https://sub.shop.example/", "external"),
    ("https://shop.example@elsewhere.example/", "external"),
    # The page's own host stays, whatever the path, query, fragment, case or port.
    ("https://shop.example/", "internal"),
    ("http://shop.example/cart?x=1", "internal"),
    ("https://SHOP.example/#reviews", "internal"),
    ("https://shop.example:8443/", "internal"),
    ("https://shop.example./", "internal"),
    ("https://elsewhere.example@shop.example/", "internal"),
    # Anything that is not http(s), or not absolute, is not a navigation away.
    ("mailto:help@elsewhere.example", "ignored"),
    ("tel:+15550100", "ignored"),
    ("javascript:alert(1)", "ignored"),
    ("JavaScript:location='https://elsewhere.example/'", "ignored"),
    ("blob:https://elsewhere.example/1234", "ignored"),
    ("data:text/html,hello", "ignored"),
    ("ftp://elsewhere.example/file", "ignored"),
    ("/elsewhere.example/page", "ignored"),
    ("page.html", "ignored"),
    ("#elsewhere", "ignored"),
    ("//elsewhere.example/", "ignored"),
    ("https:///path-only", "ignored"),
    ("", "ignored"),
])
def test_classify_against_the_pages_host(url, kind):
    assert classify(url, SHOP) == kind


@pytest.mark.parametrize("url,kind", [
    # A listed host without a port matches it on any port.
    ("https://shop.example/", "internal"),
    ("https://shop.example:9000/", "internal"),
    ("https://partner.example/", "internal"),
    # A wildcard matches the domain and every subdomain, but not look-alikes.
    ("https://example.com/", "internal"),
    ("https://www.example.com/", "internal"),
    ("https://a.b.example.com/", "internal"),
    ("https://badexample.com/", "external"),
    ("https://example.com.evil.example/", "external"),
    # A listed host with a port matches that port only.
    ("http://127.0.0.1:8000/", "internal"),
    ("http://127.0.0.1:8001/", "external"),
    ("http://127.0.0.1/", "external"),
    ("http://[::1]:8000/", "internal"),
    ("http://[::1]:9000/", "external"),
    ("http://[::2]/", "internal"),
    ("http://[::2]:1234/", "internal"),
    # Hosts not listed leave, even the page's own host when data-domains omits it.
    ("https://page-host.example/", "external"),
    ("https://elsewhere.example/", "external"),
    ("mailto:x@elsewhere.example", "ignored"),
])
def test_classify_against_data_domains(url, kind):
    hosts = site_hosts("shop.example, partner.example, *.example.com, 127.0.0.1:8000, [::1]:8000, [::2]", "page-host.example")
    assert classify(url, hosts) == kind


@pytest.mark.parametrize("kwargs,replaces", [
    ({}, True),
    ({"target": "_self"}, True),
    ({"target": "_top"}, True),
    ({"target": "_parent"}, True),
    ({"target": "_SELF"}, True),
    ({"target": "_blank"}, False),
    ({"target": "_BLANK"}, False),
    ({"target": "other-window"}, False),
    ({"button": 1}, False),
    ({"button": 2}, False),
    ({"ctrl": True}, False),
    ({"meta": True}, False),
    ({"shift": True}, False),
    ({"alt": True}, False),
    ({"download": True}, False),
    ({"target": "_self", "ctrl": True}, False),
])
def test_replaces_page(kwargs, replaces):
    assert replaces_page(**kwargs) is replaces


def test_replaces_page_takes_positional_arguments_in_the_documented_order():
    # The browser adapter calls it positionally: button, target, ctrl, meta, shift, alt, download.
    assert replaces_page(0, "", False, False, False, False, False) is True
    assert replaces_page(0, "", False, False, False, False, True) is False
    assert replaces_page(0, "", False, False, False, True, False) is False
    assert replaces_page(0, "", False, False, True, False, False) is False
    assert replaces_page(0, "", False, True, False, False, False) is False
    assert replaces_page(0, "", True, False, False, False, False) is False
    assert replaces_page(0, "_blank", False, False, False, False, False) is False
    assert replaces_page(1, "", False, False, False, False, False) is False
