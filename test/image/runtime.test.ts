import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitlab } from '../fakes/fake-gitlab.js';
import type { FakeGitlab } from '../fakes/fake-gitlab.js';
import { freePort } from '../helpers/redis-server.js';
import { logLine, podman, serviceLines, startContainer } from './container.js';
import type { Container } from './container.js';
import { ensureImage } from './image-build.js';
import type { BuiltImage } from './image-build.js';

// The image as `docker run pyrelease` starts it (its ENTRYPOINT and CMD: tini, node,
// `serve`), on the host's network, with the machine's Redis under a key prefix of its own
// and a fake GitLab on 127.0.0.1.
const REDIS_URL = process.env['PYRELEASE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `{pyrelease-image-${randomBytes(4).toString('hex')}}`;

let image: BuiltImage;
let gitlab: FakeGitlab;
let web: Container;
let url = '';

beforeAll(async () => {
  image = await ensureImage();
  gitlab = await startFakeGitlab();
  const token = `glpat-${randomBytes(10).toString('hex')}`;
  gitlab.addUser('pyrelease-bot', token);
  const port = await freePort();
  web = startContainer(image.id, {
    command: [],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL,
      PYRELEASE_QUEUE_PREFIX: prefix,
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: token,
      GITLAB_WEBHOOK_SECRET: randomBytes(12).toString('hex'),
    },
  });
  url = String((await logLine(web, /pyrelease is listening/))['url']);
});

afterAll(async () => {
  await web?.remove();
  await gitlab?.close();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('the image, run as built (tini, node, serve)', () => {
  it('answers /healthz, /readyz (Redis and GitLab reached) and /metrics', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', gitlab: 'ok', github: 'unconfigured' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^pyrelease_\w+/m);
    expect(metrics).toMatch(/^pyrelease_queues_up 1$/m);
  });

  it('runs every process as uid 10001 (pyrelease), tini as PID 1 and node under it', async () => {
    // `podman top` reads the host's view: rootful podman maps no ids, so these are the host's uids.
    const rows = (await podman(['top', web.name, 'pid', 'huser', 'user', 'args'])).trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.map((r) => [r[1], r[2]])).toEqual(rows.map(() => ['10001', 'pyrelease']));
    expect(rows.find((r) => r[0] === '1')?.slice(3, 5)).toEqual(['tini', '--']);
    expect(rows.some((r) => r[3] === 'node' && r[4] === 'bin/pyrelease.js' && r[5] === 'serve')).toBe(true);
  });

  it("keeps the Dockerfile's HEALTHCHECK (docker format), and it passes against PORT", async () => {
    const check = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', image.id])) as { Test: string[] };
    expect(check.Test.slice(0, 2)).toEqual(['CMD', 'node']);
    // PORT here is not 3000: the check passes only if it reads PORT.
    await expect(podman(['healthcheck', 'run', web.name])).resolves.toBeDefined();
    expect(JSON.parse(await podman(['inspect', '--format', '{{json .State.Health.Status}}', web.name]))).toBe('healthy');
  });

  it('exits 0 within 5 s of SIGTERM with no job running, having logged no error but the build sandbox refusal', async () => {
    const sent = Date.now();
    await web.signal('SIGTERM');
    const code = await Promise.race([web.process.exited, new Promise((r) => setTimeout(() => r('still running after 5 s'), 5000))]);
    const took = Date.now() - sent;
    expect(code).toBe(0);
    expect(took).toBeLessThan(5000);
    expect(JSON.parse(await podman(['inspect', '--format', '{{json .State.ExitCode}}', web.name]))).toBe(0);
    // `serve` runs the workers too, and without the worker's container options (README,
    // "Running it in production") it may not build: it says so, and that is all it says.
    const errors = serviceLines(web).filter((l) => /"level":(50|60)/.test(l));
    expect(errors.filter((l) => !l.includes('builds cannot be contained here: this worker takes no publish job'))).toEqual([]);
    console.log(`SIGTERM to exit: ${took} ms`);
  });
});
