"""The class store (ui/classroom/store.py): the same tests against both backends — in memory and a
real ``redis-server`` started on a free port for this module (skipped locally when it is missing,
a failure under CI=true, where .ci/run installs it).

Oracles are independent of the store: counts are compared with a tally kept by the test itself."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import threading
import time
from collections import Counter

import pytest

from harness.server import free_port
from ui.classroom import store as cs

REDIS_SERVER = "/usr/bin/redis-server"


def _redis_server_path() -> str | None:
    return REDIS_SERVER if os.path.exists(REDIS_SERVER) else shutil.which("redis-server")


def poll(condition, timeout: float, what: str, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
    return value


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server (no persistence) for this test session."""
    path = _redis_server_path()
    if path is None:
        reason = "redis-server is not installed (Debian: apt-get install redis-server)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis tests cannot run under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    pytest.importorskip("redis")
    import redis

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [path, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def up():
        if proc.poll() is not None:
            pytest.fail("redis-server exited at start")
        try:
            return redis.Redis.from_url(url).ping()
        except redis.ConnectionError:
            return False

    try:
        poll(up, 20, "redis-server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["memory", "redis"])
def make(request):
    """make(ttl_s=...) → a fresh store of the parametrized backend."""
    if request.param == "memory":
        return lambda **kw: cs.MemoryClassStore(**kw)
    url = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(url).flushdb()
    return lambda **kw: cs.RedisClassStore.from_url(url, **kw)


@pytest.fixture
def store(make):
    return make()


def token(i: int = 0) -> str:
    return f"voter-{i:04d}-{'x' * 12}"


# ---------------------------------------------------------------------------------------- basics
def test_create_gives_a_short_unambiguous_code_and_a_long_secret(store):
    made = {store.create() for _ in range(20)}
    assert len({m.code for m in made}) == 20
    for m in made:
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{5}", m.code)
        assert not set(m.code) & set("01OIL")
        assert len(m.secret) >= 32  # token_urlsafe(24): 192 random bits
        view = store.view(m.code)
        assert (view["code"], view["step"], view["question"], view["ended"]) == (m.code, 0, "", False)


def test_code_is_typed_in_any_case(store):
    made = store.create()
    assert store.view(made.code.lower())["code"] == made.code
    assert store.view(f" {made.code[:2]}-{made.code[2:]} ")["code"] == made.code


def test_teacher_moves_and_a_phone_sees_it(store):
    c = store.create()
    before = store.view(c.code)
    store.move(c.code, c.secret, step=4, page="lesson", section="ledger")
    after = store.view(c.code)
    assert (after["step"], after["page"], after["section"]) == (4, "lesson", "ledger")
    assert after["version"] > before["version"] and after["etag"] != before["etag"]


@pytest.mark.parametrize("secret", [None, "", "wrong", "x" * 32])
def test_only_the_secret_drives_the_class(store, secret):
    c = store.create()
    for act in (lambda s: store.move(c.code, s, step=3), lambda s: store.end(c.code, s)):
        with pytest.raises(cs.Forbidden):
            act(secret)
    if secret is not None:  # a wrong secret never falls back to a phone's view
        with pytest.raises(cs.Forbidden):
            store.view(c.code, secret)
    assert "counts" not in store.view(c.code)
    other = store.create()
    with pytest.raises(cs.Forbidden):  # another class's secret is no key to this one
        store.move(c.code, other.secret, step=3)
    assert store.view(c.code)["step"] == 0


@pytest.mark.parametrize("code", ["ZZZZZ", "abc", "", "0OIL1", "AAAAAA", None])
def test_unknown_or_malformed_code(store, code):
    with pytest.raises(cs.ClassNotFound):
        store.view(code)
    with pytest.raises(cs.ClassNotFound):
        store.vote(code, token(), "kl", 1, 0)


def test_bad_teacher_arguments_are_refused(store):
    c = store.create()
    for args in (
        {"step": -1},
        {"step": "x"},
        {"page": "../etc"},
        {"section": "A B"},
        {"question": "kl", "options": 1},
        {"question": "kl", "options": 99},
    ):
        with pytest.raises(cs.BadRequest):
            store.move(c.code, c.secret, **args)
    with pytest.raises(cs.BadRequest):
        store.teach(c.code, c.secret, "fly")
    with pytest.raises(cs.Conflict):
        store.reveal(c.code, c.secret)  # no question open yet


# ---------------------------------------------------------------------------------------- voting
def test_vote_reveal_and_vote_again_keep_both_rounds(store):
    c = store.create()
    store.move(c.code, c.secret, step=2, question="kl", options=3)
    phone = store.view(c.code)
    assert (phone["question"], phone["round"], phone["voting"], phone["options"]) == ("kl", 1, True, 3)
    assert "counts" not in phone  # phones see no counts until the teacher shows them
    for i, option in enumerate([0, 1, 1, 2, 1]):
        store.vote(c.code, token(i), "kl", 1, option)
    assert "counts" not in store.view(c.code)
    teacher = store.view(c.code, c.secret)
    assert teacher["counts"] == {"1": [1, 3, 1]} and teacher["answered"] == {"1": 5}

    store.show(c.code, c.secret)
    assert store.view(c.code)["counts"] == {"1": [1, 3, 1]}
    store.vote_again(c.code, c.secret, round=2)
    assert store.vote_again(c.code, c.secret, round=2)["round"] == 2  # a retried request skips nothing
    with pytest.raises(cs.Conflict):
        store.vote_again(c.code, c.secret, round=5)
    phone = store.view(c.code)
    assert (phone["round"], phone["voting"], phone["shown"], phone["revealed"]) == (2, True, False, False)
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(0), "kl", 1, 2)  # round 1 is over
    for i, option in enumerate([2, 2, 1, 2, 2]):
        store.vote(c.code, token(i), "kl", 2, option)
    store.reveal(c.code, c.secret)
    phone = store.view(c.code)
    assert phone["revealed"] and phone["shown"] and not phone["voting"]
    assert phone["counts"] == {"1": [1, 3, 1], "2": [0, 1, 4]}
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(9), "kl", 2, 0)  # closed by the reveal


