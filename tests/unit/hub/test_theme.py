"""The shared page layout renders, escapes, and marks where the person is."""

from __future__ import annotations

import re

import jinja2
import pytest

from haven_hub import theme


def render(**context):
    base = dict(page_title="Review queue", hub_prefix="/hub/", static_prefix="/services/egress/static/",
                user_name="carol", logout_url="/hub/logout")
    base.update(context)
    return theme.environment().get_template("haven-page.html").render(**base)


def test_layout_links_the_hubs_stylesheet_and_havens():
    page = render(nav=theme.nav_links(current="Review queue", can_review=True))
    assert '<link rel="stylesheet" href="/hub/static/css/style.min.css">' in page
    assert 'href="/services/egress/static/haven.css"' in page
    assert "<h1>Review queue</h1>" in page


def test_the_current_page_is_announced_to_screen_readers():
    page = render(nav=theme.nav_links(current="Review queue", can_review=True, review_count=3))
    current = re.findall(r'<a class="nav-link active" href="([^"]+)"\s+aria-current="page">', page)
    assert current == ["/services/egress/"]
    assert 'aria-label="3 waiting"' in page


def test_links_follow_roles():
    analyst = [link.label for link in theme.nav_links(current="Projects")]
    admin = [link.label for link in theme.nav_links(current="Projects", can_review=True, is_admin=True)]
    assert analyst == ["Projects", "My requests", "Bring in"]
    assert admin == ["Projects", "My requests", "Bring in", "Review queue", "Administration"]


def test_user_text_is_escaped():
    page = render(nav=[], user_name="<script>x</script>")
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(jinja2.UndefinedError):
        theme.environment().get_template("haven-page.html").render(page_title="x")


def test_the_stylesheet_is_served_from_the_package():
    pattern, handler, options = theme.static_route("/services/egress/")
    assert pattern == "/services/egress/static/(.*)"
    assert (theme.STATIC / "haven.css").is_file() and options["path"] == str(theme.STATIC)
