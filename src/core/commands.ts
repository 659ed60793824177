/**
 * Commands people type in change-request comments. Both forges' mappers read them, so
 * they live here once.
 */
export const RECHECK_COMMAND = '/pyrelease check';

/** `/pyrelease check`, alone or followed by whitespace and anything (`/pyrelease check please`). */
export function isRecheckCommand(body: string): boolean {
  const text = body.trim();
  if (!text.startsWith(RECHECK_COMMAND)) return false;
  const next = text.charAt(RECHECK_COMMAND.length);
  return next === '' || /\s/.test(next);
}
