// Webhook load generator for bench/webhooks.js, which forks it so that sending and
// timing never share an event loop with the server being measured. Also imported
// directly by test/bench/webhooks-bench.test.ts, so the numbers it reports are tested.
//
// N senders, each with one keep-alive connection, send one request after another
// (closed loop: a sender waits for its answer before the next) for a warm-up and then a
// measured phase. Every phase is bounded twice: by time and by a request count.
// Per-request latency is hrtime from just before http.request until the whole answer
// was read.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const TAG_PUSH_FIXTURE = new URL('../test/fixtures/gitlab/tag-push.json', import.meta.url);
const TAG_SLOT = '@@PYRELEASE_BENCH_TAG@@';
const SHA_SLOT = '@@PYRELEASE_BENCH_SHA@@';

/**
 * Request kinds: name -> (options) -> (sender, seq) -> { headers, body }. Each request
 * must be a new delivery so that the service really enqueues it: its own delivery id,
 * and its own body, since pyrelease also deduplicates GitHub deliveries by the body's
 * digest (the HMAC does not cover X-GitHub-Delivery, so a replay can change it).
 */
export const REQUEST_KINDS = {
  // GitLab's documented Tag Push Hook example, with a new Idempotency-Key and tag each time.
  'gitlab-tag-push': (options) => {
    const payload = JSON.parse(readFileSync(TAG_PUSH_FIXTURE, 'utf8'));
    payload.ref = `refs/tags/${TAG_SLOT}`;
    const [head, tail] = JSON.stringify(payload).split(TAG_SLOT);
    const run = options.runId;
    return (sender, seq) => ({
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitLab/18.4.0',
        'x-gitlab-event': 'Tag Push Hook',
        'x-gitlab-token': options.secret,
        'idempotency-key': `${run}-${sender}-${seq}`,
      },
      body: `${head}v1.${sender}.${seq}+${run}${tail}`,
    });
  },
  // The first push example of @octokit/webhooks-examples (a tag push, refs/tags/simple-tag),
  // as GitHub sends it: signed with X-Hub-Signature-256, a new X-GitHub-Delivery each time,
  // and, as real deliveries differ, a commit of its own each time (`after` and
  // `head_commit.id`: run id, sender, sequence number). Those two fields are moved to the
  // end of the JSON (key order means nothing to a JSON reader), so the signature's hash
  // state after the fixed 6 KB before them is computed once and each request hashes only
  // its last few hundred bytes: the generator's cost stays that of the same-body requests.
  'github-push': (options) => {
    const { after: _after, head_commit: headCommit, ...rest } = githubPushExample();
    const json = JSON.stringify({ ...rest, head_commit: { ...headCommit, id: SHA_SLOT }, after: SHA_SLOT });
    const cut = json.indexOf(SHA_SLOT);
    const prefix = json.slice(0, cut);
    const suffix = json.slice(cut).split(SHA_SLOT);
    const sign = prefixSigner(options.secret, prefix);
    return (sender, seq) => {
      const tail = suffix.join(commitSha(options.runId, sender, seq));
      return {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/bench',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${sign(tail)}`,
        },
        body: prefix + tail,
      };
    };
  },
};

/** A 40-hex commit sha unique to (run, sender, seq): the run id is 12 hex digits (6 random bytes). */
export function commitSha(runId, sender, seq) {
  const run = /^[0-9a-f]{12}$/.test(runId) ? runId : createHash('sha256').update(runId).digest('hex').slice(0, 12);
  return `${run}${sender.toString(16).padStart(4, '0')}${seq.toString(16).padStart(24, '0')}`;
}

/**
 * HMAC-SHA256 (RFC 2104) of `prefix + tail` for many tails. Node's Hmac cannot be copied
 * and its Hash can, so HMAC is spelt out: the inner hash after the key block and the
 * prefix, and the outer hash after its key block, are computed once and copied per call.
 */
export function prefixSigner(secret, prefix) {
  const key = Buffer.alloc(64);
  const raw = Buffer.from(secret, 'utf8');
  (raw.length > 64 ? createHash('sha256').update(raw).digest() : raw).copy(key);
  const inner = createHash('sha256').update(key.map((b) => b ^ 0x36)).update(prefix);
  const outer = createHash('sha256').update(key.map((b) => b ^ 0x5c));
  return (tail) => outer.copy().update(inner.copy().update(tail).digest()).digest('hex');
}

