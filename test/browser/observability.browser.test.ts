import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gitlabService } from '../helpers/gitlab-service.js';
import type { GitlabService } from '../helpers/gitlab-service.js';

/**
 * The operator's view of a real release: the whole service against the fakes publishes
 * one tag, then /metrics counts it, and headless Chromium reads /releases and the queue
 * dashboard with the admin credentials. Screenshots land in test-results/screenshots.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const USER = 'ops';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const sha = 'a'.repeat(40);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

let svc: GitlabService;

beforeAll(async () => {
  svc = await gitlabService({ env: { PYRELEASE_ADMIN_USER: USER, PYRELEASE_ADMIN_PASSWORD: PASSWORD } });
  await svc.commitFixture('main', sha, 'Release 1.4.0', 'setuptools-static');
  svc.project.tags.set('v1.4.0', { name: 'v1.4.0', commitId: sha, message: '', target: sha });
  const project = { ...(fixture('tag-push')['project'] as object), id: svc.project.id, path_with_namespace: svc.project.pathWithNamespace, default_branch: 'main' };
  const push = { ...fixture('tag-push'), ref: 'refs/tags/v1.4.0', before: '0'.repeat(40), after: sha, checkout_sha: sha, project_id: svc.project.id, ref_protected: true, project };
  expect((await svc.send('Tag Push Hook', push)).status).toBe(200);
  await eventually(() => svc.project.releases.get('v1.4.0'), 50_000, 'the GitLab release');
}, 60_000);

afterAll(async () => {
  await svc.close();
});

describe('observability of a published release', () => {
  it('counts the webhook, the uploaded files and their bytes in /metrics', async () => {
    // The GitLab release is made inside the publish job; the job's completion, which the
    // publish counters follow, is told a moment later.
    const text = await eventually(async () => {
      const body = await (await fetch(`${svc.service.url}/metrics`)).text();
      return body.includes('pyrelease_jobs{queue="publish",state="completed"} 1\n') ? body : undefined;
    }, 10_000, 'the completed publish job in /metrics');
    expect(text).toContain('pyrelease_webhooks_total{platform="gitlab",event="tag_push_hook",outcome="queued"} 1\n');
    expect(text).toContain('pyrelease_publishes_total{outcome="uploaded"} 2\n');
    const bytes = Number(/pyrelease_upload_bytes_total\{registry="fake"\} (\d+)/.exec(text)?.[1]);
    expect(bytes).toBe(svc.index.files().reduce((n, f) => n + f.size, 0));
    expect(text).toContain('pyrelease_jobs{queue="publish",state="completed"} 1\n');
  });

  describe.skipIf(!hasChromium)('in headless Chromium', () => {
    let context: BrowserContext;
    let profile: string;

    beforeAll(async () => {
      await mkdir(SHOTS, { recursive: true });
      profile = await mkdtemp(join(tmpdir(), 'pyrelease-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        httpCredentials: { username: USER, password: PASSWORD },
      });
    }, 30_000);

    afterAll(async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    });

    it('shows the release, its files and where they went on /releases', async () => {
      const page = await context.newPage();
      const res = await page.goto(`${svc.service.url}/releases`);
      expect(res?.status()).toBe(200);
      await expect.poll(() => page.locator('h2').first().textContent()).toBe(`gitlab:${svc.project.id}`);
      const row = page.locator('tbody tr').first();
      expect(await row.locator('td').first().textContent()).toBe('1.4.0');
      expect(await row.locator('td.state').textContent()).toBe('completed');
      const files = await row.locator('li').allTextContents();
      expect(files.map((f) => f.replace(/ \(\d+ bytes\)$/, ''))).toEqual([
        'sample_static-1.4.0-py3-none-any.whl → fake: uploaded',
        'sample-static-1.4.0.tar.gz → fake: uploaded',
      ]);
      await page.screenshot({ path: join(SHOTS, 'releases.png'), fullPage: true });
      await page.close();
    });

    it('opens the queue dashboard with the admin credentials and lists our queues', async () => {
      const page = await context.newPage();
      const res = await page.goto(`${svc.service.url}/admin/queues`);
      expect(res?.status()).toBe(200);
      // bull-board renders in the browser: wait for its queue cards.
      await page.getByText('publish', { exact: true }).first().waitFor({ timeout: 15_000 });
      for (const name of ['events', 'publish']) expect(await page.getByText(name, { exact: true }).count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(SHOTS, 'admin-queues.png'), fullPage: true });
      await page.goto(`${svc.service.url}/admin/queues/queue/publish?status=completed`);
      await page.getByText('v1.4.0').first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(SHOTS, 'admin-queues-publish.png'), fullPage: true });
      await page.close();
    });

    it('is refused without credentials', async () => {
      const anonymous = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        // Headless, there is no one to answer the Basic challenge: Chromium ends the navigation.
        const page = await anonymous.newPage();
        await expect(page.goto(`${svc.service.url}/releases`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
        expect((await page.request.get(`${svc.service.url}/releases`)).status()).toBe(401);
      } finally {
        await anonymous.close();
      }
    });
  });
});
