import { z } from 'zod';
import type { Binding } from '../core/publish-policy.js';
import { AppError } from '../errors.js';
import type { RedisClient } from '../redis-client.js';

/**
 * Which repository first published each project name to each target, as PyPI's trusted
 * publishers bind a project to a repository. One Redis hash per service (the prefix
 * keeps it in the queue's cluster slot); field `target/name`. What a binding allows is
 * decided in core/publish-policy.ts; this only records and reads.
 */
export interface BindingRecord {
  readonly target: string;
  readonly project: string;
  readonly binding: Binding;
  /** ISO time the binding was made. */
  readonly at: string;
  /** `publish`: the first release recorded it; `operator`: `pyrelease bindings move`. */
  readonly by: 'publish' | 'operator';
}

export interface BindingStore {
  get(target: string, project: string): Promise<Binding | null>;
  /** Binds the name to `binding` unless someone holds it already; returns who holds it now. */
  claim(target: string, project: string, binding: Binding): Promise<Binding>;
  list(): Promise<BindingRecord[]>;
  /** The operator's move; returns the previous holder. */
  move(target: string, project: string, to: Binding): Promise<Binding | null>;
}

const storedSchema = z.object({
  platform: z.enum(['gitlab', 'github', 'local']),
  id: z.string().nullable(),
  path: z.string(),
  at: z.string(),
  by: z.enum(['publish', 'operator']),
});

function field(target: string, project: string): string {
  return `${target}/${project}`;
}

function parse(target: string, project: string, raw: string): BindingRecord {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = null;
  }
  const parsed = storedSchema.safeParse(json);
  // Fail closed: an unreadable binding protects the name until an operator rewrites it.
  if (!parsed.success) {
    throw new AppError('publish-forbidden', `the binding of ${project} on ${target} cannot be read; an operator can rewrite it with \`pyrelease bindings move\``, { details: { target, project } });
  }
  const { platform, id, path, at, by } = parsed.data;
  return { target, project, binding: { platform, id, path }, at, by };
}

export function redisBindings(redis: RedisClient, prefix: string, now: () => Date = () => new Date()): BindingStore {
  const key = `${prefix}:bindings`;
  const encode = (b: Binding, by: BindingRecord['by']) => JSON.stringify({ platform: b.platform, id: b.id, path: b.path, at: now().toISOString(), by });
  const get = async (target: string, project: string): Promise<Binding | null> => {
    const raw = await redis.hget(key, field(target, project));
    return raw === null ? null : parse(target, project, raw).binding;
  };
  return {
    get,
    async claim(target, project, binding) {
      // HSETNX: of two repositories racing for a new name, exactly one binds it.
      const set = await redis.hsetnx(key, field(target, project), encode(binding, 'publish'));
      if (set === 1) return binding;
      const holder = await get(target, project);
      if (holder === null) throw new AppError('publish-forbidden', `the binding of ${project} on ${target} vanished while it was claimed`, { retryable: true });
      return holder;
    },
    async list() {
      const all = await redis.hgetall(key);
      return Object.entries(all)
        .flatMap(([f, raw]) => {
          const slash = f.indexOf('/');
          try {
            return [parse(f.slice(0, slash), f.slice(slash + 1), raw)];
          } catch {
            return []; // unreadable: still refuses publishes (get fails closed); a move rewrites it
          }
        })
        .sort((a, b) => (a.target === b.target ? a.project.localeCompare(b.project) : a.target.localeCompare(b.target)));
    },
    async move(target, project, to) {
      const previous = await redis.hget(key, field(target, project));
      await redis.hset(key, field(target, project), encode(to, 'operator'));
      if (previous === null) return null;
      try {
        return parse(target, project, previous).binding;
      } catch {
        return null;
      }
    },
  };
}
