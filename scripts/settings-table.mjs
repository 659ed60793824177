// Prints the README's server settings table from the one declaration in src/config.ts.
// Usage: npm run build && node scripts/settings-table.mjs
import { SETTINGS } from '../dist/config.js';

function defaultOf(schema) {
  const result = schema.safeParse(undefined);
  if (!result.success || result.data === undefined) return '(unset)';
  return `\`${String(result.data)}\``;
}

const rows = Object.values(SETTINGS).map((s) => `| \`${s.env}\` | ${defaultOf(s.schema)} | ${s.description}${s.secret ? ' Secret: shown masked.' : ''} |`);
console.log(['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n'));
