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
 * A private Redis Cluster of three masters, each with one replica or none, every node a
 * redis-server child of the test process with the append-only file on, as production
 * runs. A queue that works against one Redis can still break on a cluster (keys of one
 * job in different slots, CROSSSLOT, MOVED, a master dying and its replica taking over);
 * tests that need to see that use this, never the machine's Redis.
 */
export interface PrivateRedisCluster {
  /**
   * The nodes, in the order started. `role` is as the cluster said right after start
   * (a failover later does not change it); each master owns a third of the slots.
   */
  readonly nodes: ReadonlyArray<PrivateRedisNode>;
  /**
   * redis://127.0.0.1:<port> of a running master that does NOT own the hash slot of `key`
   * (so a non-cluster client gets MOVED for it); never a replica.
   */
  urlNotOwning(key: string): Promise<string>;
  /** redis://127.0.0.1:<port> of the master that owns the hash slot of `key`, as a running node says. */
  urlOwning(key: string): Promise<string>;
  /** SIGKILLs the node at `url`, as a crash (no AOF fsync, no goodbye); resolves once it has exited. */
  kill(url: string): Promise<void>;
  /**
   * Starts a killed node again on its port and dir, as an orchestrator restarts a crashed
   * container: it reads its nodes.conf and AOF back and, if its replica took over meanwhile,
   * rejoins as that one's replica. Resolves once it accepts connections.
   */
  restart(url: string): Promise<void>;
  /** redis://127.0.0.1:<port> of a replica of the master at `masterUrl`, as that master's CLUSTER NODES says. */
  replicaOf(masterUrl: string): Promise<string>;
  /**
   * Moves the slot of `key` from its master to the master at `toUrl`, the way `redis-cli
   * --cluster reshard` does, while clients keep working: IMPORTING on the target, MIGRATING
   * on the owner, MIGRATE of its keys 10 at a time (`pauseMs` apart, 20 by default, so
   * clients meet a slot half moved: ASK and TRYAGAIN), then SETSLOT NODE on every running
   * node. Resolves with the number of keys moved.
   */
  migrateSlot(key: string, toUrl: string, options?: { readonly pauseMs?: number }): Promise<number>;
  /**
   * Polls the running nodes until they all say cluster_state:ok and agree that one running
   * master, other than `notUrl`, owns the slot of `key`; resolves with that master's url.
   * Rejects after `timeoutMs` (30 s) with what each running node said last.
   */
  waitForOwner(key: string, options?: { readonly notUrl?: string; readonly timeoutMs?: number }): Promise<string>;
  /** Stops every node (SIGTERM, SIGKILL after 5 s) and removes their dirs. Safe to call twice, and after kill(). */
  close(): Promise<void>;
}

export interface PrivateRedisNode {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly role: 'master' | 'replica';
}

export interface RedisClusterOptions {
  /** Replicas per master: 0 (three nodes, the default) or 1 (six nodes). */
  readonly replicas?: 0 | 1;
}

interface RunningNode {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Replaced by restart(). */
  child: ChildProcess;
}

const MASTER_COUNT = 3;
/** Redis puts a node's cluster bus on its port + 10000, which must be free and at most 65535 too. */
const BUS_OFFSET = 10_000;
/** Replicas add a full sync each, hence more time to be ready. */
const CLUSTER_OK_TIMEOUT_MS = 15_000;
const CLUSTER_WITH_REPLICAS_OK_TIMEOUT_MS = 30_000;
const WAIT_FOR_OWNER_TIMEOUT_MS = 30_000;
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
      // A replica's first full sync would otherwise wait 5 s for more replicas to come.
      '--repl-diskless-sync-delay', '0',
      // An idle master's replica has offset 0, and so is left out of CLUSTER SLOTS, until
      // the master's first replication PING: 10 s by default.
      '--repl-ping-replica-period', '1',
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

/**
 * redis-cli assigns the slots in three even ranges, makes the nodes meet and, with
 * replicas, makes each of the other nodes replicate one master (it warns that a master
 * and its replica share a host, and goes on).
 */
function createCluster(ports: readonly number[], replicas: number): Promise<void> {
  const args = [
    '--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas', String(replicas), '--cluster-yes',
  ];
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

function isRunning(node: RunningNode): boolean {
  return node.child.exitCode === null && node.child.signalCode === null;
}

/** A line of CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <master id|-> ... <link-state> [slots]`. */
interface ClusterNodeLine {
  readonly id: string;
  readonly port: number;
  readonly flags: readonly string[];
  readonly masterId: string;
  readonly linkState: string;
}

function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , linkState = ''] = line.split(' ');
      const port = Number(/:(\d+)@/.exec(address)?.[1]);
      return { id, port, flags: flags.split(','), masterId, linkState };
    });
}

