import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Mapping URL paths to files under a root directory, refusing anything that would leave it. */

export type Resolved = { file: string } | { status: 400 | 403 | 404; reason: string };

/**
 * The file that `urlPath` (the part of a URL path below the root's prefix, still percent-encoded) names under
 * `root`. Refuses encoded separators, `.` and `..` segments, NUL bytes, and names that reach outside the root
 * through a symbolic link; directories are not listed.
 */
export function resolveInside(root: string, urlPath: string): Resolved {
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, reason: 'bad percent-encoding' };
    }
    if (segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return { status: 403, reason: 'path leaves the served directory' };
    segments.push(segment);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { status: 404, reason: 'not found' };
  }
  const candidate = path.join(realRoot, ...segments);
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { status: 404, reason: 'not found' };
  }
  const relative = path.relative(realRoot, real);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return { status: 403, reason: 'path leaves the served directory' };
  if (!statSync(real).isFile()) return { status: 404, reason: 'not a file' };
  return { file: real };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
