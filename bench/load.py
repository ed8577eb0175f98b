"""Load benchmark: gunicorn with production settings on PostgreSQL at scale, driven by wrk.

    bench/load.sh [--duration 10] [--rounds 2] [--connections 16] [--workers 2]
                  [--only NAME ...] [--profile DIR] [--page-copy] [--embedded VAR_DIR]

It migrates and seeds the benchmark database if needed (seed_scale), starts one
gunicorn serving both the product and the ceiling view (one query, 20 rows, a
small base layout), checks each page answers 200 for its visitor, then runs wrk
against every page in turn, ceiling included, for each round. It prints issue
18's table: requests/s as a ratio to the ceiling of the same round (averaged
over the rounds), p50/p99 latency, queries per request, and the machine's load
average before and after, since the machine is shared.

The anonymous server-side page copy is off (PUBLIC_PAGE_MAX_AGE=0) unless
--page-copy is given: the pages are rendered on every request ("cold").

--profile DIR records a py-spy flame graph of the workers for each page, in a
separate pass after the measured rounds (sampling slows the workers down).
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import PYTHON, ROOT, gunicorn, manage, production_env  # noqa: E402

MEMBER_TARGET, ADMIN_TARGET = 0.3, 0.1
MEMBER_P99_MS, ADMIN_P99_MS = 100, 300


def page_table(facts: dict) -> list[tuple]:
    """(name, label, path, cookie, target ratio, p99 target ms)."""
    member, staff = facts["member_cookie"], facts["staff_cookie"]
    return [
        ("ceiling", "ceiling (1 query, 20 rows)", "/bench/ceiling/", None, None, None),
        ("session", "session page, member", facts["session_path"], member, MEMBER_TARGET, MEMBER_P99_MS),
        ("account", "/account/, member", "/account/", member, MEMBER_TARGET, MEMBER_P99_MS),
        ("directory", "/members/directory/, member", "/members/directory/", member, MEMBER_TARGET, MEMBER_P99_MS),
        ("admin-members", "admin member changelist", "/admin/members/member/", staff, ADMIN_TARGET, ADMIN_P99_MS),
        ("training", "/training/, no page copy", "/training/", None, MEMBER_TARGET, MEMBER_P99_MS),
        ("meetings", "/meetings/, no page copy", "/meetings/", None, MEMBER_TARGET, MEMBER_P99_MS),
        ("resource-search", "/resources/?q=housing", "/resources/?q=housing", None, MEMBER_TARGET, MEMBER_P99_MS),
        ("meeting", "meeting page, member", facts["meeting_path"], member, MEMBER_TARGET, MEMBER_P99_MS),
        ("home", "/, no page copy", "/", None, None, None),
    ]


def main():
    args = _arguments()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run bench/load.sh, which installs it.")
    env = production_env(args.database_url, args.redis_url)
    if args.embedded:
        # What `make run` gives: SQLite and a cache private to each process, no Redis.
        del env["DATABASE_URL"], env["REDIS_URL"]
        env["VAR_DIR"] = args.embedded
        Path(args.embedded).mkdir(parents=True, exist_ok=True)
    if not args.page_copy:
        env["PUBLIC_PAGE_MAX_AGE"] = "0"
    _prepare(env)
    facts = _facts(env)
    pages = [p for p in page_table(facts) if not args.only or p[0] in args.only or p[0] == "ceiling"]
    log_path = Path(tempfile.gettempdir()) / "np-bench-gunicorn.log"
    load_before = _load_average()
    with gunicorn(env, workers=args.workers, log_path=log_path) as (base, pid):
        for _name, _label, path, cookie, _t, _p in pages:
            _check_ok(base, path, cookie)
        queries = _query_counts(env, pages)
        rounds = [_round(base, pages, args) for _ in range(args.rounds)]
        load_after = _load_average()
        if args.profile:
            _profile(base, pid, pages, args)
    _report(pages, rounds, queries, args, load_before, load_after)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page and round (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all pages (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leaves a core to the server)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--only", nargs="*", help="page names to measure (the ceiling is always measured)")
    parser.add_argument("--profile", metavar="DIR", help="write a py-spy flame graph per page into DIR")
    parser.add_argument("--page-copy", action="store_true", help="leave the anonymous page copy on")
    parser.add_argument(
        "--embedded", metavar="VAR_DIR", help="embedded mode: SQLite in VAR_DIR and per-process cache, as `make run`"
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/np_perf")
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    return parser.parse_args()


def _prepare(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    seeded = subprocess.run(
        [PYTHON, "manage.py", "seed_scale"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if seeded.returncode != 0 and "already loaded" not in seeded.stderr:
        sys.exit(seeded.stderr)
    print(seeded.stdout or "Scale data already loaded.", end="" if seeded.stdout else "\n")
    manage(env, "collectstatic", "--noinput", "-v0")


def _facts(env: dict) -> dict:
    output = subprocess.run(
        [PYTHON, "bench/make_sessions.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split(" ", 1) for line in output.splitlines() if " " in line)


def _query_counts(env: dict, pages) -> dict:
    lines = "".join(f"{cookie or '-'} {path}\n" for _n, _l, path, cookie, _t, _p in pages)
    output = subprocess.run(
        [PYTHON, "bench/count_queries.py"], cwd=ROOT, env=env, input=lines, capture_output=True, text=True, check=True
    ).stdout
    counts = [int(line.split()[0]) for line in output.splitlines()]
    return {page[0]: n for page, n in zip(pages, counts, strict=True)}


def _check_ok(base: str, path: str, cookie: str | None) -> None:
    """A redirect to the login or MFA page would be fast and meaningless: insist on 200."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        sys.exit(f"{path} answered {response.status} ({response.getheader('Location', '')}), not 200.")


