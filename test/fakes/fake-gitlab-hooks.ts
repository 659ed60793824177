// A fake GitLab for `pyrelease gitlab install`, on 127.0.0.1, kept to what gitlabhq's docs
// and code say: doc/api/personal_access_tokens.md (GET /personal_access_tokens/self, any
// scope may read itself, 400 for non-PAT tokens, 404 before 15.5), doc/api/namespaces.md
// (`plan` for Owners on GitLab.com), doc/api/group_webhooks.md (ee/lib/api/group_hooks.rb:
// Owner only; not mounted on CE, so 404 {"error":"404 Not Found"}), doc/api/project_webhooks.md
// (Maintainer), doc/api/groups.md (GET /groups/:id/projects, include_subgroups, archived),
// offset pagination headers (doc/api/rest/_index.md: x-next-page etc. and Link).
// Writes need the `api` scope, reads `api` or `read_api` (lib/api/api_guard.rb); the hook
// token is stored but never returned.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToken {
  readonly scopes: readonly string[];
  readonly active?: boolean;
  /** 'oauth' tokens cannot read /personal_access_tokens/self (400). */
  readonly type?: 'personal' | 'oauth';
  /** Owner of every group (default) or only Maintainer. */
  readonly role?: 'owner' | 'maintainer';
}

export interface FakeProject {
  readonly id: number;
  /** Full path of the group that holds it, e.g. "acme/sub". */
  readonly group: string;
  readonly path: string;
  readonly archived?: boolean;
  /** The token user is only Developer here: hooks answer 403. */
  readonly developerOnly?: boolean;
}

export interface FakeHook {
  id: number;
  token: string;
  fields: Record<string, unknown>;
}

export type GroupHookTier = 'licensed' | 'ce' | 'unlicensed-ee';

export interface FakeGitlabOptions {
  readonly tokens: Readonly<Record<string, FakeToken>>;
  readonly groups: readonly string[];
  readonly projects?: readonly FakeProject[];
  /** 'ce': route absent (404); 'unlicensed-ee': 200, hooks stored (they would never fire). */
  readonly tier?: GroupHookTier;
  /** GitLab.com plan shown to Owners on GET /namespaces/:id; undefined: no `plan` (self-managed). */
  readonly plan?: string;
  /** GitLab older than 15.5: no /personal_access_tokens/self. */
  readonly noSelfEndpoint?: boolean;
  readonly perPage?: number;
}

export interface FakeGitlab {
  readonly url: string;
  readonly groupHooks: Map<string, FakeHook[]>;
  readonly projectHooks: Map<number, FakeHook[]>;
  readonly projects: FakeProject[];
  /** Every request: "METHOD /path?query". */
  readonly requests: string[];
  writes(): number;
  close(): Promise<void>;
}

const EVENT_DEFAULTS: Record<string, unknown> = {
  push_events: true,
  tag_push_events: false,
  merge_requests_events: false,
  note_events: false,
  confidential_note_events: false,
  issues_events: false,
  confidential_issues_events: false,
  job_events: false,
  pipeline_events: false,
  wiki_page_events: false,
  deployment_events: false,
  releases_events: false,
  enable_ssl_verification: true,
  push_events_branch_filter: '',
};

