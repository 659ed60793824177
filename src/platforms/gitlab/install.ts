import type { ApiResult, GitlabHook, HookApi, HookSettings, HookTarget } from './install-api.js';

/**
 * Installs the bot's webhook on a GitLab group, idempotently: one group hook where the
 * tier has group webhooks (Premium/Ultimate, gitlabhq doc/api/group_webhooks.md), else one
 * project hook on every non-archived project of the group and its subgroups.
 *
 * What GitLab answers without group webhooks (read in gitlabhq's code, not guessed):
 * - Community Edition does not mount ee/lib/api/group_hooks.rb at all: 404 {"error":"404 Not Found"}.
 * - EE without the licence (Free) answers 200 and even creates the hook: the API checks only
 *   admin_web_hook (group Owner), but Project#execute_hooks runs group hooks only when
 *   `feature_available?(:group_webhooks)`. Such a hook never fires. On GitLab.com the
 *   namespace's `plan` (GET /namespaces/:id, shown to Owners) tells Free apart; a
 *   self-managed EE without a licence reports no plan, so `level: 'project'` exists.
 * - 403 when the user is not an Owner of the group (a Maintainer may still add project hooks).
 */

export type InstallLevel = 'auto' | 'group' | 'project';
export type Outcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent' | 'failed';

export interface TargetResult {
  readonly kind: 'group' | 'project';
  readonly path: string;
  readonly outcome: Outcome;
  /** Fields that differed (updated), or why it failed. */
  readonly detail?: string;
}

export interface InstallReport {
  /** false: refused before any write (bad token, missing scope, unknown group). */
  readonly ok: boolean;
  readonly refusal?: string;
  readonly level: 'group' | 'project' | null;
  /** Why project hooks were used, or other things worth telling the operator. */
  readonly notes: readonly string[];
  readonly results: readonly TargetResult[];
  readonly dryRun: boolean;
}

export interface InstallOptions {
  readonly group: string;
  readonly webhookUrl: string;
  readonly secret: string;
  readonly dryRun?: boolean;
  readonly level?: InstallLevel;
  /** The hook token is write-only in GitLab, so drift cannot be seen: rewrite it on every hook. */
  readonly resetToken?: boolean;
}

/** The events the service handles (src/core/events.ts) and the Release Hook for upstream tags. */
export const HOOK_EVENTS = ['push_events', 'tag_push_events', 'merge_requests_events', 'note_events', 'releases_events'] as const;

export const REQUIRED_SCOPE = 'api';

export function hookSettings(url: string, secret: string): HookSettings {
  return {
    url,
    token: secret,
    push_events: true,
    tag_push_events: true,
    merge_requests_events: true,
    note_events: true,
    releases_events: true,
    enable_ssl_verification: true,
  };
}

/** Visible fields that differ from what we want (the token cannot be read back). */
export function hookDrift(hook: GitlabHook): string[] {
  const want = hookSettings(hook.url, '');
  const fields = [...HOOK_EVENTS, 'enable_ssl_verification'] as const;
  return fields.filter((f) => hook[f] !== want[f]);
}

export type Preflight = { readonly ok: true; readonly notes: string[] } | { readonly ok: false; readonly refusal: string };

/** Refuses early, with the scope named, instead of failing on the first write. */
export async function checkToken(api: HookApi): Promise<Preflight> {
  const self = await api.tokenSelf();
  if (self.ok) {
    if (!self.value.active) return { ok: false, refusal: 'GITLAB_TOKEN is revoked or expired.' };
    if (!self.value.scopes.includes(REQUIRED_SCOPE)) {
      const has = self.value.scopes.length > 0 ? self.value.scopes.join(', ') : 'none';
      return {
        ok: false,
        refusal: `GITLAB_TOKEN lacks the "${REQUIRED_SCOPE}" scope (it has: ${has}). Webhooks, notes, tags and commit statuses are written through the REST API, which needs "${REQUIRED_SCOPE}"; read_api and write_repository are not enough.`,
      };
    }
    return { ok: true, notes: [] };
  }
  if (self.status === 401) return { ok: false, refusal: unauthorized() };
  // 404: GitLab older than 15.5; 400: not a personal/group/project access token (OAuth).
  if (self.status === 404 || self.status === 400) {
    return { ok: true, notes: [`could not read the token's scopes (HTTP ${self.status}); a missing "${REQUIRED_SCOPE}" scope will show as 403 on the first write`] };
  }
  return { ok: false, refusal: `could not check GITLAB_TOKEN: ${describe(self)}` };
}

