import { createHash } from 'node:crypto';
import { AppError, TagConflictError } from '../errors.js';
import { createRegistrySession } from './oci-auth.js';
import type { RegistryCredentials, RegistrySession } from './oci-auth.js';
import { MAX_MANIFEST_BYTES, readCapped, statusError } from './oci-http.js';
import type { FetchFn, HttpContext } from './oci-http.js';

/**
 * Gives an image that is already in a registry a second tag, the way `crane tag` and
 * `regctl image copy` do within one repository: read the manifest's exact bytes, then PUT
 * the same bytes with the same Content-Type under the new tag. No layer moves, so the
 * digest stays the same and the tag names the very image the pipeline built.
 *
 * Idempotent: a target tag already at the same digest is 'exists'. A target tag at another
 * digest is a TagConflictError ('tag-conflict') unless `force`: release tags are never
 * moved silently, for images as for git tags.
 */
export interface RetagRequest {
  /** Base URL of the registry, e.g. https://registry.gitlab.com or http://127.0.0.1:5000. */
  readonly registry: string;
  readonly repository: string;
  readonly sourceTag: string;
  readonly targetTag: string;
  readonly credentials: RegistryCredentials;
  /** Move a target tag that names another image. */
  readonly force?: boolean;
  /** For the whole copy, every request included (default 30 s). */
  readonly timeoutMs?: number;
  readonly fetch?: FetchFn;
}

export interface RetagResult {
  readonly outcome: 'copied' | 'exists';
  readonly digest: string;
  readonly mediaType: string;
}

/**
 * Image indexes first, so a multi-platform image is copied whole. Schema 1 is left out on
 * purpose: its signed manifests embed the tag name, so a byte copy under another tag is
 * not valid, and registries have stopped serving it.
 */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

// The distribution spec's grammar for <name> and <reference> (a tag).
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const DEFAULT_TIMEOUT_MS = 30_000;
const ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

function invalid(message: string, field: string): AppError {
  return new AppError('config-invalid', message, { details: { field } });
}

function registryBase(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('the container registry is not a URL', 'registry');
  }
  const plain = url.username === '' && url.password === '' && url.search === '' && url.hash === '' && url.pathname === '/';
  if (!(url.protocol === 'https:' || url.protocol === 'http:') || !plain) {
    // The API lives at /v2/ on the registry's root; credentials belong in `credentials`.
    throw invalid('the container registry must be an http(s) URL with no path, query or user info', 'registry');
  }
  return url;
}

export function isValidRepositoryName(name: string): boolean {
  return name.length <= 255 && REPOSITORY.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

function digestOf(bytes: Buffer, algorithm: 'sha256' | 'sha512'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Whether `digest` (as a registry reports it) is the digest of `bytes`. */
function sameContent(bytes: Buffer, digest: string): boolean {
  return DIGEST.test(digest) && digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256') === digest;
}

function mediaTypeOf(contentType: string | null, bytes: Buffer): string | null {
  const fromHeader = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (fromHeader !== '') return fromHeader;
  try {
    const field = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown } | null)?.mediaType;
    return typeof field === 'string' ? field : null;
  } catch {
    return null;
  }
}

interface Manifest {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly mediaType: string;
  readonly digest: string;
}

async function getManifest(session: RegistrySession, url: URL, action: string): Promise<Manifest> {
  const response = await session.request(url, { method: 'GET', headers: { accept: ACCEPT } }, action);
  if (response.status !== 200) throw await statusError(response, url, action);
  const bytes = await readCapped(response, MAX_MANIFEST_BYTES, action);
  const header = response.headers.get('content-type');
  const mediaType = mediaTypeOf(header, bytes);
  if (mediaType === null || !(MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw new AppError('forge-refused', `container registry ${url.host}: ${action}: unsupported manifest media type ${JSON.stringify(mediaType)}`, {
      details: { action, mediaType },
    });
  }
  const reported = response.headers.get('docker-content-digest')?.trim() ?? null;
  if (reported !== null && !sameContent(bytes, reported)) {
    throw new AppError('forge-refused', `container registry ${url.host}: ${action}: the manifest does not hash to the digest the registry reported`, {
      details: { action, reported },
    });
  }
  return { bytes, contentType: header ?? mediaType, mediaType, digest: reported ?? digestOf(bytes, 'sha256') };
}

/** The digest the target tag names now, or null when the tag does not exist. */
async function currentDigest(session: RegistrySession, url: URL): Promise<{ digest: string; bytes: Buffer | null } | null> {
  const response = await session.request(url, { method: 'HEAD', headers: { accept: ACCEPT } }, 'head target manifest');
  if (response.status === 404) return null;
  if (response.status !== 200) throw await statusError(response, url, 'head target manifest');
  const reported = response.headers.get('docker-content-digest')?.trim() ?? '';
  if (DIGEST.test(reported)) return { digest: reported, bytes: null };
  // Digest header is optional in the OCI spec: hash the manifest itself.
  const manifest = await getManifest(session, url, 'get target manifest');
  return { digest: manifest.digest, bytes: manifest.bytes };
}

export async function retagImage(req: RetagRequest): Promise<RetagResult> {
  const base = registryBase(req.registry);
  if (!isValidRepositoryName(req.repository)) throw invalid(`${JSON.stringify(req.repository)} is not a valid repository name`, 'repository');
  for (const [field, tag] of [['sourceTag', req.sourceTag], ['targetTag', req.targetTag]] as const) {
    if (!isValidTag(tag)) throw invalid(`${JSON.stringify(tag)} is not a valid image tag`, field);
  }
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ctx: HttpContext = { fetch: req.fetch ?? fetch, signal: AbortSignal.timeout(timeoutMs), timeoutMs };
  const session = createRegistrySession(ctx, base, req.repository, req.credentials);
  const manifestUrl = (tag: string): URL => new URL(`/v2/${req.repository}/manifests/${tag}`, base);

  const source = await getManifest(session, manifestUrl(req.sourceTag), 'get source manifest');
  const result = { digest: source.digest, mediaType: source.mediaType };
  const target = manifestUrl(req.targetTag);
  const existing = await currentDigest(session, target);
  if (existing !== null) {
    const same = existing.bytes !== null ? existing.bytes.equals(source.bytes) : sameContent(source.bytes, existing.digest);
    if (same) return { outcome: 'exists', ...result };
    if (req.force !== true) throw new TagConflictError(`${req.repository}:${req.targetTag}`, existing.digest, source.digest);
  }

  const put = await session.request(target, { method: 'PUT', headers: { 'content-type': source.contentType }, body: source.bytes }, 'put target manifest');
  if (put.status !== 201) throw await statusError(put, target, 'put target manifest');
  await put.body?.cancel();
  const stored = put.headers.get('docker-content-digest')?.trim() ?? null;
  if (stored !== null && !sameContent(source.bytes, stored)) {
    throw new AppError('forge-refused', `container registry ${target.host}: the registry stored the manifest under digest ${stored}, not ${source.digest}`, {
      details: { action: 'put target manifest', stored, wanted: source.digest },
    });
  }
  return { outcome: 'copied', ...result };
}
