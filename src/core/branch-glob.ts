type GlobToken = '*' | '**' | { readonly char: string };

/**
 * Branch globs as in the config: `*` stays within one path segment, `**` crosses them.
 * Matched by dynamic programming, not a RegExp, so that a pattern like `a*a*a*a*` from a
 * hostile config cannot backtrack for ages: O(pattern x branch) at worst.
 */
export function globMatch(pattern: string, branch: string): boolean {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') {
      const double = pattern[i + 1] === '*';
      tokens.push(double ? '**' : '*');
      if (double) while (pattern[i + 1] === '*') i++;
    } else tokens.push({ char: pattern[i] ?? '' });
  }
  // next[j]: tokens[t+1..] match branch[j..]; built from the last token backwards.
  let next: boolean[] = Array.from({ length: branch.length + 1 }, (_, j) => j === branch.length);
  for (let t = tokens.length - 1; t >= 0; t--) {
    const token = tokens[t];
    const cur: boolean[] = new Array<boolean>(branch.length + 1).fill(false);
    for (let j = branch.length; j >= 0; j--) {
      if (token === '*' || token === '**') {
        const c = branch[j];
        cur[j] = (next[j] ?? false) || (c !== undefined && (token === '**' || c !== '/') && (cur[j + 1] ?? false));
      } else {
        cur[j] = branch[j] === token?.char && (next[j + 1] ?? false);
      }
    }
    next = cur;
  }
  return next[0] ?? false;
}
