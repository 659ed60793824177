// Core metadata (a wheel's METADATA, an sdist's PKG-INFO) read the way twine 6.2 reads
// it: packaging.metadata.parse_email over Python's email.parser with the compat32
// policy. We copy the parser's quirks rather than "fixing" them, so that what we upload
// is what twine would upload for the same file.

export interface CoreMetadata {
  /** Header names lower-cased, in order of first appearance; each value list in file order. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /**
   * The long description: the message body when it is not empty (Metadata-Version 2.1
   * and later put it there), otherwise the `Description` header, kept as the email
   * parser returns it (continuation lines and their `        |` prefix included).
   */
  readonly description: string | null;
  /** The message body after the first blank line, or null when empty. */
  readonly body: string | null;
}

// feedparser.headerRE: a header line, a continuation line or an mbox "From " line.
const HEADER_LINE = /^(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])/;
// Python's email module splits lines on \r\n, \r and \n alike and keeps the endings.
const LINES = /[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g;

function splitLinesKeepEnds(text: string): string[] {
  return text.match(LINES) ?? [];
}

function isBlank(line: string): boolean {
  return line === '\n' || line === '\r' || line === '\r\n';
}

/** compat32 header_source_parse: first line left-stripped of blanks, continuations verbatim. */
function headerValue(sourceLines: readonly string[]): string {
  const first = sourceLines[0] ?? '';
  const afterColon = first.slice(first.indexOf(':') + 1).replace(/^[ \t]+/, '');
  return (afterColon + sourceLines.slice(1).join('')).replace(/[\r\n]+$/, '');
}

export function parseCoreMetadata(text: string): CoreMetadata {
  const lines = splitLinesKeepEnds(text);
  const headerLines: string[] = [];
  let bodyStart = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!HEADER_LINE.test(line)) {
      // The blank separator is dropped; any other non-header line already belongs to the
      // body (MissingHeaderBodySeparatorDefect in Python, not an error).
      bodyStart = isBlank(line) ? i + 1 : i;
      break;
    }
    headerLines.push(line);
  }

  const fields = new Map<string, string[]>();
  let current: string[] | null = null;
  const flush = (): void => {
    if (current === null) return;
    const first = current[0] ?? '';
    const name = first.slice(0, first.indexOf(':')).toLowerCase();
    const values = fields.get(name);
    if (values === undefined) fields.set(name, [headerValue(current)]);
    else values.push(headerValue(current));
    current = null;
  };
  for (const line of headerLines) {
    if (line.startsWith('From ')) {
      // An mbox envelope line: the unix-from on the first line, a defect elsewhere;
      // either way not a header.
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // A continuation before any header is a defect that Python drops.
      if (current !== null) current.push(line);
      continue;
    }
    flush();
    // A line starting with ':' has an empty name: InvalidHeaderDefect, skipped.
    if (line.indexOf(':') > 0) current = [line];
  }
  flush();

  const bodyText = lines.slice(bodyStart).join('');
  const body = bodyText === '' ? null : bodyText;
  const header = fields.get('description')?.[0] ?? null;
  return { fields, description: body ?? header, body };
}

/** The single value of a field, or null when it is absent. Repeats are the caller's to check. */
export function firstValue(metadata: CoreMetadata, name: string): string | null {
  return metadata.fields.get(name.toLowerCase())?.[0] ?? null;
}
