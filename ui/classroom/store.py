"""The class store: what a live class shares between the teacher's browser and every phone.

One interface, two backends (design.md, "A live class"):

- :class:`MemoryClassStore` — in the process, the default for ``streamlit run app.py`` (nothing to
  install). Thread-safe; one module-level instance (:func:`get_store`) outlives every rerun.
- :class:`RedisClassStore` — in Redis, chosen when ``ELBO_CLASS_REDIS_URL`` is set (``deploy.serve``,
  compose and the Kubernetes manifest set it), so every replica reads and writes the same class and
  a replica killed mid-class loses nothing. Votes are one Lua script each (atomic: a vote is counted
  exactly once however many arrive together); teacher actions are WATCH/MULTI transactions.

What is stored, and nothing else: the teacher's position (step, page, section), per question its
round, whether voting is open, whether counts are shown and the answer revealed, the counts per
option per round, and per round a map *anonymous voter token → option* (so a phone that votes again
changes its answer instead of counting twice). The token is a random string the phone made up; no
name, no address, no account. A class expires ``ttl_s`` after the teacher's last action (Redis
key expiry; lazily in memory).

The teacher's authority is a secret (192 random bits) returned once by :meth:`ClassStore.create`;
the store keeps only its SHA-256 and compares with :func:`hmac.compare_digest`.

This module never imports streamlit (the HTTP routes and the tests use it directly).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

# Short codes a student types from the projector: no 0/O, 1/I/L, so nothing is ambiguous.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # question ids, page slugs, section anchors
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # a phone's anonymous voter token
DEFAULT_TTL_S = 4 * 3600  # a class lives four hours after the teacher's last action
MAX_ROUNDS = 3  # vote, discuss, vote again (and once more if the class needs it)
MAX_OPTIONS = 8
MAX_STEP = 999
MAX_CLASSES_IN_MEMORY = 1000  # the in-process store refuses more live classes than this
REDIS_URL_ENV = "ELBO_CLASS_REDIS_URL"
TTL_ENV = "ELBO_CLASS_TTL_S"


class ClassError(Exception):
    """A refused class operation; ``status`` is its HTTP status, ``reason`` a stable short code."""

    status = 400
    reason = "bad_request"

    def __init__(self, message: str = ""):
        super().__init__(message or self.reason)


class BadRequest(ClassError):
    status, reason = 400, "bad_request"


class Forbidden(ClassError):
    status, reason = 403, "forbidden"


class ClassNotFound(ClassError):
    status, reason = 404, "no_such_class"


class Conflict(ClassError):
    """The vote does not match the class any more (another question, round, voting closed, ended)."""

    status, reason = 409, "conflict"


class Full(ClassError):
    status, reason = 503, "too_many_classes"


@dataclass(frozen=True)
class NewClass:
    code: str
    secret: str  # give it to the teacher's browser only; the store keeps just its hash


def normalize_code(raw: str | None) -> str:
    """A class code as typed (any case, spaces) → canonical, or raise ClassNotFound if malformed."""
    code = (raw or "").strip().upper().replace(" ", "").replace("-", "")
    if not CODE_RE.match(code):
        raise ClassNotFound(f"no class {raw!r}")
    return code


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_secret(stored_hash: str | None, secret: str | None) -> None:
    if not secret or not stored_hash or not hmac.compare_digest(_hash(str(secret)), stored_hash):
        raise Forbidden("only the teacher's browser can do this")


def _int(fields: dict, name: str, default: int = 0) -> int:
    try:
        return int(fields.get(name, default))
    except (TypeError, ValueError):
        return default


def _name(value, what: str) -> str:
    value = "" if value is None else str(value)
    if value and not NAME_RE.match(value):
        raise BadRequest(f"bad {what} {value[:40]!r}")
    return value


def teacher_changes(fields: dict[str, str], action: str, args: dict) -> dict[str, str]:
    """The fields a teacher action sets on the class record ``fields`` (shared by both backends).

    Actions: ``move`` (any of step, page, section, question + options), ``show`` (counts on phones:
    ``on`` true/false), ``close`` (stop accepting votes), ``reveal`` (the answer and the counts, for
    everyone; voting closes), ``again`` (a new round of the current question; earlier rounds are
    kept; with ``round`` = the round to start, a repeated request changes nothing), ``end``. Every
    change bumps ``version``; an empty result means nothing to change.
    """
    if fields.get("ended") == "1" and action != "end":
        raise Conflict("the class has ended")
    out: dict[str, str] = {}
    question = fields.get("question", "")
    q = f"q.{question}."
    if action == "move":
        if args.get("step") is not None:
            try:
                step = int(args["step"])
            except (TypeError, ValueError):
                raise BadRequest("step must be a whole number") from None
            if not 0 <= step <= MAX_STEP:
                raise BadRequest("step out of range")
            out["step"] = str(step)
        for name in ("page", "section"):
            if args.get(name) is not None:
                out[name] = _name(args[name], name)
        if args.get("question") is not None:
            new = _name(args["question"], "question")
            out["question"] = new
            if new and f"q.{new}.round" not in fields:
                try:
                    options = int(args.get("options") or 0)
                except (TypeError, ValueError):
                    options = 0
                if not 2 <= options <= MAX_OPTIONS:
                    raise BadRequest(f"a question needs 2 to {MAX_OPTIONS} options")
                out.update(
                    {
                        f"q.{new}.round": "1",
                        f"q.{new}.voting": "1",
                        f"q.{new}.shown": "0",
                        f"q.{new}.revealed": "0",
                        f"q.{new}.options": str(options),
                    }
                )
    elif action in ("show", "close", "reveal", "again"):
        if not question:
            raise Conflict("no question is open")
        if action == "show":
            out[q + "shown"] = "1" if args.get("on", True) else "0"
        elif action == "close":
            out[q + "voting"] = "0"
        elif action == "reveal":
            out.update({q + "revealed": "1", q + "shown": "1", q + "voting": "0"})
        else:
            rnd = _int(fields, q + "round", 1)
            wanted = args.get("round")
            if wanted is not None:  # "start round N": a retried request does not skip a round
                try:
                    wanted = int(wanted)
                except (TypeError, ValueError):
                    raise BadRequest("round must be a whole number") from None
                if wanted == rnd:
                    return {}
                if wanted != rnd + 1:
                    raise Conflict(f"round {rnd} is current")
            if rnd >= MAX_ROUNDS:
                raise Conflict(f"at most {MAX_ROUNDS} rounds")
            out.update({q + "round": str(rnd + 1), q + "voting": "1", q + "shown": "0", q + "revealed": "0"})
    elif action == "end":
        out["ended"] = "1"
    else:
        raise BadRequest(f"unknown action {str(action)[:20]!r}")
    out["version"] = str(_int(fields, "version") + 1)
    return out


def build_view(code: str, fields: dict[str, str], counts: dict[str, str], teacher: bool, expires_in: float) -> dict:
    """What a phone (or, with ``teacher``, the teacher) sees of a class, as JSON-ready data.

    Phones get the counts only once the teacher shows or reveals them; the teacher always. ``etag``
    changes exactly when something this viewer sees changes (votes do not wake phones while the
    counts are hidden)."""
    question = fields.get("question", "")
    q = f"q.{question}."
    rnd = _int(fields, q + "round") if question else 0
    options = _int(fields, q + "options") if question else 0
    shown = question and fields.get(q + "shown") == "1"
    revealed = question and fields.get(q + "revealed") == "1"
    version, tally = _int(fields, "version"), _int(counts, "_n")
    view = {
        "code": code,
        "version": version,
        "step": _int(fields, "step"),
        "page": fields.get("page", ""),
        "section": fields.get("section", ""),
        "ended": fields.get("ended") == "1",
        "question": question,
        "options": options,
        "round": rnd,
        "voting": bool(question) and fields.get(q + "voting") == "1",
        "shown": bool(shown),
        "revealed": bool(revealed),
        "expires_in": int(max(0.0, expires_in)),
    }
    if teacher or shown or revealed:
        rounds = {
            str(r): [max(0, _int(counts, f"{question}.{r}.{o}")) for o in range(options)] for r in range(1, rnd + 1)
        }
        view["counts"] = rounds
        view["answered"] = {r: sum(c) for r, c in rounds.items()}
        view["etag"] = f"{version}.{tally}"
    else:
        view["etag"] = str(version)
    view["teacher"] = teacher
    return view


def _vote_args(question, rnd, option, token) -> tuple[str, int, int, str]:
    question = _name(question, "question")
    if not question:
        raise BadRequest("which question?")
    try:
        rnd, option = int(rnd), int(option)
    except (TypeError, ValueError):
        raise BadRequest("round and option must be whole numbers") from None
    token = str(token or "")
    if not TOKEN_RE.match(token):
        raise BadRequest("a voter token is 16-64 letters, digits, - or _")
    return question, rnd, option, token


class ClassStore(ABC):
    """The operations of a live class; both backends behave identically (one test suite)."""

    ttl_s: float

    @abstractmethod
    def create(self) -> NewClass:
        """A new class: a fresh short code and the teacher's secret."""

    @abstractmethod
    def _load(self, code: str) -> tuple[dict[str, str], dict[str, str], float]:
        """(fields, counts, seconds left) of a live class, or raise ClassNotFound."""

    @abstractmethod
    def _teach(self, code: str, secret: str, action: str, args: dict) -> None:
        """Check the secret, then apply ``teacher_changes`` atomically and refresh the expiry."""

    @abstractmethod
    def _vote(self, code: str, question: str, rnd: int, option: int, token: str) -> None:
        """Record (or change) one voter's answer atomically; raise on a mismatch."""

    @abstractmethod
    def stamp(self, code: str) -> tuple[int, int]:
        """(version, vote tally): cheap, for the HTTP layer's change watcher. Raises ClassNotFound."""

    # ------------------------------------------------------------ public API
    def view(self, code: str, secret: str | None = None) -> dict:
        """The class as a phone sees it; with the teacher's ``secret``, as the teacher sees it (all
        counts). A wrong secret raises Forbidden (never silently a phone's view)."""
        code = normalize_code(code)
        fields, counts, left = self._load(code)
        if secret is not None:
            _check_secret(fields.get("secret"), secret)
        return build_view(code, fields, counts, secret is not None, left)

    def teach(self, code: str, secret: str | None, action: str, **args) -> dict:
        """Apply a teacher action (see :func:`teacher_changes`) → the teacher's view afterwards."""
        code = normalize_code(code)
        self._teach(code, secret or "", str(action), args)
        return self.view(code, secret)

    def move(
        self,
        code: str,
        secret: str,
        *,
        step: int | None = None,
        page: str | None = None,
        section: str | None = None,
        question: str | None = None,
        options: int = 0,
    ) -> dict:
        """The teacher goes to ``step`` (and/or a ``page``/``section``); ``question`` (with its number
        of ``options``) makes that question current — "" for none. A question met before keeps its
        rounds, counts and reveal."""
        return self.teach(
            code, secret, "move", step=step, page=page, section=section, question=question, options=options
        )

    def show(self, code: str, secret: str, on: bool = True) -> dict:
        return self.teach(code, secret, "show", on=on)

    def close_vote(self, code: str, secret: str) -> dict:
        return self.teach(code, secret, "close")

    def reveal(self, code: str, secret: str) -> dict:
        return self.teach(code, secret, "reveal")

    def vote_again(self, code: str, secret: str, round: int | None = None) -> dict:  # noqa: A002
        """A new round of the current question (``round``: the one to start; repeating it is a no-op)."""
        return self.teach(code, secret, "again", round=round)

    def end(self, code: str, secret: str) -> dict:
        return self.teach(code, secret, "end")

    def vote(self, code: str, token: str, question: str, rnd: int, option: int) -> dict:
        """One phone's answer to ``question`` in round ``rnd``: option index ``option``. The same
        ``token`` voting again in the same round changes its answer (never counted twice). The
        same vote sent again is acknowledged even once voting has closed (revealed, moved on, ended):
        a phone that lost the reply to its first try must not be told its counted vote was refused."""
        code = normalize_code(code)
        question, rnd, option, token = _vote_args(question, rnd, option, token)
        self._vote(code, question, rnd, option, token)
        return self.view(code)


