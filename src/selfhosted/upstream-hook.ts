import { NULL_SHA, releaseSchema, tagPushSchema } from '../platforms/gitlab/payloads.js';

/**
 * The push path: a Release Hook (action create) or a Tag Push Hook from the configured
 * upstream project -> the upstream tag, else null. The receiver has authenticated the
 * request already; this only says whether it is an upstream release. The project is
 * compared by path (case-insensitively, as GitLab routes) or numeric id, never trusted
 * from anything else in the payload.
 */
export function releaseFromUpstreamHook(eventHeader: string, payload: unknown, upstream: { readonly project: string }): string | null {
  if (eventHeader === 'Release Hook') {
    const r = releaseSchema.safeParse(payload);
    if (!r.success) return null;
    const action = r.data.action ?? r.data.object_attributes?.action;
    if (action !== 'create' || !isUpstream(r.data.project, upstream.project)) return null;
    return r.data.tag;
  }
  if (eventHeader === 'Tag Push Hook') {
    const t = tagPushSchema.safeParse(payload);
    if (!t.success || NULL_SHA.test(t.data.after) || !t.data.ref.startsWith('refs/tags/')) return null;
    if (!isUpstream(t.data.project, upstream.project)) return null;
    const tag = t.data.ref.slice('refs/tags/'.length);
    return tag === '' ? null : tag;
  }
  return null;
}

function isUpstream(project: { id: number; path_with_namespace: string }, configured: string): boolean {
  return /^\d+$/.test(configured) ? String(project.id) === configured : project.path_with_namespace.toLowerCase() === configured.toLowerCase();
}