export async function installGitlabHooks(api: HookApi, options: InstallOptions): Promise<InstallReport> {
  const dryRun = options.dryRun ?? false;
  const pre = await checkToken(api);
  if (!pre.ok) return refused(pre.refusal, dryRun);
  const notes = [...pre.notes];
  const plan = await api.namespacePlan(options.group);
  if (!plan.ok) return refused(groupFailure(options.group, plan), dryRun);

  const level = options.level ?? 'auto';
  const want = hookSettings(options.webhookUrl, options.secret);
  if (level !== 'project' && !(level === 'auto' && plan.value === 'free')) {
    const group: HookTarget = { kind: 'group', id: options.group };
    const hooks = await api.listHooks(group);
    if (hooks.ok) {
      const result = await ensureHook(api, group, options.group, hooks.value, want, options.resetToken ?? false, dryRun);
      return { ok: true, level: 'group', notes, results: [result], dryRun };
    }
    if (hooks.insufficientScope || hooks.status === 401) return refused(translate(hooks), dryRun);
    if (level === 'group' || (hooks.status !== 404 && hooks.status !== 403)) {
      return { ok: true, level: 'group', notes, results: [{ kind: 'group', path: options.group, outcome: 'failed', detail: translate(hooks) }], dryRun };
    }
    notes.push(
      hooks.status === 404
        ? 'the group hooks endpoint answered 404: this GitLab has no group webhooks (Community Edition or Free); using project hooks'
        : 'the group hooks endpoint answered 403 (group webhooks need the Owner role); using project hooks',
    );
  } else if (level === 'auto') {
    notes.push('the group is on the Free plan, where group webhooks never fire; using project hooks');
  }

  const projects = await api.listGroupProjects(options.group);
  if (!projects.ok) return refused(groupFailure(options.group, projects), dryRun);
  const results: TargetResult[] = [];
  for (const project of projects.value) {
    if (project.archived) continue;
    const target: HookTarget = { kind: 'project', id: project.id };
    const hooks = await api.listHooks(target);
    results.push(
      hooks.ok
        ? await ensureHook(api, target, project.path, hooks.value, want, options.resetToken ?? false, dryRun)
        : { kind: 'project', path: project.path, outcome: 'failed', detail: translate(hooks) },
    );
  }
  return { ok: true, level: 'project', notes, results, dryRun };
}

async function ensureHook(
  api: HookApi,
  target: HookTarget,
  path: string,
  hooks: readonly GitlabHook[],
  want: HookSettings,
  resetToken: boolean,
  dryRun: boolean,
): Promise<TargetResult> {
  const existing = hooks.find((h) => h.url === want.url);
  if (existing === undefined) {
    if (dryRun) return { kind: target.kind, path, outcome: 'created' };
    const r = await api.createHook(target, want);
    return r.ok ? { kind: target.kind, path, outcome: 'created' } : { kind: target.kind, path, outcome: 'failed', detail: translate(r) };
  }
  const drift = hookDrift(existing);
  if (resetToken) drift.push('token');
  if (drift.length === 0) return { kind: target.kind, path, outcome: 'unchanged' };
  const detail = drift.join(', ');
  if (dryRun) return { kind: target.kind, path, outcome: 'updated', detail };
  const r = await api.updateHook(target, existing.id, want);
  return r.ok ? { kind: target.kind, path, outcome: 'updated', detail } : { kind: target.kind, path, outcome: 'failed', detail: translate(r) };
}