# ---------------------------------------------------------------------------------------- memory
class _Record:
    __slots__ = ("fields", "counts", "votes", "expires")

    def __init__(self, fields: dict[str, str], expires: float):
        self.fields, self.counts, self.votes, self.expires = fields, {}, {}, expires


class MemoryClassStore(ClassStore):
    """Classes in this process (``streamlit run app.py``). One lock; every operation is short."""

    def __init__(self, ttl_s: float = DEFAULT_TTL_S, clock=time.monotonic, max_classes: int = MAX_CLASSES_IN_MEMORY):
        self.ttl_s, self._clock, self.max_classes = float(ttl_s), clock, max_classes
        self._lock = threading.Lock()
        self._classes: dict[str, _Record] = {}

    def _live(self, code: str) -> _Record:
        record = self._classes.get(code)
        if record is None or record.expires <= self._clock():
            self._classes.pop(code, None)
            raise ClassNotFound(f"no class {code}")
        return record

    def create(self) -> NewClass:
        secret = secrets.token_urlsafe(24)
        with self._lock:
            now = self._clock()
            for code in [c for c, r in self._classes.items() if r.expires <= now]:
                del self._classes[code]  # lazy expiry, swept whenever a class is created
            if len(self._classes) >= self.max_classes:
                raise Full("too many live classes on this server")
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if code not in self._classes:
                    break
            self._classes[code] = _Record({"secret": _hash(secret), "version": "1", "step": "0"}, now + self.ttl_s)
        return NewClass(code, secret)

    def _load(self, code):
        with self._lock:
            record = self._live(code)
            return dict(record.fields), dict(record.counts), record.expires - self._clock()

    def stamp(self, code):
        with self._lock:
            record = self._live(code)
            return _int(record.fields, "version"), _int(record.counts, "_n")

    def _teach(self, code, secret, action, args):
        with self._lock:
            record = self._live(code)
            _check_secret(record.fields.get("secret"), secret)
            record.fields.update(teacher_changes(record.fields, action, args))
            record.expires = self._clock() + self.ttl_s

    def _vote(self, code, question, rnd, option, token):
        with self._lock:
            record = self._live(code)
            fields, q = record.fields, f"q.{question}."
            key, base = f"{question}.{rnd}.{token}", f"{question}.{rnd}."
            old = record.votes.get(key)
            if old == option:  # a re-sent vote (its answer was lost): counted already, whatever happened since
                return
            if fields.get("ended") == "1":
                raise Conflict("the class has ended")
            if fields.get("question") != question or fields.get(q + "round") != str(rnd):
                raise Conflict("the class has moved on to another question or round")
            if fields.get(q + "voting") != "1":
                raise Conflict("voting is closed")
            if not 0 <= option < _int(fields, q + "options"):
                raise BadRequest("no such option")
            record.votes[key] = option
            counts = record.counts
            if old is not None:
                counts[base + str(old)] = str(_int(counts, base + str(old)) - 1)
            counts[base + str(option)] = str(_int(counts, base + str(option)) + 1)
            counts["_n"] = str(_int(counts, "_n") + 1)


