// The few GitLab REST endpoints `pyrelease gitlab install` needs, over plain fetch so that
// status codes, pagination headers and error bodies are seen exactly as GitLab sends them
// (@gitbeaker/rest would retry 429/502 up to ten times and hide the 403 body).
// Endpoints (gitlabhq/gitlabhq doc/api): personal_access_tokens.md (GET .../self),
// namespaces.md, group_webhooks.md, project_webhooks.md, groups.md (GET /groups/:id/projects).

/** Expected failures are values: `status` 0 means the server could not be reached. */
export type ApiResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly insufficientScope: boolean };

export type HookTarget = { readonly kind: 'group'; readonly id: string } | { readonly kind: 'project'; readonly id: number };

/** A hook as GitLab lists it. The secret `token` is write-only: never returned. */
export interface GitlabHook {
  readonly id: number;
  readonly url: string;
  readonly [field: string]: unknown;
}

/** What create and edit send (group_webhooks.md "Add a group hook" / project_webhooks.md). */
export interface HookSettings {
  readonly url: string;
  readonly token: string;
  readonly push_events: boolean;
  readonly tag_push_events: boolean;
  readonly merge_requests_events: boolean;
  readonly note_events: boolean;
  readonly releases_events: boolean;
  readonly enable_ssl_verification: boolean;
}

export interface TokenInfo {
  readonly scopes: readonly string[];
  readonly active: boolean;
  readonly name: string;
}

export interface GroupProject {
  readonly id: number;
  readonly path: string;
  readonly archived: boolean;
}

export interface HookApi {
  tokenSelf(): Promise<ApiResult<TokenInfo>>;
  /** The namespace's plan name; `null` when GitLab does not say (self-managed, or not Owner). */
  namespacePlan(group: string): Promise<ApiResult<string | null>>;
  listHooks(target: HookTarget): Promise<ApiResult<GitlabHook[]>>;
  createHook(target: HookTarget, settings: HookSettings): Promise<ApiResult<GitlabHook>>;
  updateHook(target: HookTarget, hookId: number, settings: HookSettings): Promise<ApiResult<GitlabHook>>;
  deleteHook(target: HookTarget, hookId: number): Promise<ApiResult<null>>;
  /** Every non-archived project of the group and its subgroups, all pages. */
  listGroupProjects(group: string): Promise<ApiResult<GroupProject[]>>;
}

export interface HookApiOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly perPage?: number;
  readonly fetch?: typeof fetch;
}

const MAX_PAGES = 1000;

export function gitlabHookApi(options: HookApiOptions): HookApi {
  const api = `${options.baseUrl.replace(/\/+$/, '')}/api/v4`;
  const doFetch = options.fetch ?? fetch;
  const perPage = options.perPage ?? 100;

  async function call(method: string, path: string, body?: unknown): Promise<ApiResult<{ json: unknown; headers: Headers }>> {
    const headers: Record<string, string> = { 'PRIVATE-TOKEN': options.token, Accept: 'application/json' };
    const init: RequestInit = { method, headers, redirect: 'error' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await doFetch(`${api}${path}`, init);
    } catch (error) {
      return { ok: false, status: 0, message: `cannot reach ${options.baseUrl}: ${(error as Error).message}`, insufficientScope: false };
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    if (res.ok) return { ok: true, value: { json, headers: res.headers } };
    return { ok: false, status: res.status, message: errorText(res.status, json), insufficientScope: isInsufficientScope(json) };
  }

  async function all<T>(path: string, map: (item: Record<string, unknown>) => T): Promise<ApiResult<T[]>> {
    const items: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    let page: string | null = '1';
    for (let n = 0; page !== null && n < MAX_PAGES; n += 1) {
      const r = await call('GET', `${path}${sep}per_page=${perPage}&page=${encodeURIComponent(page)}`);
      if (!r.ok) return r;
      if (!Array.isArray(r.value.json)) return { ok: false, status: 200, message: 'GitLab answered with something other than a list', insufficientScope: false };
      for (const item of r.value.json as Record<string, unknown>[]) items.push(map(item));
      page = nextPage(r.value.headers);
    }
    return { ok: true, value: items };
  }

  const hooksPath = (t: HookTarget): string =>
    t.kind === 'group' ? `/groups/${encodeURIComponent(t.id)}/hooks` : `/projects/${t.id}/hooks`;

  return {
    async tokenSelf() {
      const r = await call('GET', '/personal_access_tokens/self');
      if (!r.ok) return r;
      const j = (r.value.json ?? {}) as Record<string, unknown>;
      const scopes = Array.isArray(j['scopes']) ? j['scopes'].filter((s): s is string => typeof s === 'string') : [];
      return { ok: true, value: { scopes, active: j['active'] !== false && j['revoked'] !== true, name: typeof j['name'] === 'string' ? j['name'] : '' } };
    },
    async namespacePlan(group) {
      const r = await call('GET', `/namespaces/${encodeURIComponent(group)}`);
      if (!r.ok) return r;
      const plan = ((r.value.json ?? {}) as Record<string, unknown>)['plan'];
      return { ok: true, value: typeof plan === 'string' ? plan : null };
    },
    listHooks: (target) => all(hooksPath(target), (h) => h as unknown as GitlabHook),
    async createHook(target, settings) {
      const r = await call('POST', hooksPath(target), settings);
      return r.ok ? { ok: true, value: r.value.json as GitlabHook } : r;
    },
    async updateHook(target, hookId, settings) {
      const r = await call('PUT', `${hooksPath(target)}/${hookId}`, settings);
      return r.ok ? { ok: true, value: r.value.json as GitlabHook } : r;
    },
    async deleteHook(target, hookId) {
      const r = await call('DELETE', `${hooksPath(target)}/${hookId}`);
      return r.ok ? { ok: true, value: null } : r;
    },
    listGroupProjects: (group) =>
      // archived=false filters on the server; the caller still skips any archived entry.
      all(`/groups/${encodeURIComponent(group)}/projects?include_subgroups=true&with_shared=false&archived=false&simple=true`, (p) => ({
        id: Number(p['id']),
        path: typeof p['path_with_namespace'] === 'string' ? p['path_with_namespace'] : String(p['id']),
        archived: p['archived'] === true,
      })),
  };
}

/**
 * GitLab's offset pagination sends `x-next-page` (empty on the last page) and a `Link`
 * header. Only the page number is taken from either: the next request goes to the
 * configured GitLab URL, never to a URL taken from a response.
 */
export function nextPage(headers: Headers): string | null {
  const next = headers.get('x-next-page');
  if (next !== null) return /^\d+$/.test(next.trim()) ? next.trim() : null;
  const link = headers.get('link');
  if (link === null) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1] === undefined) continue;
    const page = /[?&]page=(\d+)/.exec(m[1]);
    return page?.[1] ?? null;
  }
  return null;
}

/** 403 bodies for a token without the needed scope (lib/api/api_guard.rb, InsufficientScopeError). */
function isInsufficientScope(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as Record<string, unknown>)['error'] === 'insufficient_scope';
}

function errorText(status: number, json: unknown): string {
  if (typeof json === 'object' && json !== null) {
    const j = json as Record<string, unknown>;
    const m = j['message'] ?? j['error_description'] ?? j['error'];
    if (typeof m === 'string') return m;
    if (m !== undefined) return JSON.stringify(m);
  }
  return `HTTP ${status}`;
}
