// Prints .env.example from the one declaration of the settings in src/config.ts, so the
// example cannot drift from what the service reads (a test compares the two).
// Usage: npm run build && node scripts/env-example.mjs > .env.example
import { SETTINGS } from '../dist/config.js';

function defaultOf(schema) {
  const result = schema.safeParse(undefined);
  if (!result.success || result.data === undefined) return null;
  return Array.isArray(result.data) ? result.data.join(',') : String(result.data);
}

const lines = [
  '# pyrelease settings, for docker compose (env_file) or any environment.',
  '# Generated from src/config.ts by scripts/env-example.mjs: do not edit by hand.',
  '# cp .env.example .env, then fill in what you use. Secrets are left empty here;',
  '# other settings are commented out at their default, so the image\'s own values',
  '# (PYRELEASE_DATA_DIR, PORT) are not overridden by accident. An empty value means',
  '# the default, too.',
];
for (const s of Object.values(SETTINGS)) {
  const fallback = defaultOf(s.schema);
  lines.push('', `# ${s.description}${s.secret ? ' Secret.' : ''}`);
  lines.push(s.secret ? `${s.env}=` : `# ${s.env}=${fallback ?? ''}`);
}
console.log(lines.join('\n'));
