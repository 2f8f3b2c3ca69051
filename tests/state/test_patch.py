"""JSON Patch (RFC 6902) with SuperOffice's case-insensitive, optional-slash paths, and Merge Patch (RFC 7396)."""
from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.state import PatchConflict, PatchError, apply_json_patch, apply_merge_patch
from mockserver.state.patch import SUPEROFFICE_PATCH_OPS, json_equal, split_pointer

DOC = {"Firstname": "Ann", "Emails": [{"Value": "a@x.no"}], "Address": {"Street": {"Line1": "Main 1"}},
       "a/b": 1, "m~n": 2}


@pytest.mark.parametrize("path", ["/Firstname", "Firstname", "/firstname", "firstname", "FIRSTNAME"])
def test_paths_are_case_insensitive_and_the_slash_optional(path):
    out = apply_json_patch(DOC, [{"op": "replace", "path": path, "value": "Bo"}])
    assert out["Firstname"] == "Bo" and "firstname" not in out


def test_add_replace_remove_test_nested_and_arrays():
    ops = [
        {"op": "test", "path": "/address/street/line1", "value": "Main 1"},
        {"op": "replace", "path": "address/street/LINE1", "value": "Side 2"},
        {"op": "add", "path": "/emails/-", "value": {"Value": "b@x.no"}},
        {"op": "add", "path": "/emails/0", "value": {"Value": "first@x.no"}},
        {"op": "remove", "path": "/Emails/1"},
        {"op": "add", "path": "/Title", "value": "Dr"},
        {"op": "remove", "path": "/a~1b"},
        {"op": "replace", "path": "/m~0n", "value": 3},
    ]
    out = apply_json_patch(DOC, ops)
    assert out["Address"]["Street"]["Line1"] == "Side 2"
    assert [e["Value"] for e in out["Emails"]] == ["first@x.no", "b@x.no"]
    assert out["Title"] == "Dr" and "a/b" not in out and out["m~n"] == 3
    assert DOC["Address"]["Street"]["Line1"] == "Main 1"  # the input is never modified


def test_new_keys_take_the_schema_spelling():
    out = apply_json_patch({"Id": 1}, [{"op": "add", "path": "/middlename", "value": "Q"}],
                           names={"middlename": "MiddleName"})
    assert out == {"Id": 1, "MiddleName": "Q"}


def test_failed_test_is_a_conflict_and_nothing_applies():
    doc = copy.deepcopy(DOC)
    with pytest.raises(PatchConflict, match="test failed"):
        apply_json_patch(doc, [{"op": "replace", "path": "/Firstname", "value": "Bo"},
                               {"op": "test", "path": "/Firstname", "value": "Ann"}])
    assert doc == DOC


@pytest.mark.parametrize("ops", [
    [{"op": "replace", "path": "/Nope", "value": 1}],
    [{"op": "remove", "path": "/Nope"}],
    [{"op": "add", "path": "/Nope/deeper", "value": 1}],
    [{"op": "replace", "path": "/Emails/5", "value": 1}],
    [{"op": "test", "path": "/Emails/x", "value": 1}],
])
def test_missing_targets_conflict(ops):
    with pytest.raises(PatchConflict):
        apply_json_patch(DOC, ops)


@pytest.mark.parametrize("ops", [
    {"op": "add"},
    [{"path": "/x", "value": 1}],
    [{"op": "jump", "path": "/x"}],
    [{"op": "add", "value": 1}],
    [{"op": "add", "path": "/x"}],
    [17],
])
def test_malformed_patches(ops):
    with pytest.raises(PatchError) as info:
        apply_json_patch(DOC, ops)
    assert not isinstance(info.value, PatchConflict)


def test_move_and_copy_follow_the_rfc_but_superoffice_does_not_support_them():
    out = apply_json_patch({"a": {"b": 1}}, [{"op": "copy", "from": "/a/b", "path": "/c"},
                                              {"op": "move", "from": "/a", "path": "/d"}])
    assert out == {"c": 1, "d": {"b": 1}}
    with pytest.raises(PatchError, match="not supported"):
        apply_json_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/b"}], allowed=SUPEROFFICE_PATCH_OPS)


def test_test_uses_json_equality():
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal("1", 1)
    assert json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})
    with pytest.raises(PatchConflict):
        apply_json_patch({"Done": 1}, [{"op": "test", "path": "/Done", "value": True}])


def test_pointer_splitting():
    assert split_pointer("") == [] and split_pointer("/") == []
    assert split_pointer("a/b~1c/~0") == ["a", "b/c", "~"]


def test_merge_patch_rfc7396_examples():
    # Cases from RFC 7396 appendix A.
    assert apply_merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert apply_merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert apply_merge_patch({"a": "b"}, {"a": None}) == {}
    assert apply_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert apply_merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert apply_merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert apply_merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_merge_patch_keys_are_case_insensitive():
    doc = {"Firstname": "Ann", "Address": {"City": "Oslo", "Zip": "0150"}}
    out = apply_merge_patch(doc, {"firstname": "Bo", "address": {"zip": None}, "middlename": "Q"},
                            names={"middlename": "MiddleName"})
    assert out == {"Firstname": "Bo", "Address": {"City": "Oslo"}, "MiddleName": "Q"}
    assert doc["Address"]["Zip"] == "0150"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10)
objects = st.dictionaries(st.text(max_size=4), json_values, max_size=4)


@given(objects)
def test_empty_patches_change_nothing(doc):
    assert apply_json_patch(doc, []) == doc
    assert apply_merge_patch(doc, {}) == doc


@given(objects, st.text(min_size=1, max_size=4).filter(lambda s: "/" not in s and "~" not in s), json_values)
def test_add_then_read_back(doc, key, value):
    out = apply_json_patch(doc, [{"op": "add", "path": "/" + key, "value": value},
                                 {"op": "test", "path": key, "value": value}])
    assert any(k.lower() == key.lower() and json_equal(v, value) for k, v in out.items())
