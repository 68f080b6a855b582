"""The xdist groups of tests/conftest.py: each is one scope for pytest-xdist's loadgroup scheduler, so
the tests that share a module-scoped page load or an AppTest render run on one worker."""

import pytest

from tests.conftest import xdist_group_of

xdist = pytest.importorskip("xdist.scheduler.loadgroup")


def scope(nodeid: str) -> str:
    """The scope xdist's loadgroup scheduler gives a node id (with its ``@group`` suffix, if any)."""
    return xdist.LoadGroupScheduling._split_scope(None, nodeid)


def test_a_group_after_a_parametrized_id_is_read_as_the_group():
    nodeid = "tests/browser/test_classroom.py::test_step[en-7]"
    assert scope(f"{nodeid}@tests/browser/test_classroom.py::lesson=0") == "tests/browser/test_classroom.py::lesson=0"
    # the bug this guards: a "]" in the group name made xdist schedule each test alone
    assert scope(f"{nodeid}@tests/browser/test_classroom.py[lesson=0]") != "tests/browser/test_classroom.py[lesson=0]"


def test_every_group_of_this_session_is_one_scheduler_scope(request):
    """Over the tests collected in this run (the whole suite under the README's command)."""
    groups: dict[str, set[str]] = {}
    for item in request.session.items:
        group = xdist_group_of(item)
        if group is None:
            continue
        base = item.nodeid.split("@", 1)[0]
        assert scope(f"{base}@{group}") == group, (item.nodeid, group)
        groups.setdefault(group, set()).add(base.split("::", 1)[0])
    # a module-fixture group holds one module; a render group may span the modules that read it
    for group, modules in groups.items():
        assert group.startswith("render:") or modules == {group.split("::", 1)[0]}, (group, modules)
