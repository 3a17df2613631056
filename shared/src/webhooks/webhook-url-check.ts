import { isIP } from 'node:net';
import {
  refusedAddress,
  refusedHostName,
  type WebhookAddressPolicy,
} from './webhook-address-policy.ts';

/** Every address a host name resolves to (A and AAAA), or a rejection (ENOTFOUND, ...). */
export type ResolveHost = (hostName: string) => Promise<string[]>;

export type WebhookUrlCheck =
  | { ok: true; url: URL; hostName: string; addresses: string[] }
  | { ok: false; reason: string };

export interface ParsedWebhookUrl {
  url: URL;
  /** Without IPv6 brackets. */
  hostName: string;
  /** True when the host is an IP address (no lookup will happen). */
  isAddress: boolean;
}

/**
 * The checks that need no DNS: http or https only, no credentials in the URL, a host that
 * is not refused by name, and, for an IP-address host, the address itself. WHATWG URL
 * parsing has already turned decimal, octal and hex IPv4 forms (http://2130706433/,
 * http://0177.0.0.1/, http://0x7f.1/) into dotted form and IPv6 into its canonical form, so
 * every spelling of an address is judged as the address it reaches.
 */
export function parseWebhookUrl(
  raw: string,
  policy: WebhookAddressPolicy,
): { ok: true; parsed: ParsedWebhookUrl } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'must be an http or https URL' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not contain credentials (user:password@)' };
  }
  const hostName = url.hostname.replace(/^\[|\]$/g, '');
  if (hostName === '') {
    return { ok: false, reason: 'must name a host' };
  }
  const isAddress = isIP(hostName) !== 0;
  const badName = isAddress ? null : invalidDnsName(hostName);
  if (badName !== null) {
    return { ok: false, reason: badName };
  }
  const refused = isAddress ? refusedAddress(hostName, policy) : refusedHostName(hostName, policy);
  if (refused !== null) {
    return { ok: false, reason: `is not allowed: ${refused}` };
  }
  return { ok: true, parsed: { url, hostName, isAddress } };
}

/**
 * DNS's own limits (RFC 1035 2.3.4): labels of 1 to 63 octets, 253 characters in all. The
 * WHATWG parser accepts longer ones, and getaddrinfo then fails with EINVAL rather than
 * "not found", so a name no resolver can ever answer is refused here, before any lookup.
 * `hostName` is already lower-cased and punycoded by the URL parser.
 */
function invalidDnsName(hostName: string): string | null {
  const name = hostName.endsWith('.') ? hostName.slice(0, -1) : hostName;
  const long = name.split('.').find((label) => label.length > 63);
  if (long !== undefined) {
    return `has a host name label of ${long.length} characters (DNS allows 63)`;
  }
  if (name.length > 253) {
    return `has a host name of ${name.length} characters (DNS allows 253)`;
  }
  if (name.split('.').some((label) => label.length === 0)) {
    return 'has a host name with an empty label';
  }
  return null;
}

/**
 * Every resolved address must pass: a name with one public and one private address is
 * refused (a second record is the classic way to slip past a check of the first).
 */
export function checkResolvedAddresses(
  hostName: string,
  addresses: readonly string[],
  policy: WebhookAddressPolicy,
): string | null {
  if (addresses.length === 0) {
    return `${hostName} resolves to no address`;
  }
  for (const address of addresses) {
    const refused = refusedAddress(address, policy, hostName);
    if (refused !== null) {
      return `${hostName} resolves to ${refused}`;
    }
  }
  return null;
}

/**
 * The whole check, DNS included, as the API runs it when a webhook is submitted. The worker
 * checks again when it connects (its lookup hook), so a name that changes its answers
 * later is caught then.
 */
export async function checkWebhookUrl(
  raw: string,
  policy: WebhookAddressPolicy,
  resolve: ResolveHost,
): Promise<WebhookUrlCheck> {
  const parsed = parseWebhookUrl(raw, policy);
  if (!parsed.ok) {
    return parsed;
  }
  const { url, hostName, isAddress } = parsed.parsed;
  if (isAddress) {
    return { ok: true, url, hostName, addresses: [hostName] };
  }
  const addresses = await resolve(hostName);
  const refused = checkResolvedAddresses(hostName, addresses, policy);
  if (refused !== null) {
    return { ok: false, reason: `is not allowed: ${refused}` };
  }
  return { ok: true, url, hostName, addresses };
}
