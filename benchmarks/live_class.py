"""A live class under load: N simulated phones follow a teacher and vote on every step.

Each phone is a thread speaking the class's HTTP API (ui/classroom/http.py) as static/live/class.js
does: a long poll ``GET /class/api/<CODE>?wait=20`` with its last ETag, and one vote per question
and round (a POST with its anonymous token). Behind HAProxy each phone keeps the sticky cookie it
was given, like a browser. The teacher creates the class, then for every step: moves there with a
question, waits until every phone has voted, reveals, and (on every other step) starts round 2.

Measured:
- every vote counted exactly once: the server's counts per question and round equal the phones'
  own tally of what they sent (``exact``);
- step propagation: from the teacher's request to each phone's poll answering with the new step
  (p50, p95, max over all phones and steps);
- server CPU while the phones follow an idle teacher (``--idle`` seconds, nobody moves): CPU time of
  the server processes (replicas, HAProxy, Redis) / wall time, in % of one core;
- with ``--replicas 2 --kill-at-step K``: replica 1 is SIGKILLed just before step K; every vote and
  the step must survive (the launcher restarts it; phones retry like the browser).

    python -m benchmarks.live_class --students 120                      # streamlit run app.py
    python -m benchmarks.live_class --students 120 --replicas 2 --kill-at-step 5
    python -m benchmarks.live_class --students 120 --short-poll 0.5    # what plain polling would cost
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

from benchmarks.common import cpu_seconds, log, machine_busy_seconds, median, percentile, serve

COOKIE = "STREAMLIT_REPLICA"
OPTIONS = 3


class Phone(threading.Thread):
    def __init__(self, index: int, base: str, code: str, shared: dict, short_poll: float = 0.0):
        super().__init__(daemon=True, name=f"phone-{index}")
        self.index, self.base, self.code, self.shared = index, base, code, shared
        self.short_poll = short_poll  # > 0: ask every this many seconds instead of a long poll
        self.token = f"bench-phone-{index:06d}-{random.getrandbits(32):08x}"
        self.cookie: str | None = None
        self.etag: str | None = None
        self.step_seen: dict[int, float] = {}  # step → when this phone first saw it (monotonic)
        self.voted: dict[tuple[str, int], int] = {}  # (question, round) → option sent and accepted
        self.unsure: dict[tuple[str, int], int] = {}  # … sent, but its answer was lost (counted or not)
        self.errors: list[str] = []
        self.polls = 0
        self.rng = random.Random(index)

    def request(self, path: str, body: dict | None = None, headers: dict | None = None, timeout: float = 40):
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        if self.cookie:
            all_headers["Cookie"] = f"{COOKIE}={self.cookie}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/class/api/{self.code}{path}", data=data, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                self._keep_cookie(response.headers)
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            self._keep_cookie(error.headers)
            text = error.read()
            with contextlib.suppress(ValueError):
                return error.code, json.loads(text) if text else None
            return error.code, None

    def _keep_cookie(self, headers) -> None:
        for value in headers.get_all("Set-Cookie") or []:
            if value.startswith(COOKIE + "="):
                self.cookie = value.split(";")[0].split("=", 1)[1]

    def run(self) -> None:
        failures = 0
        while not self.shared["stop"].is_set():
            try:
                headers = {"If-None-Match": f'"{self.etag}"'} if self.etag else {}
                if self.short_poll:
                    time.sleep(self.short_poll)
                status, view = self.request("" if self.short_poll else "?wait=20", headers=headers)
                self.polls += 1
                failures = 0
            except (OSError, http.client.HTTPException) as exc:
                failures += 1
                self.errors.append(f"poll: {exc}"[:120])
                time.sleep(min(10.0, 0.25 * 2 ** min(failures, 6)))  # as class.js backs off
                continue
            if status == 304:
                continue
            if status != 200:
                if status not in (502, 503, 504):
                    self.errors.append(f"poll: HTTP {status}")
                time.sleep(0.25)
                continue
            now = time.monotonic()
            self.etag = view["etag"]
            self.step_seen.setdefault(view["step"], now)
            key = (view["question"], view["round"])
            if view["voting"] and view["question"] and key not in self.voted:
                self.vote(view)

    def vote(self, view: dict) -> None:
        option = self.rng.randrange(view["options"])
        body = {"token": self.token, "question": view["question"], "round": view["round"], "option": option}
        key = (view["question"], view["round"])
        for attempt in range(4):  # a vote is idempotent (keyed by the token): retried like class.js does
            try:
                status, _ = self.request("/vote", body, timeout=20)
                failure = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as exc:
                status, failure = 0, type(exc).__name__
            if status == 200:
                self.voted[key] = option
                self.unsure.pop(key, None)
                return
            if status not in (0, 502, 503, 504):
                self.errors.append(f"vote: {failure}" + (" (after a retry)" if attempt else ""))
                return
            # the request may have been counted before its answer was lost: until an attempt succeeds,
            # the server may hold this vote or not (never twice: it is keyed by the token)
            self.unsure[key] = option
            self.errors.append(f"vote retried: {failure}")
            time.sleep(0.4 * 2**attempt)
        self.errors.append("vote: gave up")


def teacher_call(base: str, code: str, secret: str, body: dict | None = None) -> dict:
    headers = {"X-Class-Secret": secret}
    if body is not None:
        headers["Content-Type"] = "application/json"
    path = f"/class/api/{code}" + ("/teacher" if body is not None else "")
    for attempt in range(6):
        request = urllib.request.Request(
            base + path, data=None if body is None else json.dumps(body).encode(), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code not in (502, 503, 504):
                raise
        except OSError:
            pass
        time.sleep(0.3 * 2**attempt)
    raise RuntimeError(f"teacher request {body} failed")


def run_class(
    base: str, students: int, steps: int, idle_s: float, server_pids, kill=None, short_poll: float = 0.0
) -> dict:
    request = urllib.request.Request(base + "/class/api/new", data=b"{}", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        made = json.loads(response.read())
    code, secret = made["code"], made["secret"]
    shared = {"stop": threading.Event()}
    phones = [Phone(i, base, code, shared, short_poll) for i in range(students)]
    for phone in phones:
        phone.start()
    moved_at: dict[int, float] = {}
    result: dict = {
        "students": students,
        "steps": steps,
        "polling": f"short, every {short_poll:g} s" if short_poll else "long polls (wait=20 s)",
    }
    try:
        deadline = time.monotonic() + 60
        while sum(1 for p in phones if p.etag) < students:  # every phone has its first view
            if time.monotonic() > deadline:
                raise TimeoutError("the phones did not all join")
            time.sleep(0.05)

        # ---- idle: the teacher talks, 120 phones hold their long polls
        log(f"live_class: {students} phones joined; {idle_s:.0f} s idle following …")
        cpu0 = sum(cpu_seconds(pid) for pid in server_pids())
        busy0, wall0, polls0 = machine_busy_seconds(), time.monotonic(), sum(p.polls for p in phones)
        time.sleep(idle_s)
        wall = time.monotonic() - wall0
        cpu1 = sum(cpu_seconds(pid) for pid in server_pids())
        result["idle"] = {
            "seconds": round(wall, 1),
            "server_cpu_pct_of_one_core": round(100 * (cpu1 - cpu0) / wall, 2),
            "polls_answered_per_s": round((sum(p.polls for p in phones) - polls0) / wall, 2),
            "machine_cpu_pct_of_one_core": round(100 * (machine_busy_seconds() - busy0) / wall, 1),
        }

        # ---- the lesson: move, everyone votes, reveal (round 2 on every other step)
        killed = None
        for step in range(1, steps + 1):
            if kill is not None and step == kill[0]:
                killed = kill[1]()
                log(f"live_class: killed replica 1 (pid {killed}) before step {step}")
            question = f"s{step}"
            moved_at[step] = time.monotonic()
            teacher_call(base, code, secret, {"action": "move", "step": step, "question": question, "options": OPTIONS})
            rounds = 2 if step % 2 == 0 else 1
            for rnd in range(1, rounds + 1):
                if rnd == 2:
                    teacher_call(base, code, secret, {"action": "again", "round": 2})
                wait_until = time.monotonic() + 60
                while True:
                    view = teacher_call(base, code, secret)
                    if view["answered"].get(str(rnd), 0) >= students:
                        break
                    if time.monotonic() > wait_until:
                        raise TimeoutError(f"step {step} round {rnd}: {view['answered']} of {students} votes")
                    time.sleep(0.1)
            teacher_call(base, code, secret, {"action": "reveal"})
        time.sleep(0.5)
        final = teacher_call(base, code, secret)
        if killed is not None:
            result["killed_replica_pid"] = killed
        # exactness: server counts for every question and round equal the phones' own tally
        exact = True
        for step in range(1, steps + 1):
            teacher_call(base, code, secret, {"action": "move", "step": step, "question": f"s{step}"})
            counts = teacher_call(base, code, secret)["counts"]
            for rnd_s, row in counts.items():
                key = (f"s{step}", int(rnd_s))
                sure = Counter(p.voted[key] for p in phones if key in p.voted)
                maybe = Counter(p.unsure[key] for p in phones if key in p.unsure)
                # every acknowledged vote counted once; a vote whose answer was lost, at most once
                if any(not sure[o] <= row[o] <= sure[o] + maybe[o] for o in range(OPTIONS)):
                    exact = False
                    log(
                        f"live_class: step {step} round {rnd_s}: server {row}, acknowledged "
                        f"{[sure[o] for o in range(OPTIONS)]}, unacknowledged {[maybe[o] for o in range(OPTIONS)]}"
                    )
        result["votes"] = {
            "acknowledged": sum(len(p.voted) for p in phones),
            "unacknowledged": sum(len(p.unsure) for p in phones),
            "exact": exact,
        }
        delays = [(p.step_seen[s] - moved_at[s]) * 1000 for p in phones for s in moved_at if s in p.step_seen]
        missing = sum(1 for p in phones for s in moved_at if s not in p.step_seen)
        result["propagation_ms"] = {
            "p50": round(median(delays), 1),
            "p95": round(percentile(delays, 95), 1),
            "max": round(max(delays), 1),
            "samples": len(delays),
            "missed": missing,
        }
        result["final_step"] = final["step"]
        result["phone_errors"] = sorted(Counter(e for p in phones for e in p.errors).items())[:10]
    finally:
        shared["stop"].set()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=120)
    parser.add_argument("--steps", type=int, default=10, help="lesson steps the teacher goes through")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle following to measure CPU")
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="0: one `streamlit run app.py` (in-process store); N: deploy.serve (Redis, HAProxy)",
    )
    parser.add_argument("--kill-at-step", type=int, help="with --replicas ≥ 2: SIGKILL replica 1 before this step")
    parser.add_argument(
        "--short-poll",
        type=float,
        default=0.0,
        metavar="S",
        help="for comparison: phones ask every S seconds (304 when unchanged) instead of long polls",
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    if args.replicas:
        from benchmarks.cluster import launch

        with launch(args.replicas) as launched:

            def pids():
                status = launched.status()
                return [
                    p
                    for p in [
                        status.get("haproxy_pid"),
                        status.get("redis_pid"),
                        *(r["pid"] for r in status.get("replicas", [])),
                    ]
                    if p
                ]

            def kill():
                pid = launched.replica_pids()[1]
                os.kill(pid, signal.SIGKILL)
                return pid

            result = run_class(
                launched.base,
                args.students,
                args.steps,
                args.idle,
                pids,
                (args.kill_at_step, kill) if args.kill_at_step else None,
                args.short_poll,
            )
            result["server"] = f"deploy.serve --replicas {args.replicas} (Redis, HAProxy)"
            result["replica_restarts"] = [r["restarts"] for r in launched.status().get("replicas", [])]
    else:
        with serve("app.py") as server:
            result = run_class(
                server.base, args.students, args.steps, args.idle, lambda: [server.pid], short_poll=args.short_poll
            )
            result["server"] = "streamlit run app.py (in-process store)"
    result["loadavg_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
