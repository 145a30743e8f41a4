#!/usr/bin/env python3
"""Benchmark peer: Codat's official Python SDK (codat-platform, pinned in requirements.txt).

install: python3 -m venv VENV && VENV/bin/pip install --no-deps -r benchmarks/peers/requirements.txt
run:     VENV/bin/python benchmarks/peers/peer_python.py <mode> <base_url> <company_id> <api_key> <arg>

usage: peer_python.py <mode> <base_url> <company_id> <api_key> <arg>
  mode list: list every page (pageSize 5000) from page 1, following _links.next;
             <arg> is the expected total (echoed back, not asserted).
  mode get:  call get-connection <arg> times, sequentially, recording each latency.
  mode sweep: list every connection (all pages) of <arg> companies of the
             `bench-server sweep` portfolio, 16 companies at a time on a thread
             pool, and keep those Deauthorized or Unlinked with their linkUrl;
             <company_id> is unused (pass -). "items" is how many were found.
  mode companies: the portfolio sweep: list every company (pageSize 5000) from
             page 1, following _links.next, and keep each company's
             data_connections that are Deauthorized or Unlinked with their
             linkUrl; <arg> is how many companies there must be; <company_id>
             is unused (pass -). "items" is how many connections were found.
Prints one JSON line:
  {"items", "wall_ms", "cpu_ms", "max_rss_kb", "first_ms", "latencies_us", "expected"}
wall_ms and cpu_ms cover the work only (after imports and client construction);
first_ms is when the first item (a connection, a company, a get's answer, a
swept company) was in hand.
Any error: exit 1 with the error on stderr.
"""

import base64
import json
import resource
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from codat_platform import CodatPlatform
from codat_platform.models import shared
from codat_platform.utils import RetryConfig

PAGE_SIZE = 5000
GET_CONNECTION_ID = "2e9d2c44-f675-40ba-8049-353bfcb5e171"
SWEEP_CONCURRENCY = 16
NEEDING_CUSTOMER = ("Deauthorized", "Unlinked")


MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def sweep_company_id(n: int) -> str:
    # The IDs bench-server's sweep portfolio serves (benchmarks::sweep_company,
    # benchmarks::uuid): random-looking, made from n.
    h = f"{splitmix64(2 * n):016x}{splitmix64(2 * n + 1):016x}"
    variant = "89ab"[int(h[16], 16) % 4]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def auth_header(key: str) -> str:
    # Same rule as the Rust client: a portal "Basic ..." value is sent as given,
    # a raw key is sent as "Basic <base64 of the key>".
    if key.startswith("Basic "):
        return key
    return "Basic " + base64.b64encode(key.encode()).decode()


# When the first item was in hand (time.perf_counter()), once it is.
FIRST = []


def item() -> None:
    if not FIRST:
        FIRST.append(time.perf_counter())


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pages(sdk: CodatPlatform, company_id: str):
    # Each page's connections, from the first page to the last.
    page = 1
    while True:
        res = sdk.connections.list(request={
            "company_id": company_id,
            "page": page,
            "page_size": PAGE_SIZE,
        })
        if res.results:
            item()
        yield res.results or []
        if res.links.next is None:
            return
        page += 1


def run_list(sdk: CodatPlatform, company_id: str) -> int:
    return sum(len(results) for results in pages(sdk, company_id))


def needing_customer(sdk: CodatPlatform, company_id: str) -> list:
    return [
        (connection.id, connection.link_url)
        for results in pages(sdk, company_id)
        for connection in results
        if connection.status in NEEDING_CUSTOMER
    ]


def run_sweep(sdk: CodatPlatform, companies: int) -> int:
    ids = [sweep_company_id(n) for n in range(companies)]
    with ThreadPoolExecutor(max_workers=SWEEP_CONCURRENCY) as pool:
        return sum(len(found) for found in pool.map(lambda c: needing_customer(sdk, c), ids))


def run_companies(sdk: CodatPlatform, companies: int) -> int:
    seen, found = 0, []
    page = 1
    while True:
        res = sdk.companies.list(request={"page": page, "page_size": PAGE_SIZE})
        for company in res.results or []:
            item()
            seen += 1
            found.extend(
                (company.id, connection.id, connection.link_url)
                for connection in company.data_connections or []
                if connection.status in NEEDING_CUSTOMER
            )
        if res.links.next is None:
            break
        page += 1
    if seen != companies:
        raise RuntimeError(f"listed {seen} companies, not {companies}")
    return len(found)


def run_get(sdk: CodatPlatform, company_id: str, calls: int, latencies: list) -> int:
    for _ in range(calls):
        t0 = time.perf_counter()
        conn = sdk.connections.get(request={
            "company_id": company_id,
            "connection_id": GET_CONNECTION_ID,
        })
        item()
        latencies.append((time.perf_counter() - t0) * 1e6)
        if conn.id != GET_CONNECTION_ID:
            raise RuntimeError(f"get-connection returned id {conn.id!r}")
    return calls


def main(argv) -> int:
    if len(argv) != 6 or argv[1] not in ("list", "get", "sweep", "companies"):
        sys.stderr.write(__doc__)
        return 2
    mode, base_url, company_id, api_key, arg = argv[1:]
    n = int(arg)

    sdk = CodatPlatform(
        security=shared.Security(auth_header=auth_header(api_key)),
        server_url=base_url,
        # The SDK retries 408/429/5XX and connection errors with backoff unless told
        # not to; retry_config=None would NOT disable that (it falls back to the default).
        retry_config=RetryConfig("none"),
        # The SDK's default per-request timeout is 5 s; a 5,000-item page on a busy
        # 2-core machine should not be cut off by it.
        timeout_ms=60000,
    )

    latencies = []
    cpu0 = cpu_s()
    wall0 = time.perf_counter()
    if mode == "list":
        items = run_list(sdk, company_id)
    elif mode == "sweep":
        items = run_sweep(sdk, n)
    elif mode == "companies":
        items = run_companies(sdk, n)
    else:
        items = run_get(sdk, company_id, n, latencies)
    wall1 = time.perf_counter()
    cpu1 = cpu_s()

    out = {
        "items": items,
        "wall_ms": (wall1 - wall0) * 1e3,
        "cpu_ms": (cpu1 - cpu0) * 1e3,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
        "first_ms": (FIRST[0] - wall0) * 1e3 if FIRST else None,
        "latencies_us": [round(x, 1) for x in latencies],
        "expected": n if mode == "list" else None,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        sys.stderr.write(f"peer_python: error: {type(e).__name__}: {e}\n")
        sys.exit(1)