# ----------------------------------------------------------------------------------------- redis
_CREATE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'version', '1', 'step', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: class hash, votes hash, counts hash. ARGV: question, round, option, token.
# Returns 1 counted/changed, 0 unchanged, negative: refused (see _VOTE_ERRORS).
_VOTE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local base = ARGV[1] .. '.' .. ARGV[2] .. '.'
local old = redis.call('HGET', KEYS[2], base .. ARGV[4])
if old == ARGV[3] then return 0 end
if redis.call('HGET', KEYS[1], 'ended') == '1' then return -2 end
local q = 'q.' .. ARGV[1] .. '.'
if redis.call('HGET', KEYS[1], 'question') ~= ARGV[1] or redis.call('HGET', KEYS[1], q .. 'round') ~= ARGV[2] then
  return -3
end
if redis.call('HGET', KEYS[1], q .. 'voting') ~= '1' then return -4 end
local option = tonumber(ARGV[3])
if option < 0 or option >= tonumber(redis.call('HGET', KEYS[1], q .. 'options') or '0') then return -5 end
redis.call('HSET', KEYS[2], base .. ARGV[4], ARGV[3])
if old then redis.call('HINCRBY', KEYS[3], base .. old, -1) end
redis.call('HINCRBY', KEYS[3], base .. ARGV[3], 1)
redis.call('HINCRBY', KEYS[3], '_n', 1)
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return 1
"""
_VOTE_ERRORS = {
    -1: ClassNotFound("no such class"),
    -2: Conflict("the class has ended"),
    -3: Conflict("the class has moved on to another question or round"),
    -4: Conflict("voting is closed"),
    -5: BadRequest("no such option"),
}


class RedisClassStore(ClassStore):
    """Classes in Redis, shared by every replica. Keys share a hash tag ``{CODE}`` (Redis Cluster
    keeps a class on one shard): the record, the voter map and the counts, all expiring together."""

    def __init__(self, client, ttl_s: float = DEFAULT_TTL_S, prefix: str = "elbo:class:"):
        self.r, self.ttl_s, self.prefix = client, float(ttl_s), prefix
        self._create = client.register_script(_CREATE_LUA)
        self._vote_script = client.register_script(_VOTE_LUA)

    @classmethod
    def from_url(cls, url: str, **kwargs) -> RedisClassStore:
        import redis  # only where Redis is configured

        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=3,
            socket_connect_timeout=3,
            health_check_interval=30,
            retry_on_timeout=True,
        )
        return cls(client, **kwargs)

    def _keys(self, code: str) -> tuple[str, str, str]:
        base = f"{self.prefix}{{{code}}}"
        return base, base + ":votes", base + ":counts"

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self.ttl_s * 1000))

    def create(self) -> NewClass:
        secret = secrets.token_urlsafe(24)
        for _ in range(100):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if self._create(keys=[self._keys(code)[0]], args=[_hash(secret), self._ttl_ms]):
                return NewClass(code, secret)
        raise Full("no free class code")  # 28 million codes: only if Redis is full of classes

    def _load(self, code):
        main, _, counts_key = self._keys(code)
        with self.r.pipeline(transaction=True) as pipe:
            pipe.hgetall(main)
            pipe.hgetall(counts_key)
            pipe.pttl(main)
            fields, counts, pttl = pipe.execute()
        if not fields:
            raise ClassNotFound(f"no class {code}")
        return fields, counts, max(0, pttl) / 1000

    def stamp(self, code):
        main, _, counts_key = self._keys(code)
        with self.r.pipeline(transaction=False) as pipe:
            pipe.hget(main, "version")
            pipe.hget(counts_key, "_n")
            version, tally = pipe.execute()
        if version is None:
            raise ClassNotFound(f"no class {code}")
        return int(version), int(tally or 0)

    def _teach(self, code, secret, action, args):
        import redis

        keys = self._keys(code)
        with self.r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(keys[0])
                    fields = pipe.hgetall(keys[0])
                    if not fields:
                        raise ClassNotFound(f"no class {code}")
                    _check_secret(fields.get("secret"), secret)
                    changes = teacher_changes(fields, action, args)
                    pipe.multi()
                    if changes:
                        pipe.hset(keys[0], mapping=changes)
                    for key in keys:
                        pipe.pexpire(key, self._ttl_ms)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # the record changed between the read and the write: read again

    def _vote(self, code, question, rnd, option, token):
        result = self._vote_script(keys=list(self._keys(code)), args=[question, rnd, option, token])
        if result < 0:
            error = _VOTE_ERRORS[result]
            raise type(error)(str(error))


# ------------------------------------------------------------------------------------ singleton
_store: ClassStore | None = None
_store_lock = threading.Lock()


def make_store(redis_url: str | None = None, ttl_s: float | None = None) -> ClassStore:
    """Redis when a URL is given (or ``ELBO_CLASS_REDIS_URL`` is set), else in memory."""
    url = redis_url if redis_url is not None else os.environ.get(REDIS_URL_ENV, "").strip()
    if ttl_s is None:
        try:
            ttl_s = float(os.environ.get(TTL_ENV, DEFAULT_TTL_S))
        except ValueError:
            ttl_s = DEFAULT_TTL_S
    return RedisClassStore.from_url(url, ttl_s=ttl_s) if url else MemoryClassStore(ttl_s=ttl_s)


def get_store() -> ClassStore:
    """The process's one class store (shared by every session's reruns and the HTTP routes)."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = make_store()
    return _store