/** Removes every hook with the URL, at group level (where the endpoint exists) and on every project. */
export async function uninstallGitlabHooks(api: HookApi, options: Omit<InstallOptions, 'secret' | 'level' | 'resetToken'>): Promise<InstallReport> {
  const dryRun = options.dryRun ?? false;
  const pre = await checkToken(api);
  if (!pre.ok) return refused(pre.refusal, dryRun);
  const found = await api.namespacePlan(options.group);
  if (!found.ok) return refused(groupFailure(options.group, found), dryRun);
  const results: TargetResult[] = [];
  const notes = [...pre.notes];
  const group: HookTarget = { kind: 'group', id: options.group };
  const groupHooks = await api.listHooks(group);
  if (groupHooks.ok) results.push(...(await removeHooks(api, group, options.group, groupHooks.value, options.webhookUrl, dryRun)));
  else if (groupHooks.insufficientScope || groupHooks.status === 401) return refused(translate(groupHooks), dryRun);
  else if (groupHooks.status === 404 || groupHooks.status === 403) notes.push(`group hooks not available (HTTP ${groupHooks.status}); checked project hooks only`);
  else results.push({ kind: 'group', path: options.group, outcome: 'failed', detail: translate(groupHooks) });

  const projects = await api.listGroupProjects(options.group);
  if (!projects.ok) return refused(groupFailure(options.group, projects), dryRun);
  for (const project of projects.value) {
    if (project.archived) continue;
    const target: HookTarget = { kind: 'project', id: project.id };
    const hooks = await api.listHooks(target);
    if (!hooks.ok) results.push({ kind: 'project', path: project.path, outcome: 'failed', detail: translate(hooks) });
    else results.push(...(await removeHooks(api, target, project.path, hooks.value, options.webhookUrl, dryRun)));
  }
  return { ok: true, level: null, notes, results, dryRun };
}

async function removeHooks(api: HookApi, target: HookTarget, path: string, hooks: readonly GitlabHook[], url: string, dryRun: boolean): Promise<TargetResult[]> {
  const mine = hooks.filter((h) => h.url === url);
  if (mine.length === 0) return [{ kind: target.kind, path, outcome: 'absent' }];
  const out: TargetResult[] = [];
  for (const hook of mine) {
    const r = dryRun ? null : await api.deleteHook(target, hook.id);
    // DELETE is idempotent in GitLab's docs, but a hook deleted meanwhile answers 404: it is gone either way.
    if (r === null || r.ok || r.status === 404) out.push({ kind: target.kind, path, outcome: 'deleted' });
    else out.push({ kind: target.kind, path, outcome: 'failed', detail: translate(r) });
  }
  return out;
}

function refused(refusal: string, dryRun: boolean): InstallReport {
  return { ok: false, refusal, level: null, notes: [], results: [], dryRun };
}

function unauthorized(): string {
  return 'GitLab refused GITLAB_TOKEN (401 Unauthorized): it is wrong, expired or revoked.';
}

function groupFailure(group: string, r: ApiResult<unknown> & { ok: false }): string {
  if (r.status === 404) return `group ${JSON.stringify(group)} not found, or the token cannot see it (404)`;
  return translate(r);
}

/** One place where GitLab's answers become words for the operator. */
export function translate(r: ApiResult<unknown> & { ok: false }): string {
  if (r.status === 401) return unauthorized();
  if (r.insufficientScope) return `GITLAB_TOKEN lacks the "${REQUIRED_SCOPE}" scope (403 insufficient_scope)`;
  if (r.status === 403) return `forbidden (403): group hooks need the Owner role, project hooks the Maintainer role`;
  return describe(r);
}

function describe(r: ApiResult<unknown> & { ok: false }): string {
  return r.status === 0 ? r.message : `HTTP ${r.status}: ${r.message}`;
}
