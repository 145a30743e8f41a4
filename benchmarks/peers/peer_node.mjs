#!/usr/bin/env node
// Benchmark peer: Codat's official TypeScript SDK (@codat/platform, pinned in
// package.json / package-lock.json; install with `npm ci --prefix xtask/bench`).
//
// usage: node peer_node.mjs <mode> <base_url> <company_id> <api_key> <arg>
//   mode list: list every page (pageSize 5000) from page 1, following _links.next;
//              <arg> is the expected total (echoed back, not asserted).
//   mode get:  call get-connection <arg> times, sequentially, recording each latency.
//   mode sweep: list every connection (all pages) of <arg> companies of the
//              `bench-server sweep` portfolio, 16 requests in flight (a pool of 16
//              workers taking the next company), and keep those Deauthorized or
//              Unlinked with their linkUrl; <company_id> is unused (pass -).
//              "items" is how many were found.
//   mode companies: the portfolio sweep: list every company (pageSize 5000) from
//              page 1, following _links.next, and keep each company's
//              dataConnections that are Deauthorized or Unlinked with their
//              linkUrl; <arg> is how many companies there must be; <company_id>
//              is unused (pass -). "items" is how many connections were found.
// Prints one JSON line:
//   {"items", "wall_ms", "cpu_ms", "max_rss_kb", "first_ms", "latencies_us", "expected"}
// wall_ms and cpu_ms cover the work only (after imports and client construction);
// first_ms is when the first item (a connection, a company, a get's answer, a
// swept company) was in hand.
// Any error: exit 1 with the error on stderr.

import { CodatPlatform } from "@codat/platform";

const PAGE_SIZE = 5000;
const GET_CONNECTION_ID = "2e9d2c44-f675-40ba-8049-353bfcb5e171";
const SWEEP_CONCURRENCY = 16;
const NEEDING_CUSTOMER = ["Deauthorized", "Unlinked"];

const MASK64 = (1n << 64n) - 1n;

function splitmix64(x) {
  let z = (x + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

// The IDs bench-server's sweep portfolio serves (benchmarks::sweep_company,
// benchmarks::uuid): random-looking, made from n.
function sweepCompanyId(n) {
  const hex = (x) => x.toString(16).padStart(16, "0");
  const h = hex(splitmix64(2n * BigInt(n))) + hex(splitmix64(2n * BigInt(n) + 1n));
  const variant = "89ab"[parseInt(h[16], 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

// Same rule as the Rust client: a portal "Basic ..." value is sent as given,
// a raw key is sent as "Basic <base64 of the key>".
function authHeader(key) {
  if (key.startsWith("Basic ")) return key;
  return "Basic " + Buffer.from(key, "utf8").toString("base64");
}

// When the first item (a connection, a company, a get's answer, a swept
// company) was in hand (process.hrtime.bigint()), once it is.
let first = null;

function item() {
  if (first === null) first = process.hrtime.bigint();
}

function cpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function runList(sdk, companyId) {
  let count = 0;
  let page = 1;
  for (;;) {
    const res = await sdk.connections.list({ companyId, page, pageSize: PAGE_SIZE });
    if ((res.results ?? []).length > 0) item();
    count += (res.results ?? []).length;
    if (res.links.next == null) return count;
    page += 1;
  }
}

async function needingCustomer(sdk, companyId) {
  const found = [];
  let page = 1;
  for (;;) {
    const res = await sdk.connections.list({ companyId, page, pageSize: PAGE_SIZE });
    for (const connection of res.results ?? []) {
      if (NEEDING_CUSTOMER.includes(connection.status)) {
        found.push({ id: connection.id, linkUrl: connection.linkUrl });
      }
    }
    if (res.links.next == null) return found;
    page += 1;
  }
}

async function runSweep(sdk, companies) {
  const ids = Array.from({ length: companies }, (_, n) => sweepCompanyId(n));
  let next = 0;
  let items = 0;
  const worker = async () => {
    while (next < ids.length) {
      const companyId = ids[next++];
      const found = await needingCustomer(sdk, companyId);
      item();
      items += found.length;
    }
  };
  await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, worker));
  return items;
}

async function runCompanies(sdk, companies) {
  const found = [];
  let seen = 0;
  let page = 1;
  for (;;) {
    const res = await sdk.companies.list({ page, pageSize: PAGE_SIZE });
    for (const company of res.results ?? []) {
      item();
      seen += 1;
      for (const connection of company.dataConnections ?? []) {
        if (NEEDING_CUSTOMER.includes(connection.status)) {
          found.push({ company: company.id, id: connection.id, linkUrl: connection.linkUrl });
        }
      }
    }
    if (res.links.next == null) break;
    page += 1;
  }
  if (seen !== companies) throw new Error(`listed ${seen} companies, not ${companies}`);
  return found.length;
}

async function runGet(sdk, companyId, calls, latencies) {
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const conn = await sdk.connections.get({ companyId, connectionId: GET_CONNECTION_ID });
    item();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e3);
    if (conn.id !== GET_CONNECTION_ID) {
      throw new Error(`get-connection returned id ${JSON.stringify(conn.id)}`);
    }
  }
  return calls;
}

async function main(argv) {
  if (argv.length !== 5 || !["list", "get", "sweep", "companies"].includes(argv[0])) {
    process.stderr.write(
      "usage: peer_node.mjs <list|get|sweep|companies> <base_url> <company_id> <api_key> <arg>\n",
    );
    return 2;
  }
  const [mode, baseUrl, companyId, apiKey, arg] = argv;
  const n = Number.parseInt(arg, 10);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad <arg>: ${arg}`);

  const sdk = new CodatPlatform({
    authHeader: authHeader(apiKey),
    serverURL: baseUrl,
    // The SDK retries 408/429/5XX and connection errors with backoff by default.
    retryConfig: { strategy: "none" },
  });

  const latencies = [];
  const cpu0 = cpuUs();
  const wall0 = process.hrtime.bigint();
  const items = mode === "list"
    ? await runList(sdk, companyId)
    : mode === "sweep"
    ? await runSweep(sdk, n)
    : mode === "companies"
    ? await runCompanies(sdk, n)
    : await runGet(sdk, companyId, n, latencies);
  const wall1 = process.hrtime.bigint();
  const cpu1 = cpuUs();

  const out = {
    items,
    wall_ms: Number(wall1 - wall0) / 1e6,
    cpu_ms: (cpu1 - cpu0) / 1e3,
    max_rss_kb: process.resourceUsage().maxRSS, // KiB
    first_ms: first === null ? null : Number(first - wall0) / 1e6,
    latencies_us: latencies.map((x) => Math.round(x * 10) / 10),
    expected: mode === "list" ? n : null,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`peer_node: error: ${err?.stack ?? err}\n`);
    if (err?.cause) process.stderr.write(`caused by: ${err.cause?.stack ?? err.cause}\n`);
    process.exitCode = 1;
  },
);
