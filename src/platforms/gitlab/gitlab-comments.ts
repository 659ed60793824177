import type { UpsertOptions, UpsertResult } from '../platform.js';
import { upsertOwnComment } from '../own-comment.js';
import type { CommentStore } from '../own-comment.js';
import { gitlabStatus, translateGitlabError } from './gitlab-errors.js';

/** A GitLab note: merge request notes, or commit notes edited through their discussion (doc/api/discussions.md). */
export interface StoredNote {
  readonly id: number;
  readonly body: string;
  readonly authorId: number;
  readonly discussionId?: string;
}

export type NoteStore = CommentStore<StoredNote>;

/** Ours = written by the bot user (and starting with the marker; see own-comment.ts). */
export function upsertNote(store: NoteStore, botId: number, body: string, marker: string, options: UpsertOptions = {}): Promise<UpsertResult> {
  return upsertOwnComment(
    store,
    { isOurs: (n) => n.authorId === botId, translate: translateGitlabError, isGone: (error) => gitlabStatus(error) === 404 },
    body,
    marker,
    options,
  );
}