export async function startFakeGitlab(options: FakeGitlabOptions): Promise<FakeGitlab> {
  const groupHooks = new Map<string, FakeHook[]>(options.groups.map((g) => [g, []]));
  const projects = [...(options.projects ?? [])];
  const projectHooks = new Map<number, FakeHook[]>();
  const requests: string[] = [];
  let nextHookId = 1;
  let writes = 0;
  let baseUrl = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(body === null ? '' : JSON.stringify(body));
  };

  const paginate = (res: ServerResponse, url: URL, items: unknown[]): void => {
    const per = Math.min(Number(url.searchParams.get('per_page') ?? 20) || 20, options.perPage ?? 100);
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const pages = Math.max(1, Math.ceil(items.length / per));
    const link = (p: number): string => {
      const u = new URL(`${baseUrl}${url.pathname}${url.search}`);
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(per));
      return u.toString();
    };
    const rels = [page < pages ? `<${link(page + 1)}>; rel="next"` : '', page > 1 ? `<${link(page - 1)}>; rel="prev"` : '', `<${link(1)}>; rel="first"`, `<${link(pages)}>; rel="last"`];
    send(res, 200, items.slice((page - 1) * per, page * per), {
      'x-page': String(page),
      'x-per-page': String(per),
      'x-next-page': page < pages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-total': String(items.length),
      'x-total-pages': String(pages),
      Link: rels.filter((r) => r !== '').join(', '),
    });
  };

  const hookView = (hook: FakeHook): Record<string, unknown> => ({ id: hook.id, ...hook.fields });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const method = req.method ?? 'GET';
    requests.push(`${method} ${url.pathname}${url.search}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');

    const secret = req.headers['private-token'];
    const token = typeof secret === 'string' ? options.tokens[secret] : undefined;
    if (token === undefined || token.active === false) return send(res, 401, { message: '401 Unauthorized' });
    const path = url.pathname.replace(/^\/api\/v4/, '');

    if (path === '/personal_access_tokens/self' && method === 'GET') {
      if (options.noSelfEndpoint) return send(res, 404, { error: '404 Not Found' });
      if (token.type === 'oauth') return send(res, 400, { message: '400 Bad request - This endpoint requires token type to be a personal access token' });
      return send(res, 200, { id: 7, name: 'pyrelease', revoked: false, scopes: token.scopes, active: true, expires_at: null });
    }
    const isWrite = method !== 'GET';
    const allowed = isWrite ? ['api'] : ['api', 'read_api'];
    if (!token.scopes.some((s) => allowed.includes(s))) {
      return send(res, 403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: allowed.join(' ') });
    }
    const owner = (token.role ?? 'owner') === 'owner';

    let m = /^\/namespaces\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const full = decodeURIComponent(m[1] ?? '');
      if (!options.groups.includes(full)) return send(res, 404, { message: '404 Namespace Not Found' });
      const body: Record<string, unknown> = { id: options.groups.indexOf(full) + 1, kind: 'group', full_path: full };
      if (options.plan !== undefined && owner) body['plan'] = options.plan;
      return send(res, 200, body);
    }

    m = /^\/groups\/([^/]+)\/projects$/.exec(path);
    if (m && method === 'GET') {
      const full = decodeURIComponent(m[1] ?? '');
      if (!options.groups.includes(full)) return send(res, 404, { message: '404 Group Not Found' });
      const deep = url.searchParams.get('include_subgroups') === 'true';
      const archived = url.searchParams.get('archived');
      const list = projects
        .filter((p) => p.group === full || (deep && p.group.startsWith(`${full}/`)))
        .filter((p) => archived === null || String(p.archived ?? false) === archived)
        .map((p) => ({ id: p.id, path_with_namespace: `${p.group}/${p.path}`, archived: p.archived ?? false }));
      return paginate(res, url, list);
    }

    m = /^\/(groups|projects)\/([^/]+)\/hooks(?:\/(\d+))?$/.exec(path);
    if (m) {
      let hooks: FakeHook[] | undefined;
      const owned: Record<string, unknown> = {};
      if (m[1] === 'groups') {
        if (options.tier === 'ce') return send(res, 404, { error: '404 Not Found' });
        const full = decodeURIComponent(m[2] ?? '');
        hooks = groupHooks.get(full);
        if (hooks === undefined) return send(res, 404, { message: '404 Group Not Found' });
        if (!owner) return send(res, 403, { message: '403 Forbidden' });
        owned['group_id'] = options.groups.indexOf(full) + 1;
      } else {
        const project = projects.find((p) => String(p.id) === decodeURIComponent(m?.[2] ?? ''));
        if (project === undefined) return send(res, 404, { message: '404 Project Not Found' });
        if (project.developerOnly) return send(res, 403, { message: '403 Forbidden' });
        hooks = projectHooks.get(project.id) ?? [];
        projectHooks.set(project.id, hooks);
        owned['project_id'] = project.id;
      }
      const hookId = m[3] === undefined ? null : Number(m[3]);
      const hook = hookId === null ? undefined : hooks.find((h) => h.id === hookId);
      if (hookId !== null && hook === undefined) return send(res, 404, { message: '404 Not found' });
      if (method === 'GET') return hook === undefined ? paginate(res, url, hooks.map(hookView)) : send(res, 200, hookView(hook));
      const body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
      const { token: hookToken, ...fields } = body;
      if (method === 'POST' && hook === undefined) {
        if (typeof fields['url'] !== 'string' || !/^https?:\/\//.test(fields['url'])) return send(res, 400, { error: 'url is missing' });
        writes += 1;
        const created: FakeHook = { id: nextHookId++, token: typeof hookToken === 'string' ? hookToken : '', fields: { ...EVENT_DEFAULTS, ...owned, ...fields, created_at: '2026-01-01T00:00:00Z' } };
        hooks.push(created);
        return send(res, 201, hookView(created));
      }
      if (method === 'PUT' && hook !== undefined) {
        writes += 1;
        // group_webhooks.md: changing the URL resets the secret token.
        if (fields['url'] !== undefined && fields['url'] !== hook.fields['url']) hook.token = '';
        Object.assign(hook.fields, fields);
        if (typeof hookToken === 'string') hook.token = hookToken;
        return send(res, 200, hookView(hook));
      }
      if (method === 'DELETE' && hook !== undefined) {
        writes += 1;
        hooks.splice(hooks.indexOf(hook), 1);
        return send(res, 204, null);
      }
      return send(res, 405, { error: '405 Method Not Allowed' });
    }
    return send(res, 404, { error: '404 Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: '500 Internal Server Error' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    groupHooks,
    projectHooks,
    projects,
    requests,
    writes: () => writes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
