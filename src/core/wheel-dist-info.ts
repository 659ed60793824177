// Where a wheel's metadata must be, by its file name, as pypi.org decides it:
// pypi/warehouse warehouse/forklift/legacy.py at commit
// 11bd7a925ad2620ad146aae2073dbb3361c508e4. `_is_valid_dist_file` splits the file
// name with `name, version, _ = os.path.basename(filename).split("-", 2)` and refuses
// the upload unless `{name}-{version}.dist-info/WHEEL` is in the zip ("WHEEL not found
// at ..."); `file_upload` then reads `{name}-{version}.dist-info/METADATA` from the same
// place ("Wheel '...' does not contain the required METADATA file"). The name and
// version are the file name's own spelling, not normalized: the spec writes both the
// file name and the directory with the same escaped name and normalized version.

/** Python's str.split("-", 2): at most three parts. */
function splitTwice(s: string): string[] {
  const first = s.indexOf('-');
  if (first < 0) return [s];
  const second = s.indexOf('-', first + 1);
  if (second < 0) return [s.slice(0, first), s.slice(first + 1)];
  return [s.slice(0, first), s.slice(first + 1, second), s.slice(second + 1)];
}

/** `{name}-{version}.dist-info` for a wheel file name; null when it has fewer than three dash-separated parts. */
export function wheelDistInfoDir(filename: string): string | null {
  const parts = splitTwice(filename);
  if (parts.length < 3) return null;
  return `${parts[0]}-${parts[1]}.dist-info`;
}
