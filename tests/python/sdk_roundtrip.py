#!/usr/bin/env python3
"""Codat's official Python SDK (codat-platform, pinned in benchmarks/peers/requirements.txt)
as a client of the standalone mock: create, list, get, unlink, delete, and a
429 injected through the mock's control API (/_mock, openapi/mock-control.json)
that the SDK retries.

usage: sdk_roundtrip.py <base_url> <api_key> <company_id> <linked_connection_id>
The company must hold the Linked connection given (it is unlinked: only a Linked
connection can be); the connection created here is deleted.
Prints one line per step; any failed expectation or SDK error exits 1 with the
reason on stderr.
"""

import base64
import json
import sys
import traceback
import urllib.request

from codat_platform import CodatPlatform
from codat_platform.models import shared


def auth_header(key: str) -> str:
    if key.startswith("Basic "):
        return key
    return "Basic " + base64.b64encode(key.encode()).decode()


def status(value) -> str:
    # The SDK hands statuses back as its own enum.
    return getattr(value, "value", value)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def control(base_url: str, method: str, route: str, body=None):
    """Calls the mock's control API; returns its JSON answer (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base_url}/_mock/{route}", data=data, method=method,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def main(argv) -> int:
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    base_url, api_key, company_id, linked_id = argv[1:]
    sdk = CodatPlatform(
        security=shared.Security(auth_header=auth_header(api_key)),
        server_url=base_url,
    )

    created = sdk.connections.create(request={
        "company_id": company_id,
        "request_body": {"platform_key": "gbol"},
    })
    expect(status(created.status) == "PendingAuth", f"create: status {created.status!r}")
    expect(bool(created.link_url), "create: no linkUrl")
    print(f"created {created.id} ({status(created.status)})")

    listed = sdk.connections.list(request={"company_id": company_id, "page": 1, "page_size": 100})
    ids = [c.id for c in listed.results or []]
    expect(created.id in ids and linked_id in ids, f"list: {created.id} not in {ids}")
    print(f"listed {len(ids)} connection(s)")

    # One 429 with Retry-After: 1, injected through the control API: the SDK
    # waits and retries, and the mock saw both requests.
    control(base_url, "POST", "faults",
            {"fault": {"kind": "status", "status": 429, "retryAfter": "1"}, "times": 1})
    control(base_url, "DELETE", "requests")
    retried = sdk.connections.list(request={"company_id": company_id, "page": 1, "page_size": 100})
    expect(len(retried.results or []) == len(ids), "list after a 429: another answer")
    seen = control(base_url, "GET", "requests")["requests"]
    paths = [r["path"] for r in seen]
    expect(paths == [f"/companies/{company_id}/connections"] * 2,
           f"429: the mock saw {paths}, not the request and its retry")
    print("a 429 injected through the control API, retried by the SDK")

    got = sdk.connections.get(request={"company_id": company_id, "connection_id": created.id})
    expect(got.id == created.id, f"get: id {got.id!r}")
    expect(got.platform_name == created.platform_name, "get: another platform")
    print(f"got {got.id}")

    unlinked = sdk.connections.unlink(request={
        "company_id": company_id,
        "connection_id": linked_id,
        "update_connection_status": {"status": "Unlinked"},
    })
    expect(status(unlinked.status) == "Unlinked", f"unlink: status {unlinked.status!r}")
    print(f"unlinked {unlinked.id}")

    sdk.connections.delete(request={"company_id": company_id, "connection_id": created.id})
    after = sdk.connections.list(request={"company_id": company_id, "page": 1, "page_size": 100})
    left = [c.id for c in after.results or []]
    expect(created.id not in left, f"delete: {created.id} still listed")
    print(f"deleted {created.id}; {len(left)} left")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        sys.stderr.write(f"sdk_roundtrip: {type(e).__name__}: {e}\n")
        sys.exit(1)
