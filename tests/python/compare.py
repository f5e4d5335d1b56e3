"""The official OCI Python SDK side of the SDK comparison (BENCHMARKS.md, "Against the official
Python SDK"): the same workloads as `tests/src/bin/compare.rs`, against an already running
ocisdk-emulator, printing the same one-line JSON.

usage: python compare.py --endpoint URL --config FILE --workload NAME [--n N] [--repeat R]
                         [--threads T]

workloads: seq-get-user, conc-get-user, list-users (the *-blocking / *-hyper names of the Rust
example are accepted too and mean the same here).

Only the workload is timed: building the clients and fetching the user OCIDs to get happen before
the clock starts. CPU time is user + sys of the whole process from /proc/self/stat (the same
source as the Rust side). The SDK keeps its default retry strategy
(oci.retry.DEFAULT_RETRY_STRATEGY, 8 attempts, plus its default circuit breaker), as a user gets
it; the Rust clients keep theirs too.

Concurrency: one IdentityClient per thread. A client owns one requests.Session, which requests
does not promise to be thread-safe (psf/requests#2766), and the SDK's BaseClient replaces and
closes that session itself after some errors (reset_session), which would pull it from under
other threads. So each of the 64 threads builds its own client (before the clock starts) and
keeps its own pooled connection.
"""
import argparse
import json
import os
import sys
import threading
import time

import oci


def cpu_times():
    """(user, sys) CPU seconds of this process, every thread included: /proc/self/stat."""
    with open("/proc/self/stat") as f:
        stat = f.read()
    fields = stat.rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return int(fields[11]) / tick, int(fields[12]) / tick


def measure(concurrency, work):
    u0, s0 = cpu_times()
    t0 = time.perf_counter()
    requests, items = work()
    wall = time.perf_counter() - t0
    u1, s1 = cpu_times()
    return {"requests": requests, "items": items, "concurrency": concurrency,
            "wall": wall, "user": u1 - u0, "sys": s1 - s0}


def json_line(workload, m, extra):
    cpu = m["user"] + m["sys"]
    out = {
        "sdk": "python-oci-" + oci.__version__,
        "workload": workload,
        "requests": m["requests"],
        "concurrency": m["concurrency"],
        "wall_s": round(m["wall"], 4),
        "req_per_s": round(m["requests"] / m["wall"], 1),
        "cpu_user_s": round(m["user"], 2),
        "cpu_sys_s": round(m["sys"], 2),
        "cpu_s": round(cpu, 2),
        "cpu_us_per_req": round(cpu * 1e6 / m["requests"], 1),
    }
    if m["items"] is not None:
        out["items"] = m["items"]
        out["items_per_s"] = round(m["items"] / m["wall"], 1)
    out.update(extra)
    return json.dumps(out, separators=(",", ":"))


def share(n, parts, i):
    return n // parts + (1 if i < n % parts else 0)


def get_users(identity, ids, worker, n):
    for k in range(n):
        uid = ids[(worker * 7 + k) % len(ids)]
        user = identity.get_user(uid).data
        if user.id != uid:
            raise AssertionError(f"asked for {uid}, got {user.id}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--workload", required=True)
    p.add_argument("--n", type=int, default=2000, help="GetUser requests in all")
    p.add_argument("--repeat", type=int, default=5, help="listings")
    p.add_argument("--threads", type=int, default=64, help="threads of conc-get-user")
    args = p.parse_args()

    workload = args.workload
    for suffix in ("-blocking", "-hyper"):
        if workload.endswith(suffix):
            workload = workload[: -len(suffix)]
    config = oci.config.from_file(args.config, "DEFAULT")
    oci.config.validate_config(config)
    tenancy = config["tenancy"]

    def client():
        return oci.identity.IdentityClient(config, service_endpoint=args.endpoint)

    identity = client()
    extra = {}
    if workload in ("seq-get-user", "conc-get-user"):
        ids = [u.id for u in identity.list_users(tenancy, limit=100).data]
        if not ids:
            sys.exit("the tenancy has no users: seed it first")
        if workload == "seq-get-user":
            def work():
                get_users(identity, ids, 0, args.n)
                return args.n, None
            m = measure(1, work)
        else:
            clients = [client() for _ in range(args.threads)]
            errors = []

            def worker(i):
                try:
                    get_users(clients[i], ids, i, share(args.n, args.threads, i))
                except BaseException as e:  # reported after join
                    errors.append(e)

            def work():
                threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                if errors:
                    raise errors[0]
                return args.n, None
            m = measure(args.threads, work)
            extra["clients"] = "one IdentityClient per thread"
    elif workload == "list-users":
        pages = [0]

        def list_users(*a, **kw):
            pages[0] += 1
            return identity.list_users(*a, **kw)

        per_listing = len(oci.pagination.list_call_get_all_results(list_users, tenancy).data)
        pages_per_listing = pages[0]
        pages[0] = 0

        def work():
            users = 0
            for _ in range(args.repeat):
                users += len(oci.pagination.list_call_get_all_results(list_users, tenancy).data)
            return pages[0], users
        m = measure(1, work)
        if m["items"] != per_listing * args.repeat:
            sys.exit(f"listed {m['items']} users, expected {per_listing * args.repeat}")
        extra["pages_per_listing"] = pages_per_listing
        extra["repeat"] = args.repeat
    else:
        sys.exit(f"unknown workload {args.workload!r}")
    print(json_line(args.workload, m, extra))


if __name__ == "__main__":
    main()
