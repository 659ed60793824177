// The form fields of a legacy upload ("file_upload", protocol 1), as twine 6.2 builds
// them: twine/package.py PackageFile.metadata_dictionary() (packaging.metadata.parse_email,
// renamed through _RAW_TO_PACKAGE_METADATA, name replaced by _safe_name, None omitted)
// and twine/repository.py _convert_metadata_to_list_of_tuples() + _upload() (lists
// flattened one field per value, project_urls as "label, url", keywords joined with
// ", ", then ":action" and "protocol_version", then the `content` file part).
//
// Order: twine 6.2 walks packaging's `frozenset(parsed.keys())`, so its field order
// changes with PYTHONHASHSEED from one run to the next; no index depends on it. We send a
// fixed order instead: twine 4.0.2's metadata_dictionary() order (which 6.2 replaced),
// with the fields 6.2 added put beside their relatives. Repeated fields keep file order.
import { compareVersions, isPythonSpace, parseVersion } from '../core/pep440.js';
import type { DistInfo } from './inspect.js';

/** Where each field comes from: a core metadata header (lower-cased) or the file itself. */
type Source =
  | { readonly header: string; readonly many?: true; readonly minMetadataVersion?: string }
  | { readonly computed: 'name' | 'filetype' | 'pyversion' | 'description' | 'keywords' | 'project_urls' | 'sha256' | 'blake2' };

const FIELDS: ReadonlyArray<readonly [string, Source]> = [
  ['name', { computed: 'name' }],
  ['version', { header: 'version' }],
  ['filetype', { computed: 'filetype' }],
  ['pyversion', { computed: 'pyversion' }],
  ['metadata_version', { header: 'metadata-version' }],
  ['summary', { header: 'summary' }],
  ['home_page', { header: 'home-page' }],
  ['author', { header: 'author' }],
  ['author_email', { header: 'author-email' }],
  ['maintainer', { header: 'maintainer' }],
  ['maintainer_email', { header: 'maintainer-email' }],
  ['license', { header: 'license' }],
  ['license_expression', { header: 'license-expression' }],
  // twine 6.2 drops License-File below Metadata-Version 2.4: setuptools wrote it into
  // 2.1 metadata with other semantics than PEP 639's.
  ['license_file', { header: 'license-file', many: true, minMetadataVersion: '2.4' }],
  ['description', { computed: 'description' }],
  ['keywords', { computed: 'keywords' }],
  ['platform', { header: 'platform', many: true }],
  ['classifiers', { header: 'classifier', many: true }],
  ['download_url', { header: 'download-url' }],
  ['supported_platform', { header: 'supported-platform', many: true }],
  // twine's `comment` would come here; we never send one (twine omits a None comment).
  ['sha256_digest', { computed: 'sha256' }],
  ['provides', { header: 'provides', many: true }],
  ['requires', { header: 'requires', many: true }],
  ['obsoletes', { header: 'obsoletes', many: true }],
  ['project_urls', { computed: 'project_urls' }],
  ['provides_dist', { header: 'provides-dist', many: true }],
  ['obsoletes_dist', { header: 'obsoletes-dist', many: true }],
  ['requires_dist', { header: 'requires-dist', many: true }],
  ['requires_external', { header: 'requires-external', many: true }],
  ['requires_python', { header: 'requires-python' }],
  ['provides_extra', { header: 'provides-extra', many: true }],
  ['description_content_type', { header: 'description-content-type' }],
  ['dynamic', { header: 'dynamic', many: true }],
  // md5_digest: twine 6.2 no longer sends it (pypa/twine#1262); PyPI ignores it.
  ['blake2_256_digest', { computed: 'blake2' }],
];

/** Python's str.strip() (Unicode whitespace as Python defines it, not JS's trim()). */
export function pythonStrip(s: string): string {
  const cps = [...s];
  let start = 0;
  let end = cps.length;
  while (start < end && isPythonSpace(cps[start]?.codePointAt(0) ?? 0)) start++;
  while (end > start && isPythonSpace(cps[end - 1]?.codePointAt(0) ?? 0)) end--;
  return cps.slice(start, end).join('');
}

/** twine's _safe_name (pkg_resources.safe_name): runs of anything but [A-Za-z0-9.] become "-". */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9.]+/g, '-');
}

/** packaging's _parse_keywords, then twine's ", ".join(). */
export function formKeywords(value: string): string {
  return value.split(',').map(pythonStrip).join(', ');
}

/** packaging's _parse_project_urls (label and URL split at the first comma, stripped), then twine's "label, url". */
export function formProjectUrl(value: string): string {
  const comma = value.indexOf(',');
  const label = pythonStrip(comma < 0 ? value : value.slice(0, comma));
  const url = comma < 0 ? '' : pythonStrip(value.slice(comma + 1));
  return `${label}, ${url}`;
}

/** twine: Version(meta.get("metadata_version", "0")) < Version(minimum). */
function metadataVersionBelow(info: DistInfo, minimum: string): boolean {
  const mv = parseVersion(info.metadata.fields.get('metadata-version')?.[0] ?? '0');
  const min = parseVersion(minimum);
  return mv === null || min === null || compareVersions(mv, min) < 0;
}

function computed(kind: Extract<Source, { computed: string }>['computed'], info: DistInfo): string[] {
  const fields = info.metadata.fields;
  switch (kind) {
    case 'name':
      return [safeName(info.name)];
    case 'filetype':
      return [info.filetype];
    case 'pyversion':
      return [info.pyversion];
    case 'description':
      return info.metadata.description === null ? [] : [info.metadata.description];
    case 'keywords': {
      // packaging parses Keywords only when it appears once (checks refuse repeats).
      const k = fields.get('keywords')?.[0];
      return k === undefined ? [] : [formKeywords(k)];
    }
    case 'project_urls':
      return (fields.get('project-url') ?? []).map(formProjectUrl);
    case 'sha256':
      return [info.sha256];
    case 'blake2':
      return [info.blake2_256];
  }
}

/**
 * Every field of the upload form except the `content` file part, in sending order.
 * Run checkDistribution first: for metadata that twine would refuse (a repeated
 * single-use field, a description both in a header and in the body) the first value is
 * used here.
 */
export function uploadFields(info: DistInfo, options: { attestations?: never } = {}): Array<[string, string]> {
  void options; // Attestations (PEP 740) are not supported yet; the option keeps the signature stable.
  const out: Array<[string, string]> = [];
  for (const [field, source] of FIELDS) {
    let values: readonly string[];
    if ('computed' in source) values = computed(source.computed, info);
    else if (source.minMetadataVersion !== undefined && metadataVersionBelow(info, source.minMetadataVersion)) values = [];
    else {
      const all = info.metadata.fields.get(source.header) ?? [];
      values = source.many === true ? all : all.slice(0, 1);
    }
    for (const value of values) out.push([field, value]);
  }
  out.push([':action', 'file_upload'], ['protocol_version', '1']);
  return out;
}
