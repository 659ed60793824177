// A small multipart/form-data parser for tests: enough to read what twine and our client
// send (RFC 7578), strict enough to notice a malformed body.

export interface MultipartPart {
  readonly name: string;
  readonly filename: string | null;
  readonly contentType: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const boundary = m?.[1] ?? m?.[2];
  if (boundary === undefined || !/^multipart\/form-data/i.test(contentType ?? '')) {
    throw new Error(`not multipart/form-data: ${String(contentType)}`);
  }
  return boundary;
}

function param(header: string, key: string): string | null {
  const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header);
  return m?.[1] === undefined ? null : m[1].replace(/\\(.)/g, '$1');
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos !== 0) throw new Error('body does not start with the boundary');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return parts;
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') throw new Error(`no CRLF after boundary at ${pos}`);
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error('unterminated part headers');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`bad part header ${JSON.stringify(line)}`);
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('unterminated part');
    const disposition = headers['content-disposition'] ?? '';
    const name = param(disposition, 'name');
    if (!/^form-data/i.test(disposition) || name === null) throw new Error(`bad disposition ${disposition}`);
    parts.push({
      name,
      filename: param(disposition, 'filename'),
      contentType: headers['content-type'] ?? null,
      headers,
      data: body.subarray(headerEnd + 4, next),
    });
    pos = next + 2;
  }
}

/** The text fields as [name, value] pairs in order; file parts left out. */
export function textFields(parts: readonly MultipartPart[]): Array<[string, string]> {
  return parts.filter((p) => p.filename === null).map((p) => [p.name, p.data.toString('utf8')]);
}
