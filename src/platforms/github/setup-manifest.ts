/**
 * The pure half of the manifest flow (GitHub docs, "Registering a GitHub App from a
 * manifest"): the manifest to post, where to post it, and the local page that posts it.
 */
export interface ManifestInput {
  /** app.yml, parsed: name, description, public, default_events, default_permissions, ... */
  readonly appYml: Readonly<Record<string, unknown>>;
  readonly webhookUrl: string;
  /** Where GitHub sends the browser back with `code` (our local page). */
  readonly redirectUrl: string;
  readonly name?: string | undefined;
  readonly homepageUrl?: string | undefined;
}

const ORG = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/**
 * app.yml with our hook and redirect. Unlike Probot's ManifestCreation, `public` stays
 * false unless app.yml says otherwise (Probot writes `public: manifest.public || true`),
 * and the homepage defaults to the origin of the webhook URL rather than package.json.
 */
export function buildManifest(input: ManifestInput): Record<string, unknown> {
  const yml = input.appYml;
  const homepage = input.homepageUrl ?? (typeof yml['url'] === 'string' ? yml['url'] : new URL(input.webhookUrl).origin);
  return {
    ...yml,
    name: input.name ?? yml['name'] ?? 'pyrelease',
    url: homepage,
    public: yml['public'] === true,
    hook_attributes: { url: input.webhookUrl, active: true },
    redirect_url: input.redirectUrl,
  };
}

/** `${web}/settings/apps/new` for a personal App, `${web}/organizations/ORG/settings/apps/new` for an organisation's; null for a bad org name. */
export function createAppUrl(webUrl: string, org: string | null, state: string): string | null {
  if (org !== null && !ORG.test(org)) return null;
  const path = org === null ? '/settings/apps/new' : `/organizations/${org}/settings/apps/new`;
  const url = new URL(path, webUrl);
  url.searchParams.set('state', state);
  return url.toString();
}

/**
 * A page whose one button POSTs the manifest to GitHub (a form field named `manifest`,
 * as GitHub's docs show). No script; the page is served with a CSP that allows only the
 * form's target.
 */
export function manifestPage(actionUrl: string, manifest: Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>pyrelease: create the GitHub App</title></head>
<body>
<h1>Create the pyrelease GitHub App</h1>
<p>GitHub will ask you to confirm the App's name, permissions and events, then send you back here.</p>
<form action="${escapeHtml(actionUrl)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Create the GitHub App on ${escapeHtml(new URL(actionUrl).host)}</button>
</form>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