def test_a_phone_that_votes_again_changes_its_answer(store):
    c = store.create()
    store.move(c.code, c.secret, question="q1", options=2)
    for option in (0, 1, 1, 0, 1):
        store.vote(c.code, token(1), "q1", 1, option)
    store.vote(c.code, token(2), "q1", 1, 1)
    assert store.view(c.code, c.secret)["counts"] == {"1": [0, 2]}


def test_a_vote_resent_after_the_reveal_is_acknowledged_not_refused(store):
    """A phone whose answer reached the store but whose reply was lost (a replica killed, the network
    dropped) sends the same vote again; if the teacher revealed, moved on or ended meanwhile, the
    resend is acknowledged (the vote stands, counted once), while a different answer is refused."""
    c = store.create()
    store.move(c.code, c.secret, step=1, question="q", options=3)
    store.vote(c.code, token(1), "q", 1, 2)
    store.reveal(c.code, c.secret)
    store.vote(c.code, token(1), "q", 1, 2)  # the same vote again: no Conflict
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(1), "q", 1, 0)  # a change after the reveal is not counted
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(2), "q", 1, 1)  # nor a first vote
    store.move(c.code, c.secret, step=2, question="other", options=2)
    store.vote(c.code, token(1), "q", 1, 2)  # the teacher moved on: still the same vote
    store.move(c.code, c.secret, step=1, question="q")
    assert store.view(c.code, c.secret)["counts"] == {"1": [0, 0, 1]}  # counted exactly once
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(1), "q", 2, 2)  # another round is not the same vote
    store.end(c.code, c.secret)
    store.vote(c.code, token(1), "q", 1, 2)
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(3), "q", 1, 2)


