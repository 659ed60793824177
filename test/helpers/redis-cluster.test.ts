import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster } from './redis-cluster.js';
import type { PrivateRedisCluster } from './redis-cluster.js';

const KEY = '{pyrelease}:x';
const SLOT_COUNT = 16_384;

/** A plain client that gives up instead of reconnecting, so a dead node fails the test fast. */
function plainClient(url: string): Redis {
  return new Redis(url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
}

async function withPlainClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = plainClient(url);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** The url of the master that the node at `url` says owns the slot of `key` (CLUSTER SLOTS). */
async function slotOwnerSeenBy(url: string, key: string): Promise<string | undefined> {
  return withPlainClient(url, async (client) => {
    const slot = Number(await client.cluster('KEYSLOT', key));
    const ranges = await client.cluster('SLOTS');
    const owner = ranges.find(([start, end]) => start <= slot && slot <= end)?.[2];
    return owner === undefined ? undefined : `redis://127.0.0.1:${owner[1]}`;
  });
}

/** Whether anything accepts a TCP connection on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startRedisCluster', () => {
  let cluster: PrivateRedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);

  afterAll(async () => {
    await cluster?.close();
  }, 30_000);

  it('starts three masters that agree the cluster is ok and that split every slot between them', async () => {
    expect(cluster.nodes).toHaveLength(3);
    const ports = cluster.nodes.map((node) => node.port);
    expect(new Set(ports).size).toBe(3);

    for (const node of cluster.nodes) {
      const info = await withPlainClient(node.url, async (client) => String(await client.cluster('INFO')));
      expect(info, `node ${node.port}`).toContain('cluster_state:ok');
      expect(info, `node ${node.port}`).toContain('cluster_known_nodes:3');
    }

    // Every node must hold the same map, with no slot unowned or owned twice.
    const maps = await Promise.all(
      cluster.nodes.map((node) =>
        withPlainClient(node.url, async (client) => {
          const ranges = await client.cluster('SLOTS');
          return ranges.map(([start, end, owner]) => ({ start, end, port: Number(owner?.[1]) })).sort((a, b) => a.start - b.start);
        }),
      ),
    );
    for (const map of maps.slice(1)) expect(map).toEqual(maps[0]);
    const map = maps[0]!;
    let next = 0;
    for (const range of map) {
      expect(range.start).toBe(next);
      expect(ports).toContain(range.port);
      next = range.end + 1;
    }
    expect(next).toBe(SLOT_COUNT);
    expect(new Set(map.map((range) => range.port))).toEqual(new Set(ports));
  });

  it('gives a node that does not own the key: a Cluster client seeded with it follows MOVED, a plain client gets MOVED', async () => {
    const notOwning = await cluster.urlNotOwning('{pyrelease}');
    const owning = await cluster.urlOwning('{pyrelease}');
    expect(notOwning).not.toBe(owning);
    expect(cluster.nodes.map((node) => node.url)).toContain(notOwning);
    expect(cluster.nodes.map((node) => node.url)).toContain(owning);

    const clusterClient = new Cluster([notOwning]);
    try {
      const value = `v-${Date.now()}`;
      expect(await clusterClient.set(KEY, value)).toBe('OK');
      expect(await clusterClient.get(KEY)).toBe(value);
      // The write landed on the node the helper names as owner.
      expect(await withPlainClient(owning, (client) => client.get(KEY))).toBe(value);
    } finally {
      clusterClient.disconnect();
    }

    await withPlainClient(notOwning, async (client) => {
      const error = await client.get(KEY).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^MOVED /);
    });
  });
});

describe('PrivateRedisCluster.migrateSlot', () => {
  it('moves a slot and its keys to another master, and every node then names it the owner', async () => {
    const cluster = await startRedisCluster();
    try {
      const key = '{pyrelease-migrate}';
      const seed = new Cluster([await cluster.urlNotOwning(key)]);
      try {
        for (let i = 0; i < 25; i++) await seed.set(`${key}:${i}`, String(i));
        const from = await cluster.urlOwning(key);
        const to = await cluster.urlNotOwning(key);
        expect(await cluster.migrateSlot(key, to)).toBe(25);
        for (const node of cluster.nodes) expect(await slotOwnerSeenBy(node.url, key), node.url).toBe(to);
        expect(await withPlainClient(to, (client) => client.get(`${key}:7`))).toBe('7');
        expect(await withPlainClient(from, (client) => client.dbsize())).toBe(0);
        // A cluster client follows the move.
        expect(await seed.get(`${key}:24`)).toBe('24');
      } finally {
        seed.disconnect();
      }
    } finally {
      await cluster.close();
    }
  }, 30_000);
});

describe('PrivateRedisCluster.close', () => {
  it('stops every node, removes their dirs, and can be called twice', async () => {
    const cluster = await startRedisCluster();
    try {
      for (const node of cluster.nodes) {
        expect(existsSync(node.dir)).toBe(true);
        // Ready as soon as start resolves, not only after the time the other tests take.
        const info = await withPlainClient(node.url, async (client) => String(await client.cluster('INFO')));
        expect(info, `node ${node.port}`).toContain('cluster_state:ok');
      }
    } finally {
      await cluster.close();
    }

    for (const node of cluster.nodes) {
      expect(await accepts(node.port), `port ${node.port}`).toBe(false);
      expect(await accepts(node.port + 10_000), `bus port ${node.port + 10_000}`).toBe(false);
      expect(existsSync(node.dir), node.dir).toBe(false);
    }
    await expect(cluster.close()).resolves.toBeUndefined();
  }, 30_000);
});

describe('startRedisCluster({ replicas: 1 })', () => {
  let cluster: PrivateRedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 1 });
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  }, 60_000);

  it('starts three masters, each with one replica, the masters splitting every slot', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(new Set(cluster.nodes.map((node) => node.port)).size).toBe(6);
    const masters = cluster.nodes.filter((node) => node.role === 'master').map((node) => node.port);
    const replicas = cluster.nodes.filter((node) => node.role === 'replica').map((node) => node.port);
    expect(masters).toHaveLength(3);
    expect(replicas).toHaveLength(3);

    // The role the helper reports is the one each node gives itself.
    for (const node of cluster.nodes) {
      const [role] = await withPlainClient(node.url, (client) => client.role());
      expect(role, `node ${node.port}`).toBe(node.role === 'master' ? 'master' : 'slave');
      const info = await withPlainClient(node.url, async (client) => String(await client.cluster('INFO')));
      expect(info, `node ${node.port}`).toContain('cluster_state:ok');
      expect(info, `node ${node.port}`).toContain('cluster_known_nodes:6');
    }

    const ranges = await withPlainClient(cluster.nodes[0]!.url, (client) => client.cluster('SLOTS'));
    const map = ranges
      .map(([start, end, owner, ...others]) => ({ start, end, port: Number(owner?.[1]), replicas: others.map((other) => Number(other[1])) }))
      .sort((a, b) => a.start - b.start);
    let next = 0;
    for (const range of map) {
      expect(range.start).toBe(next);
      expect(masters).toContain(range.port);
      expect(range.replicas).toHaveLength(1);
      expect(replicas).toContain(range.replicas[0]);
      next = range.end + 1;
    }
    expect(next).toBe(SLOT_COUNT);
    expect(new Set(map.map((range) => range.port))).toEqual(new Set(masters));
    expect(new Set(map.flatMap((range) => range.replicas))).toEqual(new Set(replicas));
    // replicaOf names the replica of each master, as the slot map does.
    for (const range of map) expect(await cluster.replicaOf(`redis://127.0.0.1:${range.port}`)).toBe(`redis://127.0.0.1:${range.replicas[0]}`);
  });

  it('hands the slot of a killed master to its replica, which still has the value written before', async () => {
    const key = '{pyrelease}:failover';
    const value = `v-${Date.now()}`;
    const notOwning = await cluster.urlNotOwning('{pyrelease}');
    const owner = await cluster.urlOwning('{pyrelease}');
    expect(notOwning).not.toBe(owner);
    expect(cluster.nodes.find((node) => node.url === notOwning)?.role).toBe('master');
    expect(cluster.nodes.find((node) => node.url === owner)?.role).toBe('master');

    const clusterClient = new Cluster([notOwning]);
    try {
      expect(await clusterClient.set(key, value)).toBe('OK');
    } finally {
      clusterClient.disconnect();
    }
    // The replica has the write before its master dies, so the failover cannot lose it.
    const ownerClient = plainClient(owner);
    try {
      expect(await ownerClient.wait(1, 2000)).toBe(1);
    } finally {
      ownerClient.disconnect();
    }

    const killedAt = Date.now();
    await cluster.kill(owner);
    expect(await accepts(Number(new URL(owner).port))).toBe(false);
    const newOwner = await cluster.waitForOwner('{pyrelease}', { notUrl: owner });
    const failoverMs = Date.now() - killedAt;

    expect(newOwner).not.toBe(owner);
    expect(cluster.nodes.find((node) => node.url === newOwner)?.role).toBe('replica');
    expect(failoverMs).toBeLessThan(30_000);
    expect(await cluster.urlOwning('{pyrelease}')).toBe(newOwner);
    expect(await withPlainClient(newOwner, (client) => client.get(key))).toBe(value);
    // A master that does not own the slot, among the ones still running.
    const stillNotOwning = await cluster.urlNotOwning('{pyrelease}');
    expect([owner, newOwner]).not.toContain(stillNotOwning);
    expect(cluster.nodes.find((node) => node.url === stillNotOwning)?.role).toBe('master');

    // Restarted, the old master rejoins as the replica of the one that took over.
    await cluster.restart(owner);
    await expect(cluster.restart(owner)).rejects.toThrow('still running');
    const deadline = Date.now() + 20_000;
    let role = '';
    while (Date.now() < deadline && role !== 'slave') {
      role = String((await withPlainClient(owner, (client) => client.call('ROLE')) as unknown[])[0]);
      if (role !== 'slave') await new Promise((r) => setTimeout(r, 100));
    }
    expect(role).toBe('slave');
  }, 60_000);
});
