import type { UpsertResult } from '../platform.js';
import { translateGitlabError } from './gitlab-errors.js';

/**
 * Our one comment on a merge request or a commit, found by author (the bot user) AND the
 * hidden marker at the start of its body: a human quoting the marker is never edited.
 *
 * Duplicates: @gitbeaker/rest retries a 429/502 by itself, so a create whose response
 * was lost (stored, then 502) is sent again and GitLab stores a second note. Notes have
 * no idempotency key, so the only fix is afterwards: after any create, list again, keep
 * the oldest of our notes and delete the others. A create that errors is listed too:
 * a note that arrived counts as created.
 */
export interface StoredNote {
  readonly id: number;
  readonly body: string;
  readonly authorId: number;
  /** Commit notes are edited through their discussion (doc/api/discussions.md). */
  readonly discussionId?: string;
}

export interface NoteStore {
  readonly what: string;
  list(): Promise<StoredNote[]>;
  create(body: string): Promise<void>;
  edit(note: StoredNote, body: string): Promise<void>;
  remove(note: StoredNote): Promise<void>;
}

async function ours(store: NoteStore, botId: number, marker: string): Promise<StoredNote[]> {
  const notes = await store.list();
  return notes.filter((n) => n.authorId === botId && n.body.startsWith(marker)).sort((a, b) => a.id - b.id);
}

async function removeExtras(store: NoteStore, extras: readonly StoredNote[]): Promise<void> {
  for (const extra of extras) {
    try {
      await store.remove(extra);
    } catch (error) {
      // Another run may have removed it first; anything else is worth a retry of the job.
      const translated = translateGitlabError(error, `delete a duplicate ${store.what}`);
      if (translated.code !== 'forge-not-found') throw translated;
    }
  }
}

export async function upsertNote(store: NoteStore, botId: number, body: string, marker: string): Promise<UpsertResult> {
  const found = await ours(store, botId, marker);
  const [mine, ...extras] = found;
  if (mine !== undefined) {
    await removeExtras(store, extras);
    if (mine.body === body) return 'unchanged';
    await store.edit(mine, body);
    return 'updated';
  }
  let failure: unknown = null;
  try {
    await store.create(body);
  } catch (error) {
    failure = error;
  }
  const after = await ours(store, botId, marker);
  const [kept, ...duplicates] = after;
  if (kept === undefined) throw translateGitlabError(failure ?? new Error('note vanished'), `create a ${store.what}`);
  await removeExtras(store, duplicates);
  if (kept.body !== body) await store.edit(kept, body);
  return 'created';
}
