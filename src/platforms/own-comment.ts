import type { AppError } from '../errors.js';
import type { UpsertOptions, UpsertResult } from './platform.js';

/**
 * Our one comment on a change request or a commit, the same way on every forge: found
 * by author (the bot) AND the hidden marker at the start of its body, so a human quoting
 * the marker is never edited.
 *
 * Duplicates: both forge clients retry writes by themselves (gitbeaker on 429/502,
 * Octokit's plugin-retry on 5xx/429), so a create whose response was lost after the
 * forge stored it is sent again and makes a second comment. Comments have no
 * idempotency key, so the fix comes afterwards: after any create, list again, keep the
 * oldest of ours and delete the others. A create that errored is listed too: a comment
 * that arrived counts as created.
 */
export interface StoredComment {
  readonly id: number;
  readonly body: string;
}

export interface CommentStore<C extends StoredComment> {
  readonly what: string;
  list(): Promise<C[]>;
  create(body: string): Promise<void>;
  edit(comment: C, body: string): Promise<void>;
  remove(comment: C): Promise<void>;
}

export interface CommentRules<C extends StoredComment> {
  isOurs(comment: C): boolean;
  /** The forge's error translation, for the one error this module raises itself. */
  translate(error: unknown, action: string): AppError;
  /** A delete that finds nothing: another run removed the duplicate first. */
  isGone(error: unknown): boolean;
}

async function ours<C extends StoredComment>(store: CommentStore<C>, rules: CommentRules<C>, marker: string): Promise<C[]> {
  return (await store.list()).filter((c) => rules.isOurs(c) && c.body.startsWith(marker)).sort((a, b) => a.id - b.id);
}

async function removeExtras<C extends StoredComment>(store: CommentStore<C>, rules: CommentRules<C>, extras: readonly C[]): Promise<void> {
  for (const extra of extras) {
    try {
      await store.remove(extra);
    } catch (error) {
      // Anything but "already gone" is worth a retry of the job.
      if (!rules.isGone(error)) throw rules.translate(error, `delete a duplicate ${store.what}`);
    }
  }
}

export async function upsertOwnComment<C extends StoredComment>(
  store: CommentStore<C>,
  rules: CommentRules<C>,
  body: string,
  marker: string,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const [mine, ...extras] = await ours(store, rules, marker);
  if (mine !== undefined) {
    await removeExtras(store, rules, extras);
    if (mine.body === body) return 'unchanged';
    await store.edit(mine, body);
    return 'updated';
  }
  if (options.createIfMissing === false) return 'absent';
  let failure: unknown = null;
  try {
    await store.create(body);
  } catch (error) {
    failure = error;
  }
  const [kept, ...duplicates] = await ours(store, rules, marker);
  if (kept === undefined) throw rules.translate(failure ?? new Error(`${store.what} vanished`), `create a ${store.what}`);
  await removeExtras(store, rules, duplicates);
  if (kept.body !== body) await store.edit(kept, body);
  return 'created';
}
