import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Pushes a tiny but complete image to a registry through the distribution API, the way
 * `docker push` does (monolithic upload: POST /blobs/uploads/, then PUT ?digest=), so
 * that the real registry validates it (it refuses manifests whose blobs it lacks).
 */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface PushTarget {
  readonly registry: string;
  readonly repository: string;
  /** A ready Authorization header value, when the registry wants one. */
  readonly authorization?: string;
}

export interface PushedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly bytes: Buffer;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function headers(target: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  return target.authorization === undefined ? extra : { ...extra, authorization: target.authorization };
}

/** A one-file ustar archive: a 512-byte header, the content padded to 512, two zero blocks. */
export function tinyTar(name: string, content: string): Buffer {
  const data = Buffer.from(content, 'utf8');
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number): void => void header.write(value, offset, length, 'ascii');
  field(name, 0, 100);
  field('0000644\0', 100, 8);
  field('0000000\0', 108, 8);
  field('0000000\0', 116, 8);
  field(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  field('00000000000\0', 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0' + '00', 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return Buffer.concat([header, padded, Buffer.alloc(1024)]);
}

export async function pushBlob(target: PushTarget, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await fetch(new URL(`/v2/${target.repository}/blobs/uploads/`, target.registry), { method: 'POST', headers: headers(target) });
  if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location') ?? '', target.registry);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: headers(target, { 'content-type': 'application/octet-stream' }), body: bytes });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${await put.text()}`);
  return digest;
}

export async function pushManifest(target: PushTarget, tag: string, mediaType: string, body: unknown): Promise<PushedManifest> {
  const bytes = Buffer.from(JSON.stringify(body, null, 3), 'utf8');
  const url = new URL(`/v2/${target.repository}/manifests/${tag}`, target.registry);
  const put = await fetch(url, { method: 'PUT', headers: headers(target, { 'content-type': mediaType }), body: bytes });
  if (put.status !== 201) throw new Error(`manifest ${tag}: HTTP ${put.status} ${await put.text()}`);
  return { digest: sha256(bytes), mediaType, size: bytes.length, bytes };
}

/** A Docker v2 schema 2 image whose one layer holds `content`: other content, other digest. */
export async function pushImage(target: PushTarget, tag: string, content: string): Promise<PushedManifest> {
  const tar = tinyTar('release.txt', content);
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
  const configDigest = await pushBlob(target, config);
  const layerDigest = await pushBlob(target, layer);
  return pushManifest(target, tag, DOCKER_MANIFEST, {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
  });
}

/** An OCI image index naming one already pushed manifest, as a multi-platform build makes. */
export async function pushIndex(target: PushTarget, tag: string, child: PushedManifest): Promise<PushedManifest> {
  return pushManifest(target, tag, OCI_INDEX, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ mediaType: child.mediaType, size: child.size, digest: child.digest, platform: { architecture: 'amd64', os: 'linux' } }],
  });
}

/** The digest a tag resolves to now (HEAD, every manifest type accepted), or null. */
export async function resolveTag(target: PushTarget, tag: string): Promise<string | null> {
  const accept = [OCI_INDEX, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', DOCKER_MANIFEST].join(', ');
  const res = await fetch(new URL(`/v2/${target.repository}/manifests/${tag}`, target.registry), { method: 'HEAD', headers: headers(target, { accept }) });
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`resolve ${tag}: HTTP ${res.status}`);
  return res.headers.get('docker-content-digest');
}
