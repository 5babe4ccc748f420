"""module_utils/ssm.py: names, batches and what a run changes."""

from ansible_collections.multiregion.dr.plugins.module_utils import ssm


def test_wanted_types_and_values():
    assert ssm.wanted("/shop/config/", {"a": "x", "b": ["1", "2"], "n": 3}) == {
        "/shop/config/a": ("String", "x"), "/shop/config/b": ("StringList", "1,2"), "/shop/config/n": ("String", "3")}


def test_changes_create_overwrite_and_tag():
    current = {"/p/a": {"type": "String", "value": "x", "description": "d", "tags": {"App": "shop"}},
               "/p/b": {"type": "String", "value": "1,2", "description": "d", "tags": {}},
               "/p/c": {"type": "String", "value": "y", "description": "old", "tags": {"App": "shop"}}}
    want = {"/p/a": ("String", "x"), "/p/b": ("StringList", "1,2"), "/p/c": ("String", "y"), "/p/d": ("String", "z")}
    create, overwrite, tag = ssm.changes(current, want, "d", {"App": "shop"})
    assert create == ["/p/d"] and overwrite == ["/p/b", "/p/c"] and tag == ["/p/b"]
    assert ssm.changes(current, {"/p/a": ("String", "x")}, None, {}) == ([], [], [])


def test_request_problems():
    assert ssm.request_problems("/shop/config/", {"a": "x", "b": ["1"]}, ["c"]) == []
    problems = ssm.request_problems("/shop", {"a": "", "b": [], "c": ["x,y"], "d e": "1"}, [])
    assert problems == ["path='/shop' must start and end with / (letters, digits, _ . - between)",
                        "parameter name 'd e' under /shop may hold only letters, digits, _ . -",
                        "a has an empty value: set it (an empty SSM parameter cannot be stored)",
                        "b is an empty list: a StringList needs at least one item",
                        "c has the item 'x,y': StringList items cannot hold commas"]
    assert ssm.request_problems("/shop/", {"a": ""}, [], check_mode=True) == []


def test_batches():
    assert ssm.batches(range(23), 10) == [list(range(10)), list(range(10, 20)), [20, 21, 22]]
