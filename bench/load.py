"""Load benchmark: gunicorn with production settings on PostgreSQL at scale, driven by wrk.

    bench/load.sh [--duration 10] [--connections 16] [--workers 4]

It migrates and seeds the benchmark database if needed (seed_scale), starts one
gunicorn serving both the product and the minimal ceiling view, checks each page
answers 200 for its visitor, then runs wrk against each page in turn and prints
requests/s, p50/p99 latency and the ratio to the ceiling, against the targets.
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
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import PYTHON, ROOT, gunicorn, manage, production_env  # noqa: E402

# (label, path or key, who, target ratio to the ceiling)
ANON, LOGGED_IN = 0.5, 0.3
P99_TARGET_MS = 300


def main():
    args = _arguments()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run bench/load.sh, which installs it.")
    env = production_env(args.database_url, args.redis_url)
    _prepare(env)
    facts = _facts(env)
    pages = [
        ("ceiling (minimal view)", "/bench/ceiling/", None, None),
        ("anonymous home", "/", None, ANON),
        ("/training/", "/training/", None, ANON),
        ("resource search", "/resources/?q=housing+debt", None, ANON),
        ("meeting page", facts["meeting_path"], None, ANON),
        ("session page, logged in", facts["session_path"], facts["member_cookie"], LOGGED_IN),
        ("admin member changelist", "/admin/members/member/", facts["staff_cookie"], LOGGED_IN),
    ]
    log_path = Path(tempfile.gettempdir()) / "np-bench-gunicorn.log"
    with gunicorn(env, workers=args.workers, log_path=log_path) as base:
        for _label, path, cookie, _target in pages:
            _check_ok(base, path, cookie)
        results = [(label, target, _wrk(base, path, cookie, args)) for label, path, cookie, target in pages]
    _report(results, args)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leaves a core to the server)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2, help="gunicorn workers")
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


def _wrk(base: str, path: str, cookie: str | None, args) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    # Warm the workers (imports, connections, cached figures) before measuring.
    subprocess.run([*command[:3], "-d2s", *command[4:], base + path], capture_output=True, check=True)
    output = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "bad": int(errors.group(1)) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def _report(results, args) -> None:
    ceiling = results[0][2]["rps"]
    print(
        f"\n{args.connections} connections, {args.duration} s per page, {args.workers} gunicorn workers, "
        f"{os.cpu_count()} CPU cores\n"
    )
    print(f"{'page':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'target':>7}  verdict")
    for label, target, r in results:
        ratio = r["rps"] / ceiling
        verdict = "-" if target is None else _verdict(ratio, target, r)
        target_text = "-" if target is None else f">={target}"
        print(
            f"{label:<26} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} {ratio:>6.2f} {target_text:>7}  {verdict}"
        )


def _verdict(ratio: float, target: float, r: dict) -> str:
    misses = []
    if ratio < target:
        misses.append("ratio")
    if r["p99"] >= P99_TARGET_MS:
        misses.append("p99")
    if r["bad"]:
        misses.append(f"{r['bad']} non-2xx")
    return "met" if not misses else "MISSED: " + ", ".join(misses)


if __name__ == "__main__":
    main()