def test_votes_must_match_the_current_question(store):
    c = store.create()
    store.move(c.code, c.secret, step=1, question="a", options=2)
    store.vote(c.code, token(), "a", 1, 1)
    store.move(c.code, c.secret, step=2, question="b", options=4)
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(), "a", 1, 0)
    with pytest.raises(cs.BadRequest):
        store.vote(c.code, token(), "b", 1, 4)
    for bad in ("short", "has space in it!!", "x" * 65):
        with pytest.raises(cs.BadRequest):
            store.vote(c.code, bad, "b", 1, 0)
    store.vote(c.code, token(), "b", 1, 3)
    # back to the first question: its round, counts and state are kept
    store.move(c.code, c.secret, step=1, question="a")
    assert store.view(c.code, c.secret)["counts"] == {"1": [0, 1]}


def test_phone_etag_ignores_hidden_votes_and_follows_shown_ones(store):
    c = store.create()
    store.move(c.code, c.secret, question="q", options=2)
    etag = store.view(c.code)["etag"]
    teacher_etag = store.view(c.code, c.secret)["etag"]
    store.vote(c.code, token(), "q", 1, 0)
    assert store.view(c.code)["etag"] == etag  # 120 phones are not woken by every hidden vote …
    assert store.view(c.code, c.secret)["etag"] != teacher_etag  # … but the teacher's bars are
    store.show(c.code, c.secret)
    shown = store.view(c.code)["etag"]
    store.vote(c.code, token(1), "q", 1, 1)
    assert store.view(c.code)["etag"] != shown


def test_ended_class_refuses_votes_and_moves(store):
    c = store.create()
    store.move(c.code, c.secret, question="q", options=2)
    store.end(c.code, c.secret)
    assert store.view(c.code)["ended"]
    with pytest.raises(cs.Conflict):
        store.vote(c.code, token(), "q", 1, 0)
    with pytest.raises(cs.Conflict):
        store.move(c.code, c.secret, step=5)


def test_120_concurrent_votes_count_exactly_once(store):
    c = store.create()
    store.move(c.code, c.secret, question="q", options=4)
    rng = random.Random(22)
    first = [rng.randrange(4) for _ in range(120)]
    final = [rng.randrange(4) if i % 3 == 0 else first[i] for i in range(120)]  # a third change their mind
    barrier = threading.Barrier(120)
    errors = []

    def phone(i):
        try:
            barrier.wait(timeout=30)
            store.vote(c.code, token(i), "q", 1, first[i])
            store.vote(c.code, token(i), "q", 1, first[i])  # a double tap
            store.vote(c.code, token(i), "q", 1, final[i])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(120)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors
    expected = Counter(final)
    assert store.view(c.code, c.secret)["counts"] == {"1": [expected[o] for o in range(4)]}


def test_teacher_actions_during_a_vote_storm_lose_nothing(store):
    c = store.create()
    store.move(c.code, c.secret, question="q", options=2)
    done = threading.Event()

    def storm():
        i = 0
        while not done.is_set() or i < 100:  # at least two votes from each of the 50 phones
            store.vote(c.code, token(i % 50), "q", 1, i % 2)
            i += 1

    th = threading.Thread(target=storm)
    th.start()
    try:
        for step in range(1, 21):
            store.move(c.code, c.secret, step=step)
    finally:
        done.set()
        th.join()
    view = store.view(c.code, c.secret)
    assert view["step"] == 20 and sum(view["counts"]["1"]) == 50


# ---------------------------------------------------------------------------------------- expiry
def test_a_class_expires(make):
    store = make(ttl_s=0.4)
    c = store.create()
    assert store.view(c.code)["expires_in"] <= 1
    poll(lambda: _gone(store, c.code), 10, "the class to expire")
    with pytest.raises(cs.ClassNotFound):
        store.move(c.code, c.secret, step=1)


