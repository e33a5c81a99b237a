/**
 * Parsing of the federation media answer (content_repository.yaml, spec v1.11): a
 * multipart/mixed body (RFC 2046) of exactly two parts, the metadata JSON and then either
 * the content or a `Location` header naming where the content is. The body is already in
 * memory (bounded by the request's maxBytes); the content part is a view of it, not a copy.
 */

export interface MediaPart {
  /** Part headers, names in lower case. */
  headers: Record<string, string>;
  bytes: Buffer;
}

/** Thrown for anything that is not the two-part answer the spec describes. */
export class MalformedMultipartError extends Error {
  override name = 'MalformedMultipartError';
}

/** The boundary of a `multipart/mixed; boundary=...` Content-Type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\/mixed\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/**
 * Splits `body` into its parts. The preamble and epilogue are ignored (RFC 2046); a missing
 * close delimiter, a part without a header block, or more than `maxParts` parts throws.
 */
export function parseMultipart(body: Buffer, boundary: string, maxParts = 8): MediaPart[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: MediaPart[] = [];
  // The first delimiter may open the body; later ones always follow a CRLF.
  let at = body.subarray(0, delim.length).equals(delim) ? 0 : body.indexOf(`\r\n--${boundary}`);
  if (at < 0) throw new MalformedMultipartError('no boundary in the body');
  if (at > 0) at += 2;
  for (;;) {
    const after = at + delim.length;
    if (body.subarray(after, after + 2).toString('latin1') === '--') return parts;
    if (parts.length >= maxParts) throw new MalformedMultipartError('too many parts');
    const lineEnd = body.indexOf('\r\n', after);
    if (lineEnd < 0) throw new MalformedMultipartError('cut off after a boundary');
    const next = body.indexOf(`\r\n--${boundary}`, lineEnd);
    if (next < 0) throw new MalformedMultipartError('no closing boundary');
    parts.push(parsePart(body.subarray(lineEnd + 2, next)));
    at = next + 2;
  }
}

function parsePart(part: Buffer): MediaPart {
  // A part without headers starts straight with the blank line.
  const split = part.subarray(0, 2).toString('latin1') === '\r\n' ? -2 : part.indexOf('\r\n\r\n');
  if (split === -1) throw new MalformedMultipartError('a part without a header block');
  const headers: Record<string, string> = {};
  const head = split < 0 ? '' : part.subarray(0, split).toString('latin1');
  for (const line of head.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MalformedMultipartError('a malformed part header');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, bytes: part.subarray(split + 4) };
}