/** What is missing, as one node sees the cluster; null once it sees all it should. */
function clusterNodesProblem(lines: readonly ClusterNodeLine[], replicas: number): string | null {
  const bad = lines.filter(
    (line) => line.linkState !== 'connected' || line.flags.some((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag)),
  );
  if (bad.length > 0) return `not connected or failing: ${bad.map((line) => `${line.port} ${line.flags.join(',')} ${line.linkState}`).join('; ')}`;
  const masters = lines.filter((line) => line.flags.includes('master'));
  const slaves = lines.filter((line) => line.flags.includes('slave'));
  if (masters.length !== MASTER_COUNT || slaves.length !== MASTER_COUNT * replicas) {
    return `${masters.length} masters and ${slaves.length} replicas`;
  }
  const lonely = masters.filter((master) => slaves.filter((slave) => slave.masterId === master.id).length !== replicas);
  if (lonely.length > 0) return `masters without exactly ${replicas} replica(s): ${lonely.map((line) => line.port).join(', ')}`;
  return null;
}

/** What a node still lacks to be ready; null once it is. */
async function nodeProblem(node: RunningNode, replicas: number): Promise<string | null> {
  return withClient(node.url, async (client) => {
    const nodeCount = MASTER_COUNT * (1 + replicas);
    const info = String(await client.cluster('INFO'));
    if (!/^cluster_state:ok\r?$/m.test(info) || !new RegExp(`^cluster_known_nodes:${nodeCount}\\r?$`, 'm').test(info)) return info;
    const lines = parseClusterNodes(String(await client.cluster('NODES')));
    const problem = clusterNodesProblem(lines, replicas);
    if (problem !== null) return `CLUSTER NODES: ${problem}`;
    if (replicas === 0) return null;
    // CLUSTER SLOTS, which cluster clients read, leaves out a replica until this node has
    // heard (by gossip) that it has replicated something.
    const ranges = await client.cluster('SLOTS');
    const short = ranges.filter((range) => range.length - 3 !== replicas);
    if (short.length > 0) return `CLUSTER SLOTS: ranges without ${replicas} replica(s): ${short.map(([start, end]) => `${start}-${end}`).join(', ')}`;
    // A master that does not yet see its replica online would answer WAIT with 0.
    const replication = await client.info('replication');
    const myself = lines.find((line) => line.flags.includes('myself'));
    if (myself?.flags.includes('slave') === true) {
      return /^master_link_status:up\r?$/m.test(replication) ? null : replication;
    }
    return new RegExp(`^connected_slaves:${replicas}\\r?$`, 'm').test(replication) && /^slave0:.*state=online/m.test(replication)
      ? null
      : replication;
  }).catch((error: unknown) => String(error));
}

/**
 * Each node marks the cluster ok on its own, after gossip and a rejoin delay, some time
 * after redis-cli returns; a client that comes earlier gets CLUSTERDOWN. A replica is
 * ready once it has synced from its master, that master sees it online, and every node
 * lists it in CLUSTER SLOTS.
 */
async function waitClusterReady(nodes: readonly RunningNode[], replicas: number): Promise<void> {
  const timeoutMs = replicas === 0 ? CLUSTER_OK_TIMEOUT_MS : CLUSTER_WITH_REPLICAS_OK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await Promise.all(nodes.map((node) => nodeProblem(node, replicas)));
    if (problems.every((problem) => problem === null)) return;
    if (Date.now() > deadline) {
      const report = nodes.map((node, i) => `${node.port}:\n${problems[i] ?? 'ready'}`).join('\n');
      throw new Error(`cluster not ready after ${timeoutMs} ms:\n${report}`);
    }
    await sleep(POLL_MS);
  }
}

/** The roles right after start, from CLUSTER NODES of the first node (all agree by then). */
async function rolesByPort(url: string): Promise<Map<number, 'master' | 'replica'>> {
  const lines = await withClient(url, async (client) => parseClusterNodes(String(await client.cluster('NODES'))));
  return new Map(lines.map((line) => [line.port, line.flags.includes('slave') ? 'replica' : 'master'] as const));
}

/** How one node sees the slot of a key: its slot, the port of the master owning it, the cluster state. */
interface SlotView {
  readonly slot: number;
  readonly owner: number | undefined;
  readonly masters: readonly number[];
  readonly state: string;
}

