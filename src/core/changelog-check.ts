import { changelogEntry, changelogFormat, changelogLines, versionHeadings } from './changelog-entry.js';
import type { VersionHeading } from './changelog-entry.js';
import { finding, quote } from './findings.js';
import type { Finding } from './findings.js';
import type { RepoConfig } from './repo-config.js';

/**
 * `require-changelog`: a change request that changes the version must add that version's
 * entry to the changelog. Plain facts in (the changelog's text as the head has it, or
 * where it was looked for), findings out; the service reads the file
 * (service/changelog-source.ts).
 */
export type ChangelogFact =
  | { readonly kind: 'found'; readonly file: string; readonly text: string }
  /** No changelog: `configured` is the `changelog` key's path, or null when pyrelease looked for the usual names. */
  | { readonly kind: 'absent'; readonly configured: string | null }
  | { readonly kind: 'unreadable'; readonly file: string; readonly reason: string };

/** Where pyrelease looks for a changelog when the config names none, in this order. */
export const CHANGELOG_NAMES: readonly string[] = ['CHANGELOG.md', 'CHANGES.md', 'CHANGES.rst', 'NEWS.md', 'NEWS.rst', 'HISTORY.md', 'CHANGELOG.rst', 'HISTORY.rst'];

/** `[1.2.0](https://…)` -> `[1.2.0]`, `` `v1.2.0 <https://…>`__ `` -> `v1.2.0`: a heading short enough to quote. */
function withoutLinks(title: string): string {
  let out = title;
  const md = out.indexOf('](');
  if (md >= 0) {
    const close = out.indexOf(')', md);
    if (close > md) out = out.slice(0, md + 1) + out.slice(close + 1);
  }
  const lt = out.indexOf(' <');
  const gt = out.indexOf('>`_', lt);
  if (out.startsWith('`') && lt > 0 && gt > lt) {
    let end = gt + 3;
    while (out[end] === '_') end++;
    out = out.slice(1, lt) + out.slice(end);
  }
  return out;
}

function isoDateAt(s: string, i: number): boolean {
  const d = (k: number): boolean => s[i + k] !== undefined && s[i + k]! >= '0' && s[i + k]! <= '9';
  return d(0) && d(1) && d(2) && d(3) && s[i + 4] === '-' && d(5) && d(6) && s[i + 7] === '-' && d(8) && d(9);
}

/** The heading to add for `version`, in the style of the changelog's latest version heading. */
export function suggestedHeading(latest: VersionHeading | undefined, version: string, markdown: boolean): string {
  if (latest === undefined) return markdown ? `## ${version}` : `${version}`;
  const bare = latest.version.replace(/^[vV]/, '');
  let title = withoutLinks(latest.title).split(bare).join(version);
  for (let i = 0; i + 10 <= title.length; i++) if (isoDateAt(title, i)) title = `${title.slice(0, i)}YYYY-MM-DD${title.slice(i + 10)}`;
  return latest.adornment === null ? `${'#'.repeat(latest.level)} ${title}` : title;
}

function headingFix(file: string, fact: string | null, version: string): string {
  const markdown = changelogFormat(file, fact === null ? [] : changelogLines(fact)) === 'markdown';
  const headings = fact === null ? [] : versionHeadings(fact, file);
  const latest = headings[0];
  const heading = suggestedHeading(latest, version, markdown);
  const underline = latest?.adornment ?? (markdown ? null : '=');
  const what = underline === null ? `the heading ${quote(heading)}` : `the heading ${quote(heading)} underlined with ${quote(underline.repeat(Math.max(3, heading.length)))}`;
  const where = latest === undefined ? '' : `, above ${quote(withoutLinks(latest.title))}`;
  return `Add ${what} to ${quote(file)}${where}, with what changed in ${quote(version)}.`;
}

/** The findings for the head's version; none unless the config sets require-changelog. */
export function changelogFindings(version: string, config: RepoConfig, fact: ChangelogFact | undefined): Finding[] {
  if (!config.requireChangelog || fact === undefined) return [];
  if (fact.kind === 'found') {
    if (changelogEntry(fact.text, fact.file, version) !== null) return [];
    const message = `${quote(fact.file)} has no entry for ${quote(version)}, and this repository requires one for every version (require-changelog).`;
    return [finding('changelog-entry-missing', 'error', message, headingFix(fact.file, fact.text, version), 'require-changelog')];
  }
  if (fact.kind === 'unreadable') {
    return [finding('changelog-entry-missing', 'error', `The changelog ${quote(fact.file)} could not be read (${fact.reason}), and this repository requires an entry for ${quote(version)} (require-changelog).`, null, 'require-changelog')];
  }
  if (fact.configured !== null) {
    const message = `The changelog ${quote(fact.configured)} that \`changelog\` names does not exist, and this repository requires an entry for ${quote(version)} (require-changelog).`;
    return [finding('changelog-entry-missing', 'error', message, `${headingFix(fact.configured, null, version)} Or correct \`changelog\` in the pyrelease config.`, 'changelog')];
  }
  const looked = CHANGELOG_NAMES.join(', ');
  const message = `No changelog was found (looked for ${looked}, at the top level and in docs/), and this repository requires an entry for ${quote(version)} (require-changelog).`;
  return [finding('changelog-entry-missing', 'error', message, `${headingFix('CHANGELOG.md', null, version)} Or name your changelog with the \`changelog\` key.`, 'require-changelog')];
}
