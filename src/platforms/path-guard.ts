// One guard for the names both forges put into API URLs: refs, tags, branches and file
// paths come from webhooks and repository config, and a `..` segment (or its percent-
// encoded spelling, which a server may decode after routing) could move a request to
// another endpoint. Such a name is treated as not existing, never sent.

/** An empty, `.` or `..` segment, spelled plainly or percent-encoded (`%2e%2E`). */
export function isDotSegment(value: string): boolean {
  return value === '' || /^(?:%2e|\.){1,2}$/i.test(value);
}

/** A file path any of whose `/`-separated segments is a dot segment. */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some(isDotSegment);
}
