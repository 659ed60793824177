// A small multipart/form-data reader for the fake index (RFC 7578). It handles what
// twine (requests_toolbelt's MultipartEncoder), Node's FormData and curl send: CRLF
// line breaks, a `name` and optional `filename` in Content-Disposition, repeated
// fields. It is strict: a body it cannot read is a 400 at the caller, as it would be
// at a real index.

export interface FormFile {
  readonly filename: string;
  readonly contentType: string | null;
  readonly data: Buffer;
}

export interface ParsedForm {
  /** Every non-file field, in order, values as received (UTF-8). */
  readonly fields: Record<string, string[]>;
  /** The file parts by field name (the upload uses `content`). */
  readonly files: Record<string, FormFile>;
}

export function boundaryOf(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return null;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value.length > 0 && value.length <= 70 ? value : null;
  }
  return null;
}

/** Reads a Content-Disposition parameter; quoted values may contain `;`. */
function dispositionParam(header: string, name: string): string | null {
  const re = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${name}=([^;\\s]*)`, 'i');
  const m = re.exec(header);
  if (m === null) return null;
  const quoted = m[1];
  return quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (m[2] ?? '');
}

export function parseMultipart(body: Buffer, boundary: string): ParsedForm | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string[]> = {};
  const files: Record<string, FormFile> = {};
  let pos = body.indexOf(delimiter);
  if (pos < 0) return null;
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') return { fields, files };
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') return null;
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return null;
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return null;
    const data = body.subarray(headerEnd + 4, next);
    let disposition: string | null = null;
    let contentType: string | null = null;
    for (const line of headers) {
      const colon = line.indexOf(':');
      if (colon < 0) return null;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') disposition = value;
      else if (key === 'content-type') contentType = value;
    }
    if (disposition === null || !/^form-data\s*(;|$)/i.test(disposition)) return null;
    const name = dispositionParam(disposition, 'name');
    if (name === null) return null;
    const filename = dispositionParam(disposition, 'filename');
    if (filename !== null) files[name] = { filename, contentType, data: Buffer.from(data) };
    else (fields[name] ??= []).push(data.toString('utf8'));
    pos = next + 2;
  }
}