/** The first push example that is not a deletion: what the 'github-push' request sends. */
export function githubPushExample() {
  const examples = createRequire(import.meta.url)('@octokit/webhooks-examples');
  const push = examples.find((e) => e.name === 'push')?.examples.find((p) => p.deleted === false);
  if (push === undefined) throw new Error('@octokit/webhooks-examples has no push example');
  return push;
}

/** Nearest-rank percentile of an ascending array (q in (0, 1]). */
export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export function summarize(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    min: n === 0 ? Number.NaN : sorted[0],
    mean: n === 0 ? Number.NaN : sum / n,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: n === 0 ? Number.NaN : sorted[n - 1],
  };
}

function send(agent, target, path, request, timeoutMs) {
  return new Promise((resolve) => {
    const body = Buffer.from(request.body);
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path, method: 'POST', headers: { ...request.headers, 'content-length': body.length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end(body);
  });
}

function emptyTally() {
  return { requests: 0, ok: 0, non2xx: 0, transportErrors: 0, queued: 0, statuses: {}, errors: {}, latencies: [] };
}

/**
 * Runs one load: `senders` concurrent senders against `url` + `path`, a warm-up of
 * `warmupMs` (not recorded), then a measured phase that ends at `durationMs` or after
 * `requests` requests, whichever comes first. Returns counts, req/s and latency
 * percentiles in milliseconds. Never rejects for a failed request: it is counted.
 */
export async function runLoad(options) {
  const {
    url,
    path = '/',
    request = 'gitlab-tag-push',
    secret = '',
    senders = 1,
    warmupMs = 0,
    durationMs = 5000,
    requests = 10_000_000,
    timeoutMs = 10_000,
  } = options;
  const kind = REQUEST_KINDS[request];
  if (kind === undefined) throw new Error(`unknown request kind ${request}`);
  const build = kind({ secret, runId: randomBytes(6).toString('hex') });
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: senders });
  const seqs = new Array(senders).fill(0);

  const phase = async (limitMs, limitRequests, tally) => {
    const deadline = performance.now() + limitMs;
    let issued = 0;
    const sender = async (id) => {
      while (issued < limitRequests && performance.now() < deadline) {
        issued += 1;
        const req = build(id, seqs[id]++);
        const t0 = process.hrtime.bigint();
        const res = await send(agent, target, path, req, timeoutMs);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        tally.requests += 1;
        tally.latencies.push(ms);
        tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
        if (res.status === 0) {
          tally.transportErrors += 1;
          tally.errors[res.error] = (tally.errors[res.error] ?? 0) + 1;
        } else if (res.status >= 200 && res.status < 300) {
          tally.ok += 1;
          if (res.text.includes('"status":"queued"')) tally.queued += 1;
        } else {
          tally.non2xx += 1;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: senders }, (_, id) => sender(id)));
    return performance.now() - started;
  };

  try {
    const warm = emptyTally();
    // A warm-up is bounded by its time only; the measured phase by both.
    if (warmupMs > 0) await phase(warmupMs, Number.MAX_SAFE_INTEGER, warm);
    const tally = emptyTally();
    const cpu0 = process.cpuUsage();
    const elapsedMs = await phase(durationMs, requests, tally);
    const cpu = process.cpuUsage(cpu0);
    const { latencies, ...counts } = tally;
    return {
      request,
      senders,
      ...counts,
      errorCount: tally.non2xx + tally.transportErrors,
      elapsedMs,
      rps: tally.requests / (elapsedMs / 1000),
      latencyMs: summarize(latencies),
      warmup: { requests: warm.requests, queued: warm.queued, errorCount: warm.non2xx + warm.transportErrors },
      // How busy the generator itself was: near 100% means it, not the server, is the limit.
      generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    };
  } finally {
    agent.destroy();
  }
}

// Forked by bench/webhooks.js: answer {type:'run', id, options} with {type:'result', id, result}.
const isMain = process.argv[1] === fileURLToPath(import.meta.url);
if (isMain && process.argv.includes('--child') && process.send !== undefined) {
  process.on('message', (message) => {
    if (message?.type === 'run') {
      runLoad(message.options).then(
        (result) => process.send({ type: 'result', id: message.id, result }),
        (error) => process.send({ type: 'result', id: message.id, error: String(error?.stack ?? error) }),
      );
    } else if (message?.type === 'exit') {
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
} else if (isMain) {
  console.log('bench/load-generator.js is a helper of bench/webhooks.js: run `node bench/webhooks.js`.');
}
