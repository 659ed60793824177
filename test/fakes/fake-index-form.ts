// Raw uploads for tests of the fake index: the form twine sends (twine/repository.py
// _upload, twine/package.py metadata_dictionary), built with Node's FormData so tests
// can change or drop any field.
import { createHash } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';

export interface RawUpload {
  readonly filename: string;
  readonly content: Uint8Array;
  /** Field overrides; `null` drops the field. Digests default to the content's. */
  readonly fields?: Record<string, string | readonly string[] | null>;
  readonly auth?: { readonly username: string; readonly password: string } | null;
  readonly signal?: AbortSignal;
}

export interface RawAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
  readonly headers: Headers;
}

export function digestsOf(content: Uint8Array): { sha256: string; blake2: string; md5: string } {
  return {
    sha256: createHash('sha256').update(content).digest('hex'),
    blake2: Buffer.from(blake2b(content, { dkLen: 32 })).toString('hex'),
    md5: createHash('md5').update(content).digest('hex'),
  };
}

export function uploadForm(upload: RawUpload): FormData {
  const d = digestsOf(upload.content);
  const isSdist = !upload.filename.endsWith('.whl');
  const defaults: Record<string, string | readonly string[]> = {
    ':action': 'file_upload',
    protocol_version: '1',
    metadata_version: '2.1',
    name: 'sample-pkg',
    version: '1.2.3',
    summary: 'A tiny sample',
    requires_python: '>=3.8',
    classifiers: ['Programming Language :: Python :: 3', 'License :: OSI Approved :: MIT License'],
    filetype: isSdist ? 'sdist' : 'bdist_wheel',
    pyversion: isSdist ? 'source' : 'py3',
    sha256_digest: d.sha256,
    blake2_256_digest: d.blake2,
  };
  const merged: Record<string, string | readonly string[] | null> = { ...defaults, ...(upload.fields ?? {}) };
  const form = new FormData();
  for (const [key, value] of Object.entries(merged)) {
    if (value === null) continue;
    for (const v of typeof value === 'string' ? [value] : value) form.append(key, v);
  }
  form.append('content', new Blob([upload.content], { type: 'application/octet-stream' }), upload.filename);
  return form;
}

export function basicHeader(auth: { readonly username: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

export async function rawUpload(uploadUrl: string, upload: RawUpload): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  if (upload.auth) headers['Authorization'] = basicHeader(upload.auth);
  const init: RequestInit = { method: 'POST', body: uploadForm(upload), headers };
  if (upload.signal !== undefined) init.signal = upload.signal;
  const res = await fetch(uploadUrl, init);
  return { status: res.status, statusText: res.statusText, text: await res.text(), headers: res.headers };
}
