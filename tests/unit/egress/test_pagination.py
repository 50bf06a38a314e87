"""The queue page's slices: the right items, the links that keep the filters, clear refusals."""

from __future__ import annotations

import pytest

from haven_egress.web.pagination import PageError, paginate

ITEMS = list(range(1, 124))  # 123 requests, newest first


def test_the_first_page_is_the_default_and_holds_fifty():
    shown, pagination = paginate(ITEMS)
    assert shown == ITEMS[:50]
    assert (pagination.page, pagination.pages, pagination.first, pagination.last) == (1, 3, 1, 50)


def test_the_last_page_holds_what_is_left():
    shown, pagination = paginate(ITEMS, page="3")
    assert shown == ITEMS[100:] and (pagination.first, pagination.last) == (101, 123)


def test_links_keep_the_filters_and_a_chosen_size():
    _, pagination = paginate(ITEMS, page="2", size="10", query=[("state", "submitted"), ("project", ""), ("needs", "1")])
    assert pagination.pages == 13
    assert pagination.link(3) == "?state=submitted&needs=1&size=10&page=3"
    _, default = paginate(ITEMS, query=[("project", "a b")])
    assert default.link(2) == "?project=a+b&page=2"


def test_an_empty_list_is_one_empty_page():
    shown, pagination = paginate([])
    assert shown == [] and (pagination.pages, pagination.first, pagination.last) == (1, 0, 0)


@pytest.mark.parametrize(("page", "size", "message"), [
    ("4", "", "there is no page 4: the list has 3"),
    ("0", "", "there is no page 0"),
    ("two", "", "the page 'two' is not a number"),
    ("", "7", "the page size must be one of 10, 25, 50, 100, 200"),
    ("", "lots", "the page size 'lots' is not a number"),
])
def test_a_page_that_is_not_one_is_refused_by_name(page, size, message):
    with pytest.raises(PageError, match=message):
        paginate(ITEMS, page=page, size=size)