async function slotView(url: string, key: string): Promise<SlotView> {
  return withClient(url, async (client) => {
    const slot = await client.cluster('KEYSLOT', key);
    const ranges = await client.cluster('SLOTS');
    const info = String(await client.cluster('INFO'));
    // The first node of a range is its master; replicas follow.
    const owner = ranges.find(([start, end]) => start <= slot && slot <= end)?.[2]?.[1];
    return {
      slot,
      owner: owner === undefined ? undefined : Number(owner),
      masters: ranges.map((range) => Number(range[2]?.[1])),
      state: /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'unknown',
    };
  });
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<PrivateRedisCluster> {
  const replicas = options.replicas ?? 0;
  const nodes: RunningNode[] = [];
  let publicNodes: PrivateRedisNode[];
  try {
    const taken = new Set<number>();
    for (let i = 0; i < MASTER_COUNT * (1 + replicas); i++) nodes.push(await startNode(taken));
    await createCluster(nodes.map((node) => node.port), replicas);
    await waitClusterReady(nodes, replicas);
    const roles = await rolesByPort(nodes[0]!.url);
    publicNodes = nodes.map(({ port, url, dir }) => {
      const role = roles.get(port);
      if (role === undefined) throw new Error(`CLUSTER NODES does not list ${port}`);
      return { port, url, dir, role };
    });
  } catch (error) {
    await stopNodes(nodes);
    throw error;
  }

  const running = (): RunningNode[] => nodes.filter(isRunning);

  /** How the first running node that answers sees the slot of `key`. */
  async function anyView(key: string): Promise<SlotView> {
    let lastError: unknown = new Error('no node of the cluster is running');
    for (const node of running()) {
      try {
        return await slotView(node.url, key);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  async function ownerOf(key: string): Promise<{ readonly view: SlotView; readonly owner: number }> {
    const view = await anyView(key);
    if (view.owner === undefined) throw new Error(`no node owns slot ${view.slot} of ${key}`);
    return { view, owner: view.owner };
  }

  let closing: Promise<void> | null = null;
  return {
    nodes: publicNodes,
    async urlOwning(key) {
      return urlOf((await ownerOf(key)).owner);
    },
    async urlNotOwning(key) {
      const { view, owner } = await ownerOf(key);
      const other = running().find((node) => node.port !== owner && view.masters.includes(node.port));
      if (other === undefined) throw new Error(`no running master other than ${owner} owns a slot`);
      return other.url;
    },
    async kill(url) {
      const node = nodes.find((candidate) => candidate.url === url);
      if (node === undefined) throw new Error(`${url} is not a node of this cluster`);
      if (!isRunning(node)) return;
      await new Promise<void>((resolve) => {
        node.child.once('exit', () => resolve());
        node.child.kill('SIGKILL');
      });
    },
    async restart(url) {
      const node = nodes.find((candidate) => candidate.url === url);
      if (node === undefined) throw new Error(`${url} is not a node of this cluster`);
      if (isRunning(node)) throw new Error(`${url} is still running`);
      node.child = await launch(node.port, node.dir);
    },
    async replicaOf(masterUrl) {
      const lines = await withClient(masterUrl, async (client) => parseClusterNodes(String(await client.cluster('NODES'))));
      const master = lines.find((line) => line.flags.includes('myself'));
      const replica = lines.find((line) => master !== undefined && line.masterId === master.id);
      if (replica === undefined) throw new Error(`${masterUrl} has no replica`);
      return urlOf(replica.port);
    },
    async migrateSlot(key, toUrl, { pauseMs = 20 } = {}) {
      const fromUrl = urlOf((await ownerOf(key)).owner);
      return withClient(fromUrl, (from) =>
        withClient(toUrl, async (to) => {
          const slot = Number(await from.cluster('KEYSLOT', key));
          const [fromId, toId] = [String(await from.cluster('MYID')), String(await to.cluster('MYID'))];
          await to.cluster('SETSLOT', slot, 'IMPORTING', fromId);
          await from.cluster('SETSLOT', slot, 'MIGRATING', toId);
          const { hostname, port } = new URL(toUrl);
          let moved = 0;
          for (;;) {
            const keys = (await from.cluster('GETKEYSINSLOT', slot, 10)) as string[];
            if (keys.length === 0) break;
            await from.call('MIGRATE', hostname, port, '', '0', '5000', 'KEYS', ...keys);
            moved += keys.length;
            await sleep(pauseMs);
          }
          // The target first, then the rest, as redis-cli does: the owner learns last.
          const order = [toUrl, ...running().map((node) => node.url).filter((url) => url !== toUrl && url !== fromUrl), fromUrl];
          for (const url of order) await withClient(url, (client) => client.cluster('SETSLOT', slot, 'NODE', toId));
          return moved;
        }),
      );
    },
    async waitForOwner(key, { notUrl, timeoutMs = WAIT_FOR_OWNER_TIMEOUT_MS } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const live = running();
        if (live.length === 0) throw new Error('no node of the cluster is running');
        const views = await Promise.all(
          live.map((node) => slotView(node.url, key).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))),
        );
        const owners = new Set(views.map((view) => (view instanceof Error ? undefined : view.owner)));
        const [owner] = owners;
        const agreed =
          owners.size === 1 &&
          owner !== undefined &&
          urlOf(owner) !== notUrl &&
          live.some((node) => node.port === owner) &&
          views.every((view) => !(view instanceof Error) && view.state === 'ok');
        if (agreed) return urlOf(owner);
        if (Date.now() > deadline) {
          const report = live
            .map((node, i) => {
              const view = views[i];
              if (view === undefined || view instanceof Error) return `${node.port}: ${String(view)}`;
              return `${node.port}: cluster_state:${view.state}, slot ${view.slot} owned by ${view.owner ?? 'nobody'}`;
            })
            .join('\n');
          throw new Error(`no running master${notUrl === undefined ? '' : ` other than ${notUrl}`} agreed to own ${key} after ${timeoutMs} ms:\n${report}`);
        }
        await sleep(POLL_MS);
      }
    },
    close() {
      closing ??= stopNodes(nodes);
      return closing;
    },
  };
}
