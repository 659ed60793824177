import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { clusterOptions, connectionFor, keySlot, openRedis, redisTarget } from '../src/redis-client.js';

const options = { connectionName: 'pyrelease-test', maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, connectTimeout: 2000 };

describe('Redis connections', () => {
  it('gives every cluster node the credentials and TLS of the seed URL, and keeps the cluster client\'s own options at its level', () => {
    const o = clusterOptions('rediss://release-bot:p%40ss%3Aword@clustercfg.example.invalid:6380', options);
    expect(o.redisOptions).toEqual({ connectionName: 'pyrelease-test', maxRetriesPerRequest: 1, connectTimeout: 2000, username: 'release-bot', password: 'p@ss:word', tls: {} });
    expect(o.enableOfflineQueue).toBe(false);
    expect(o.enableAutoPipelining).toBe(true);
    // TLS on hostnames: the node names are kept, not resolved to addresses.
    let kept: string | undefined;
    o.dnsLookup?.('node-1.clustercfg.example.invalid', (_err, address) => (kept = address));
    expect(kept).toBe('node-1.clustercfg.example.invalid');
  });

  it('leaves TLS and the DNS lookup alone on a plain redis:// cluster without credentials', () => {
    const o = clusterOptions('redis://10.0.0.5:7000', { connectionName: 'x', maxRetriesPerRequest: null });
    expect(o.redisOptions).toEqual({ connectionName: 'x', maxRetriesPerRequest: null });
    expect(o.dnsLookup).toBeUndefined();
    expect('enableOfflineQueue' in o).toBe(false);
  });

  it('opens a cluster client only when asked to, and the local default when REDIS_URL is unset', () => {
    expect(redisTarget({ redisUrl: undefined, redisCluster: false })).toEqual({ url: 'redis://127.0.0.1:6379', cluster: false });
    const lazy = { ...options, lazyConnect: true };
    const single = openRedis({ url: 'redis://127.0.0.1:1', cluster: false }, lazy);
    const cluster = openRedis({ url: 'redis://127.0.0.1:1', cluster: true }, lazy);
    try {
      expect(single).toBeInstanceOf(Redis);
      expect(cluster).toBeInstanceOf(Cluster);
      expect((cluster as Cluster).options.redisOptions?.connectionName).toBe('pyrelease-test');
    } finally {
      single.disconnect();
      cluster.disconnect();
    }
  });
});

describe('keySlot', () => {
  it.each([
    ['somekey', 11058],
    ['foo{hash_tag}', 2515],
    ['bar{hash_tag}', 2515],
  ])('puts %s in slot %i, as the CLUSTER KEYSLOT documentation does', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it('hashes only a non-empty tag, the first one', () => {
    expect(keySlot('{pyrelease}:inbox:events')).toBe(keySlot('pyrelease'));
    expect(keySlot('{}{pyrelease}')).toBe(keySlot('{}{pyrelease}'));
    expect(keySlot('{}{pyrelease}')).not.toBe(keySlot('pyrelease'));
    expect(keySlot('{a}{b}')).toBe(keySlot('a'));
  });

  it('gives a single Redis\'s connection itself as the one for any key', () => {
    const single = new Redis('redis://127.0.0.1:1', { lazyConnect: true });
    try {
      expect(connectionFor(single, '{x}:y')).toBe(single);
    } finally {
      single.disconnect();
    }
  });
});
