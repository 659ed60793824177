import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { redisBindings } from '../../src/jobs/publish-bindings.js';
import { redisConnection } from '../../src/jobs/queues.js';
import { captureIo } from '../helpers/cli-io.js';
import { TEST_REDIS_URL } from '../helpers/publish-harness.js';

const redis = redisConnection(TEST_REDIS_URL, 'pyrelease-test-bindings-command');
const prefix = `{pyrelease-bindings-cli-${randomBytes(5).toString('hex')}}`;
const env = { REDIS_URL: TEST_REDIS_URL, PYRELEASE_QUEUE_PREFIX: prefix };

afterAll(async () => {
  await redis.del(`${prefix}:bindings`);
  redis.disconnect();
});

async function run(args: string[]) {
  const io = captureIo({ env });
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('pyrelease bindings', () => {
  it('says so when nothing is bound', async () => {
    expect(await run(['bindings'])).toMatchObject({ code: 0, out: 'no bindings\n' });
  });

  it('lists bindings, as text and as JSON lines', async () => {
    await redisBindings(redis, prefix).claim('pypi', 'acme-tool', { platform: 'gitlab', id: '12', path: 'acme/tool' });
    const text = await run(['bindings']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^pypi {2}acme-tool {2}gitlab:acme\/tool {2}\S+ {2}publish\n$/);
    const json = await run(['bindings', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ target: 'pypi', project: 'acme-tool', platform: 'gitlab', repo: 'acme/tool', repoId: '12', by: 'publish' });
  });

  it('moves a binding to another repository, normalising the name', async () => {
    const moved = await run(['bindings', 'move', 'pypi', 'Acme_Tool', '--to', 'github:acme/tool-next']);
    expect(moved).toMatchObject({ code: 0, out: 'pypi acme-tool: gitlab:acme/tool -> github:acme/tool-next\n' });
    expect(await redisBindings(redis, prefix).get('pypi', 'acme-tool')).toEqual({ platform: 'github', id: null, path: 'acme/tool-next' });
  });

  it.each([
    [['bindings', 'move', 'pypi', 'acme-tool'], 2, 'usage'],
    [['bindings', 'remove', 'pypi'], 2, 'usage'],
    [['bindings', 'move', 'pypi', 'acme-tool', '--to', 'acme/tool'], 1, 'FORGE:REPO'],
    [['bindings', 'move', 'pypi', 'acme-tool', '--to', 'svn:acme/tool'], 1, 'FORGE:REPO'],
    [['bindings', 'move', 'nope', 'acme-tool', '--to', 'github:a/b'], 1, 'no registry "nope"'],
    [['bindings', 'move', 'gitlab', 'acme-tool', '--to', 'gitlab:a/b'], 1, 'own registry'],
    [['bindings', 'move', 'pypi', 'bad_', '--to', 'github:a/b'], 1, 'name is invalid'],
  ])('refuses %j', async (args, code, says) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(r.err).toContain(says);
  });
});
