import { lookup } from 'node:dns/promises';
import type { ResolveHost } from './webhook-url-check.ts';

/**
 * The operating system's resolver (getaddrinfo, as http.request itself would use), every
 * address of both families, in the order the system gives them.
 */
export const systemResolver: ResolveHost = async (hostName) => {
  const records = await lookup(hostName, { all: true, order: 'verbatim' });
  return records.map((record) => record.address);
};
