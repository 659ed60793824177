import type { ReleaseRow, RepoReleases } from './release-page-data.js';

/** Every value on the page came from repositories or job data: all of it goes through here. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.state{font-weight:600}.s-completed{color:#1a7f37}.s-failed{color:#cf222e}.s-active,.s-waiting,.s-delayed,.s-prioritized{color:#9a6700}
.hint{color:#555}code{font-size:12px}ul{margin:0;padding-left:1rem}`;

function filesCell(row: ReleaseRow): string {
  if (row.files.length === 0) return row.registries.length === 0 ? '' : `to ${escapeHtml(row.registries.join(', '))}`;
  const items = row.files.map((f) => `<li><code>${escapeHtml(f.filename)}</code> → ${escapeHtml(f.registry)}: ${escapeHtml(f.outcome)} (${f.size} bytes)</li>`);
  return `<ul>${items.join('')}</ul>`;
}

function failureCell(row: ReleaseRow): string {
  const waiting = row.rateLimited === null ? '' : `<div>Rate-limited: ${escapeHtml(row.rateLimited.reason)}</div><div class="hint">Runs again at ${escapeHtml(row.rateLimited.until)} by itself, without spending an attempt.</div>`;
  if (row.failure === null) return waiting;
  const code = row.failure.code === null ? '' : `<code>${escapeHtml(row.failure.code)}</code> `;
  return `${waiting}${code}${escapeHtml(row.failure.reason)}<div class="hint">Fix: ${escapeHtml(row.failure.hint)}</div>`;
}

function rowHtml(row: ReleaseRow): string {
  const tag = row.tag === null ? '' : escapeHtml(row.tag);
  return `<tr data-job="${escapeHtml(row.jobId)}"><td>${escapeHtml(row.version)}</td><td>${tag}</td><td><code>${escapeHtml(row.sha.slice(0, 12))}</code></td>`
    + `<td class="state s-${escapeHtml(row.state)}">${escapeHtml(row.state)}</td><td>${escapeHtml(row.finishedAt ?? row.createdAt ?? '?')}</td>`
    + `<td>${filesCell(row)}</td><td>${failureCell(row)}</td></tr>`;
}

/** Server-rendered, no script: readable with JavaScript off, and nothing to inject into. */
export function renderReleasePage(groups: readonly RepoReleases[]): string {
  const body = groups.length === 0
    ? '<p>No publish jobs yet.</p>'
    : groups.map((g) => `<section><h2>${escapeHtml(g.repo)}</h2><table><thead><tr><th>Version</th><th>Tag</th><th>Commit</th><th>State</th><th>When (UTC)</th><th>Files</th><th>Failure</th></tr></thead><tbody>${g.releases.map(rowHtml).join('')}</tbody></table></section>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>pyrelease: releases</title><style>${STYLE}</style></head>`
    + `<body><h1>pyrelease: recent releases</h1><p>The newest publish jobs, per repository. <a href="releases.json">JSON</a></p>${body}</body></html>`;
}
