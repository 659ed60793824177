import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/**
 * A private Redis Cluster of three masters and no replicas, each a redis-server child of
 * the test process with the append-only file on, as production runs. A queue that works
 * against one Redis can still break on a cluster (keys of one job in different slots,
 * CROSSSLOT, MOVED); tests that need to see that use this, never the machine's Redis.
 */
export interface PrivateRedisCluster {
  /** The nodes, in the order started; each owns a third of the slots. */
  readonly nodes: ReadonlyArray<{ readonly port: number; readonly url: string; readonly dir: string }>;
  /** redis://127.0.0.1:<port> of a master that does NOT own the hash slot of `key` (so a non-cluster client gets MOVED for it). */
  urlNotOwning(key: string): Promise<string>;
  /** redis://127.0.0.1:<port> of the master that owns the hash slot of `key`. */
  urlOwning(key: string): Promise<string>;
  /** Stops every node (SIGTERM, SIGKILL after 5 s) and removes their dirs. Safe to call twice. */
  close(): Promise<void>;
}

interface RunningNode {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly child: ChildProcess;
}

const NODE_COUNT = 3;
/** Redis puts a node's cluster bus on its port + 10000, which must be free and at most 65535 too. */
const BUS_OFFSET = 10_000;
const CLUSTER_OK_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
const SETPRIV = '/usr/bin/setpriv';

function urlOf(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

/** Whether something can listen on the port right now; the only honest test of "free". */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose bus port (+10000) is free too. freePort() hands out ephemeral ports,
 * which may be above 55535 and so have no bus port; hence random tries in 20000-50000.
 * `taken` holds the ports and bus ports of the nodes already picked, which are not
 * listening yet and so would look free.
 */
async function freeClusterPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_001);
    if (taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if ((await canListen(port)) && (await canListen(port + BUS_OFFSET))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) found in 20000-50000');
}

/**
 * A child does not die with its parent: vitest ends a worker with SIGTERM and SIGKILL,
 * so no 'exit' handler runs, and a test file that fails before close() would leave
 * three redis-servers behind. setpriv (util-linux) asks the kernel to SIGKILL the child
 * when the thread that spawned it dies; without it, close() is the only cleanup.
 */
function spawnTied(command: string, args: readonly string[]): ChildProcess {
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  if (!existsSync(SETPRIV)) return spawn(command, args, { stdio });
  return spawn(SETPRIV, ['--pdeathsig', 'KILL', command, ...args], { stdio });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawnTied(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      // Short, so that a node that goes away is noticed within a test's time.
      '--cluster-node-timeout', '2000',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--loglevel', 'notice',
    ],
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on ${port} did not start:\n${out}`));
    }, 10_000);
    // Keep reading after ready, or a full pipe would block the server's logging.
    const collect = (chunk: Buffer): void => {
      if (ready) return;
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${out}`));
    });
  });
}

/**
 * Between the check that a port is free and redis-server binding it, another test may
 * take it; so a node that fails to start is tried again on fresh ports.
 */
async function startNode(taken: Set<number>): Promise<RunningNode> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeClusterPort(taken);
    // A fresh dir each try: a node that died half-way may have left a nodes.conf behind.
    const dir = await mkdtemp(join(tmpdir(), 'pyrelease-redis-cluster-'));
    try {
      const child = await launch(port, dir);
      taken.add(port).add(port + BUS_OFFSET);
      return { port, url: urlOf(port), dir, child };
    } catch (error) {
      lastError = error;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

/** SIGTERM (Redis fsyncs the AOF and exits), SIGKILL if it lingers. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function stopNodes(nodes: readonly RunningNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => stopChild(node.child)));
  await Promise.all(nodes.map((node) => rm(node.dir, { recursive: true, force: true })));
}

/** redis-cli assigns the slots in three even ranges and makes the nodes meet. */
function createCluster(ports: readonly number[]): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'];
  const cli = spawnTied('redis-cli', args);
  return new Promise((resolve, reject) => {
    let out = '';
    // redis-cli waits for the nodes to join without a limit of its own.
    const timer = setTimeout(() => cli.kill('SIGKILL'), 30_000);
    cli.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    cli.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    cli.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    cli.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`redis-cli ${args.join(' ')} exited with ${code ?? signal}:\n${out}`));
    });
  });
}

/** A plain client that fails fast instead of retrying, always disconnected after `use`. */
async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/**
 * Each node marks the cluster ok on its own, after gossip and a rejoin delay, some time
 * after redis-cli returns; a client that comes earlier gets CLUSTERDOWN.
 */
async function waitClusterOk(nodes: readonly RunningNode[]): Promise<void> {
  const deadline = Date.now() + CLUSTER_OK_TIMEOUT_MS;
  const last = new Map<number, string>();
  for (;;) {
    const infos = await Promise.all(
      nodes.map((node) => withClient(node.url, async (client) => String(await client.cluster('INFO'))).catch((error: unknown) => String(error))),
    );
    nodes.forEach((node, i) => last.set(node.port, infos[i] ?? ''));
    if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${nodes.length}`))) return;
    if (Date.now() > deadline) {
      const report = [...last].map(([port, info]) => `${port}:\n${info}`).join('\n');
      throw new Error(`cluster not ok after ${CLUSTER_OK_TIMEOUT_MS} ms:\n${report}`);
    }
    await sleep(POLL_MS);
  }
}

/** The port of the master owning the slot of `key`, as the cluster itself says. */
async function ownerPort(url: string, key: string): Promise<number> {
  return withClient(url, async (client) => {
    const slot = await client.cluster('KEYSLOT', key);
    const ranges = await client.cluster('SLOTS');
    const range = ranges.find(([start, end]) => start <= slot && slot <= end);
    const port = range?.[2]?.[1];
    if (port === undefined) throw new Error(`no node owns slot ${slot} of ${key}`);
    return Number(port);
  });
}

export async function startRedisCluster(): Promise<PrivateRedisCluster> {
  const nodes: RunningNode[] = [];
  try {
    const taken = new Set<number>();
    for (let i = 0; i < NODE_COUNT; i++) nodes.push(await startNode(taken));
    await createCluster(nodes.map((node) => node.port));
    await waitClusterOk(nodes);
  } catch (error) {
    await stopNodes(nodes);
    throw error;
  }

  const first = nodes[0]!;
  let closing: Promise<void> | null = null;
  return {
    nodes: nodes.map(({ port, url, dir }) => ({ port, url, dir })),
    async urlOwning(key) {
      return urlOf(await ownerPort(first.url, key));
    },
    async urlNotOwning(key) {
      const owner = await ownerPort(first.url, key);
      const other = nodes.find((node) => node.port !== owner);
      if (other === undefined) throw new Error(`every node owns the slot of ${key}`);
      return other.url;
    },
    close() {
      closing ??= stopNodes(nodes);
      return closing;
    },
  };
}