def _wrk_command(base: str, path: str, cookie: str | None, args, duration: int) -> list[str]:
    # A 10 s timeout: on a loaded machine the default 2 s drops slow requests from the latency figures.
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--timeout", "10s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    return [*command, base + path]


def _round(base: str, pages, args) -> dict:
    return {name: _wrk(base, path, cookie, args) for name, _label, path, cookie, _t, _p in pages}


def _drain(base: str) -> None:
    """Wait until requests still queued from the previous page are answered: the next
    request to the ceiling queues behind them. Otherwise a slow page's backlog is
    counted against the page after it."""
    for _ in range(2):
        _check_ok(base, "/bench/ceiling/", None)


def _wrk(base: str, path: str, cookie: str | None, args) -> dict:
    _drain(base)
    # Warm the workers (imports, connections, cached figures and fragments) before measuring.
    subprocess.run(_wrk_command(base, path, cookie, args, 2), capture_output=True, check=True)
    output = subprocess.run(
        _wrk_command(base, path, cookie, args, args.duration), capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "bad": (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0),
    }


def _profile(base: str, pid: int, pages, args) -> None:
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    py_spy = str(ROOT / ".venv" / "bin" / "py-spy")
    for name, _label, path, cookie, _t, _p in pages:
        svg = out / f"{name}.svg"
        _drain(base)
        subprocess.run(_wrk_command(base, path, cookie, args, 2), capture_output=True, check=True)
        _drain(base)
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--subprocesses", "--duration", str(args.duration),
             "--format", "flamegraph", "--output", str(svg)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run(_wrk_command(base, path, cookie, args, args.duration + 1), capture_output=True, check=True)
        spy.wait(timeout=60)
        print(f"profile: {svg}")


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _report(pages, rounds, queries, args, load_before, load_after) -> None:
    copy = "on" if args.page_copy else "off (PUBLIC_PAGE_MAX_AGE=0)"
    mode = "embedded (SQLite, per-process cache)" if args.embedded else "PostgreSQL and Redis"
    print(
        f"\n{mode}: {args.connections} connections, {args.duration} s per page, {args.rounds} rounds, "
        f"{args.workers} gunicorn sync workers, {os.cpu_count()} CPU cores, anonymous page copy {copy}"
    )
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}\n")
    print(f"| {'Page':<30} | {'req/s':>7} | {'ratio':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'queries':>7} | target")
    print(f"|{'-' * 32}|{'-' * 8}:|{'-' * 7}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|-------")
    for name, label, _path, _cookie, target, p99_target in pages:
        runs = [r[name] for r in rounds]
        ratio = mean(r[name]["rps"] / r["ceiling"]["rps"] for r in rounds)
        rps, p50, p99 = mean(x["rps"] for x in runs), mean(x["p50"] for x in runs), max(x["p99"] for x in runs)
        bad = sum(x["bad"] for x in runs)
        verdict = "-" if target is None else _verdict(ratio, target, p99, p99_target, bad)
        print(
            f"| {label:<30} | {rps:>7.1f} | {ratio:>6.3f} | {p50:>7.1f} | {p99:>7.1f} | {queries[name]:>7} | {verdict}"
        )


def _verdict(ratio: float, target: float, p99: float, p99_target: float, bad: int) -> str:
    misses = []
    if ratio < target:
        misses.append(f"ratio < {target}")
    if p99 >= p99_target:
        misses.append(f"p99 >= {p99_target} ms")
    if bad:
        misses.append(f"{bad} non-2xx")
    return "met" if not misses else "MISSED: " + ", ".join(misses)


if __name__ == "__main__":
    main()
