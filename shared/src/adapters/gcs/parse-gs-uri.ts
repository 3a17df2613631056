/** gs://bucket/some/prefix → { bucket, prefix } (prefix without surrounding slashes). */
export function parseGsUri(uri: string): { bucket: string; prefix: string } {
  const match = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match?.[1]) {
    throw new Error(`expected gs://bucket/prefix, got "${uri}"`);
  }
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