def test_teacher_activity_keeps_a_class_alive(make):
    store = make(ttl_s=1.0)  # Redis: PEXPIRE in ms, so a second is a real TTL there too
    c = store.create()
    store.move(c.code, c.secret, question="q", options=2)
    store.vote(c.code, token(), "q", 1, 1)
    deadline = time.monotonic() + 1.5  # longer than the TTL: only the teacher's actions keep it
    while time.monotonic() < deadline:
        store.move(c.code, c.secret, step=1)
        assert store.view(c.code, c.secret)["counts"] == {"1": [0, 1]}
        time.sleep(0.1)


def _gone(store, code) -> bool:
    try:
        store.view(code)
    except cs.ClassNotFound:
        return True
    return False


def test_memory_store_expiry_with_a_clock():
    now = [100.0]
    store = cs.MemoryClassStore(ttl_s=60, clock=lambda: now[0])
    c = store.create()
    now[0] += 59
    store.view(c.code)
    now[0] += 2
    with pytest.raises(cs.ClassNotFound):
        store.view(c.code)
    assert c.code not in store._classes  # dropped, not just hidden


def test_memory_store_refuses_too_many_classes():
    store = cs.MemoryClassStore(max_classes=3)
    for _ in range(3):
        store.create()
    with pytest.raises(cs.Full):
        store.create()


def test_redis_keeps_nothing_personal(redis_url):
    """Everything Redis holds for a class: the record, counts, and token → option; all expiring."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    store = cs.RedisClassStore(client, ttl_s=3600)
    c = store.create()
    store.move(c.code, c.secret, question="q", options=2)
    store.vote(c.code, token(7), "q", 1, 1)
    keys = sorted(client.keys("*"))
    assert keys == [f"elbo:class:{{{c.code}}}", f"elbo:class:{{{c.code}}}:counts", f"elbo:class:{{{c.code}}}:votes"]
    assert all(0 < client.ttl(k) <= 3600 for k in keys)
    assert client.hgetall(keys[2]) == {f"q.1.{token(7)}": "1"}
    assert c.secret not in str(client.hgetall(keys[0]))  # only its hash


def test_make_store_picks_redis_from_the_environment(monkeypatch, redis_url):
    monkeypatch.setenv(cs.REDIS_URL_ENV, redis_url)
    assert isinstance(cs.make_store(), cs.RedisClassStore)
    monkeypatch.delenv(cs.REDIS_URL_ENV)
    assert isinstance(cs.make_store(), cs.MemoryClassStore)


# ------------------------------------------------------------------------ the Streamlit side
def _session_script():
    import streamlit as st

    from ui.classroom import session
    from ui.live.classroom import class_bar, join_panel

    st.session_state.lang = st.query_params.get("lang", "en")
    made = session.teacher_class() or session.start_class()
    st.markdown(f"secret-held-{len(made.secret)}")
    join_panel(made.code, f"http://school.example/lesson?class={made.code}")
    view = class_bar(made.code, role="teacher", secret=made.secret, question="q", labels=["a", "b"])
    st.markdown(f"teacher-view-{view['teacher']}")
    code, bad = session.joined_code()
    st.markdown(f"joined-{code}-{bad}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_join_panel_and_teacher_session(lang):
    from streamlit.testing.v1 import AppTest

    from ui.i18n import catalogue

    at = AppTest.from_function(_session_script, default_timeout=30)
    at.query_params["lang"] = lang
    at.query_params["class"] = "nope!"
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    made = at.session_state["class_teacher"]
    assert "secret-held-32" in texts and "teacher-view-True" in texts and "joined-None-nope!" in texts
    assert [m.value for m in at.metric] == [made.code]  # the code in large type
    hours = catalogue(lang)["classroom.nothing_personal"].split("{hours}")[0]
    assert any(c.value.startswith(hours) for c in at.caption)
    assert all(made.secret not in m for m in texts)  # the secret is never shown
    at.run()
    assert at.session_state["class_teacher"] == made  # a rerun keeps the same class
