import type { RedisClient } from '../redis-client.js';

/**
 * The fields of a stored BullMQ job that BullMQ decodes as JSON when it reads the job,
 * each with what makes it readable and the value that replaces it when it is not
 * (null: the field is removed). `parent` is also decoded by BullMQ's Lua scripts.
 */
const FIELDS: ReadonlyArray<{ readonly field: string; readonly readable: (raw: string | null) => boolean; readonly replacement: string | null }> = [
  { field: 'data', readable: (raw) => parses(raw ?? '{}', () => true), replacement: '{}' },
  { field: 'opts', readable: (raw) => parses(raw ?? '{}', isObject), replacement: '{}' },
  { field: 'progress', readable: (raw) => parses(raw ?? '0', () => true), replacement: '0' },
  { field: 'parent', readable: (raw) => raw === null || parses(raw, isObject), replacement: null },
];

/** Kept beside the replacement, for the operator who looks into a forged or corrupted job. */
export const UNREADABLE_FIELD_PREFIX = 'pyrelease-unreadable-';

// Only while the job is still locked by the worker that found it: another worker that
// took it over meanwhile (after a stall) owns it now.
const QUARANTINE_SCRIPT = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do
  local field = ARGV[i]
  local original = redis.call('HGET', KEYS[1], field)
  if original then redis.call('HSET', KEYS[1], '${UNREADABLE_FIELD_PREFIX}' .. field, original) end
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], field) else redis.call('HSET', KEYS[1], field, ARGV[i + 1]) end
end
return 1
`;

export interface QuarantinedJob {
  readonly jobId: string;
  /** Names the unreadable fields; quotes none of their contents (a job may hold anything). */
  readonly reason: string;
}

/**
 * Finds the active job that `token` locks (the one a fetch just moved to active and
 * could not read), moves its unreadable fields aside and puts readable ones in their
 * place. null: no job holds the token, or every field of it reads (the fetch failed for
 * another reason).
 */
export async function quarantineUnreadableJob(redis: RedisClient, toKey: (type: string) => string, token: string): Promise<QuarantinedJob | null> {
  const active = await redis.lrange(toKey('active'), 0, -1);
  if (active.length === 0) return null;
  const locks = await redis.mget(...active.map((id) => `${toKey(id)}:lock`));
  const jobId = active.find((_, i) => locks[i] === token);
  if (jobId === undefined) return null;
  const jobKey = toKey(jobId);
  const raw = await redis.hmget(jobKey, ...FIELDS.map((f) => f.field));
  const unreadable = FIELDS.filter((f, i) => !f.readable(raw[i] ?? null));
  if (unreadable.length === 0) return null;
  const args = unreadable.flatMap((f) => [f.field, f.replacement ?? '']);
  const done = await redis.eval(QUARANTINE_SCRIPT, 2, jobKey, `${jobKey}:lock`, token, ...args);
  if (done !== 1) return null;
  const names = unreadable.map((f) => f.field).join(', ');
  return { jobId, reason: `job-invalid: the stored job could not be read (${names}: not valid JSON), so it was not run` };
}

function parses(raw: string, accept: (value: unknown) => boolean): boolean {
  try {
    return accept(JSON.parse(raw));
  } catch {
    return false;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
