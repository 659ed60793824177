import { parseArgs } from 'node:util';
import { gitlabHookApi } from '../platforms/gitlab/install-api.js';
import type { HookApi } from '../platforms/gitlab/install-api.js';
import { HOOK_EVENTS, installGitlabHooks, uninstallGitlabHooks } from '../platforms/gitlab/install.js';
import type { InstallLevel, InstallReport, TargetResult } from '../platforms/gitlab/install.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './io.js';
import type { CliIo } from './io.js';

export const GITLAB_USAGE = `usage: pyrelease gitlab install   --group GROUP --webhook-url URL [--url GITLAB_URL] [--level auto|group|project] [--reset-token] [--dry-run]
       pyrelease gitlab uninstall --group GROUP --webhook-url URL [--url GITLAB_URL] [--dry-run]

Installs the service's webhook on a GitLab group: one group hook where the tier has group
webhooks (Premium/Ultimate), else a project hook on every non-archived project of the group
and its subgroups (run it again to cover projects created since). Events: ${HOOK_EVENTS.join(', ')};
SSL verification on; the hook's secret token is the first GITLAB_WEBHOOK_SECRET.
Running it twice changes nothing. uninstall removes every group and project hook with the URL.

  --group GROUP        group ID or full path (e.g. acme/python)
  --webhook-url URL    where GitLab sends events, e.g. https://bot.example.com/webhooks/gitlab
  --url GITLAB_URL     GitLab instance (default: GITLAB_URL, else https://gitlab.com)
  --level LEVEL        auto (default), group or project. A self-managed GitLab EE without a
                       licence accepts group hooks but never fires them: use --level project there.
  --reset-token        rewrite the secret on existing hooks (GitLab never shows it, so a
                       changed GITLAB_WEBHOOK_SECRET cannot be detected)
  --dry-run            print what would change, write nothing

Environment:
  GITLAB_TOKEN             personal, group or project access token with the "api" scope
                           (read_api or write_repository are not enough), from a user with the
                           Owner role on the group (group hooks) or Maintainer on each project
  GITLAB_WEBHOOK_SECRET    comma-separated secrets; the first is installed
  GITLAB_URL               GitLab instance when --url is not given

Exit status: 0 when every hook is in place, 1 when any failed or the token was refused,
2 on usage errors.
`;

const DEFAULT_GITLAB_URL = 'https://gitlab.com';
const LEVELS: readonly InstallLevel[] = ['auto', 'group', 'project'];

/** `makeApi` lets tests count or break requests; the default talks to GitLab with fetch. */
export async function gitlabCommand(
  args: readonly string[],
  io: CliIo,
  makeApi: (baseUrl: string, token: string) => HookApi = (baseUrl, token) => gitlabHookApi({ baseUrl, token }),
): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'install' && action !== 'uninstall') {
    io.err(`pyrelease gitlab: expected "install" or "uninstall"\n\n${GITLAB_USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      group: { type: 'string' },
      'webhook-url': { type: 'string' },
      url: { type: 'string' },
      level: { type: 'string', default: 'auto' },
      'reset-token': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const usage = (message: string): number => {
    io.err(`pyrelease gitlab ${action}: ${message}\n\n${GITLAB_USAGE}`);
    return EXIT_USAGE;
  };
  if (positionals.length > 0) return usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.group === undefined || values.group === '') return usage('--group is required');
  const hookUrl = values['webhook-url'];
  if (hookUrl === undefined || !isHttpUrl(hookUrl)) return usage('--webhook-url must be an http(s) URL');
  const baseUrl = values.url ?? nonEmpty(io.env['GITLAB_URL']) ?? DEFAULT_GITLAB_URL;
  if (!isHttpUrl(baseUrl)) return usage('--url / GITLAB_URL must be an http(s) URL');
  const level = values.level as InstallLevel;
  if (!LEVELS.includes(level)) return usage('--level must be auto, group or project');
  if (action === 'uninstall' && (values.level !== 'auto' || values['reset-token'])) return usage('--level and --reset-token apply to install only');

  const token = nonEmpty(io.env['GITLAB_TOKEN']);
  if (token === undefined) return usage('GITLAB_TOKEN is not set');
  const secret = (io.env['GITLAB_WEBHOOK_SECRET'] ?? '').split(',')[0]?.trim() ?? '';
  if (action === 'install' && secret === '') return usage('GITLAB_WEBHOOK_SECRET is not set: every hook needs a secret token');

  const api = makeApi(baseUrl, token);
  const dryRun = values['dry-run'];
  const report =
    action === 'install'
      ? await installGitlabHooks(api, { group: values.group, webhookUrl: hookUrl, secret, dryRun, level, resetToken: values['reset-token'] })
      : await uninstallGitlabHooks(api, { group: values.group, webhookUrl: hookUrl, dryRun });

  // Neither secret is ever expected in GitLab's answers; redact anyway, since error texts are echoed.
  const clean = (text: string): string => redact(text, [token, secret]);
  if (!report.ok) {
    io.err(clean(`pyrelease gitlab ${action}: ${report.refusal ?? 'refused'}\n`));
    return EXIT_INVALID;
  }
  io.out(clean(render(report, hookUrl)));
  return report.results.some((r) => r.outcome === 'failed') ? EXIT_INVALID : EXIT_OK;
}

export function render(report: InstallReport, hookUrl: string): string {
  const lines: string[] = [];
  if (report.dryRun) lines.push('dry run: nothing is written');
  for (const note of report.notes) lines.push(`note: ${note}`);
  if (report.level !== null) lines.push(`webhook ${hookUrl} at ${report.level} level`);
  for (const r of report.results) lines.push(line(r, report.dryRun));
  const counts = new Map<string, number>();
  for (const r of report.results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  lines.push(report.results.length === 0 ? 'no projects to hook' : `summary: ${summary}`);
  if (!report.dryRun && report.results.length > 0 && report.results.every((r) => r.outcome === 'unchanged' || r.outcome === 'absent')) {
    lines.push('nothing changed');
  }
  return lines.join('\n') + '\n';
}

function line(r: TargetResult, dryRun: boolean): string {
  const verb = dryRun && (r.outcome === 'created' || r.outcome === 'updated' || r.outcome === 'deleted') ? `would be ${r.outcome}` : r.outcome;
  const detail = r.detail === undefined ? '' : r.outcome === 'updated' ? ` (${r.detail})` : `: ${r.detail}`;
  return `${r.kind} ${r.path}: ${verb}${detail}`;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[REDACTED]');
  return out;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
