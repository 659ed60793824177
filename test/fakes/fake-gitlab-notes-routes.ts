// Comment routes of the fake GitLab, after gitlabhq doc/api:
//   notes.md        GET/POST /projects/:id/merge_requests/:merge_request_iid/notes,
//                   GET/PUT/DELETE .../notes/:note_id (default order: created_at desc;
//                   only the author may edit: 403)
//   commits.md      POST/GET /projects/:id/repository/commits/:sha/comments (no edit route)
//   discussions.md  GET/POST /projects/:id/repository/commits/:commit_id/discussions,
//                   PUT/DELETE .../discussions/:discussion_id/notes/:note_id
// Commit comments and commit discussion notes are the same Note rows in GitLab, so they
// share one store here: a comment shows up as an individual_note discussion.
import { createHash } from 'node:crypto';
import { json, message, notFound, paginate, str } from './fake-gitlab-http.js';
import type { FakeRoute, Reply, RouteContext } from './fake-gitlab-http.js';
import { presentNote, presentUser, resolveRef, userById } from './fake-gitlab-state.js';
import type { FakeNote, Noteable } from './fake-gitlab-state.js';

function sameNoteable(a: Noteable, b: Noteable): boolean {
  return a.type === 'MergeRequest' ? b.type === 'MergeRequest' && a.iid === b.iid : b.type === 'Commit' && a.sha === b.sha;
}

function addNote(ctx: RouteContext, noteable: Noteable, body: string): FakeNote {
  const id = ctx.state.nextId();
  const now = ctx.state.now();
  const note: FakeNote = { id, discussionId: createHash('sha1').update(`discussion-${id}`).digest('hex'), noteable, authorId: ctx.user.id, body, createdAt: now, updatedAt: now };
  ctx.project.notes.push(note);
  return note;
}

/** notes.md: `sort` asc/desc (default desc), `order_by` created_at/updated_at (default created_at). */
function sorted(ctx: RouteContext, notes: FakeNote[]): FakeNote[] {
  const key = str(ctx.input, 'order_by') === 'updated_at' ? 'updatedAt' : 'createdAt';
  const asc = str(ctx.input, 'sort') === 'asc';
  return [...notes].sort((a, b) => (a[key] === b[key] ? a.id - b.id : a[key] < b[key] ? -1 : 1) * (asc ? 1 : -1));
}

type Found = { noteable: Noteable } | { error: Reply };

function mergeRequest(ctx: RouteContext): Found {
  const iid = Number(ctx.params['merge_request_iid']);
  return ctx.project.mergeRequests.has(iid) ? { noteable: { type: 'MergeRequest', iid } } : { error: notFound('Merge Request') };
}

function commit(ctx: RouteContext, param: string): Found {
  const c = resolveRef(ctx.project, ctx.params[param] ?? '');
  return c === undefined ? { error: notFound('Commit') } : { noteable: { type: 'Commit', sha: c.id } };
}

function findNote(ctx: RouteContext, noteable: Noteable): FakeNote | Reply {
  const id = Number(ctx.params['note_id']);
  const discussion = ctx.params['discussion_id'];
  const note = ctx.project.notes.find((n) => n.id === id && sameNoteable(n.noteable, noteable) && (discussion === undefined || n.discussionId === discussion));
  return note ?? notFound('Note');
}

function editNote(ctx: RouteContext, found: Found): Reply {
  if ('error' in found) return found.error;
  const note = findNote(ctx, found.noteable);
  if ('status' in note) return note;
  if (note.authorId !== ctx.user.id) return message(403, '403 Forbidden');
  const body = str(ctx.input, 'body');
  if (body !== undefined) {
    note.body = body;
    note.updatedAt = ctx.state.now();
  }
  return json(200, presentNote(ctx.state, ctx.project, note));
}

function deleteNote(ctx: RouteContext, found: Found): Reply {
  if ('error' in found) return found.error;
  const note = findNote(ctx, found.noteable);
  if ('status' in note) return note;
  if (note.authorId !== ctx.user.id) return message(403, '403 Forbidden');
  ctx.project.notes.splice(ctx.project.notes.indexOf(note), 1);
  return { status: 204 };
}

function createWith(ctx: RouteContext, found: Found, field: string, present: (note: FakeNote) => unknown): Reply {
  if ('error' in found) return found.error;
  const body = str(ctx.input, field);
  if (body === undefined || body === '') return { status: 400, body: { error: `${field} is missing` } };
  return json(201, present(addNote(ctx, found.noteable, body)));
}

const notesOf = (ctx: RouteContext, noteable: Noteable): FakeNote[] => ctx.project.notes.filter((n) => sameNoteable(n.noteable, noteable));

function presentComment(ctx: RouteContext, note: FakeNote): Record<string, unknown> {
  return { note: note.body, author: presentUser(userById(ctx.state, note.authorId)), created_at: note.createdAt, path: null, line: null, line_type: null };
}

export const notesRoutes: FakeRoute[] = [
  {
    method: 'GET',
    pattern: '/projects/:id/merge_requests/:merge_request_iid/notes',
    handle: (ctx) => {
      const found = mergeRequest(ctx);
      if ('error' in found) return found.error;
      return paginate(ctx, sorted(ctx, notesOf(ctx, found.noteable)), (n) => presentNote(ctx.state, ctx.project, n));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/merge_requests/:merge_request_iid/notes',
    handle: (ctx) => createWith(ctx, mergeRequest(ctx), 'body', (n) => presentNote(ctx.state, ctx.project, n)),
  },
  { method: 'PUT', pattern: '/projects/:id/merge_requests/:merge_request_iid/notes/:note_id', handle: (ctx) => editNote(ctx, mergeRequest(ctx)) },
  { method: 'DELETE', pattern: '/projects/:id/merge_requests/:merge_request_iid/notes/:note_id', handle: (ctx) => deleteNote(ctx, mergeRequest(ctx)) },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:sha/comments',
    handle: (ctx) => {
      const found = commit(ctx, 'sha');
      if ('error' in found) return found.error;
      return paginate(ctx, notesOf(ctx, found.noteable), (n) => presentComment(ctx, n));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/repository/commits/:sha/comments',
    handle: (ctx) => createWith(ctx, commit(ctx, 'sha'), 'note', (n) => presentComment(ctx, n)),
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:commit_id/discussions',
    handle: (ctx) => {
      const found = commit(ctx, 'commit_id');
      if ('error' in found) return found.error;
      // One note per discussion here: the bot never replies in threads.
      const notes = [...notesOf(ctx, found.noteable)].sort((a, b) => a.id - b.id);
      return paginate(ctx, notes, (n) => ({ id: n.discussionId, individual_note: false, notes: [presentNote(ctx.state, ctx.project, n)] }));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/repository/commits/:commit_id/discussions',
    handle: (ctx) =>
      createWith(ctx, commit(ctx, 'commit_id'), 'body', (n) => ({ id: n.discussionId, individual_note: false, notes: [presentNote(ctx.state, ctx.project, n)] })),
  },
  {
    method: 'PUT',
    pattern: '/projects/:id/repository/commits/:commit_id/discussions/:discussion_id/notes/:note_id',
    handle: (ctx) => editNote(ctx, commit(ctx, 'commit_id')),
  },
  {
    method: 'DELETE',
    pattern: '/projects/:id/repository/commits/:commit_id/discussions/:discussion_id/notes/:note_id',
    handle: (ctx) => deleteNote(ctx, commit(ctx, 'commit_id')),
  },
];
