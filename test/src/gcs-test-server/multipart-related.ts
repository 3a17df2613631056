/** One part of a multipart/related body: its headers (lower-cased names) and bytes. */
export interface BodyPart {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Splits a multipart/related body (RFC 2387), as the client sends for
 * uploadType=multipart: a JSON metadata part, then the media part. Binary-safe.
 */
export function parseMultipartRelated(contentType: string, body: Buffer): BodyPart[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) {
    throw new Error(`no boundary in content-type "${contentType}"`);
  }
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: BodyPart[] = [];
  let cursor = body.indexOf(delimiter);
  while (cursor !== -1) {
    const partStart = cursor + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') {
      break;
    }
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) {
      throw new Error('multipart body has no closing delimiter');
    }
    // The part sits between the CRLF after the delimiter and the CRLF before the next one.
    const raw = body.subarray(partStart + 2, next - 2);
    const split = raw.indexOf('\r\n\r\n');
    const head = split === -1 ? '' : raw.subarray(0, split).toString();
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n').filter(Boolean)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: raw.subarray(split === -1 ? 0 : split + 4) });
    cursor = next;
  }
  return parts;
}
