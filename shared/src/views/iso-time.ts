/** Times in API views and webhook payloads: RFC 3339 in UTC with milliseconds. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
