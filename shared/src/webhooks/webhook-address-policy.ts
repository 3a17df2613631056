import ipaddr from 'ipaddr.js';

/**
 * Which network addresses a webhook may reach: the SSRF guard's rules. The API is on the
 * internet and the worker sits inside a cloud network, so a caller-supplied URL must not
 * become a way to reach the service's own network, the metadata server or the host.
 *
 * An address is allowed when it is ordinary public unicast (ipaddr.js range "unicast").
 * Refused: loopback, private (RFC 1918), link-local (169.254/16, fe80::/10), carrier-grade
 * NAT (100.64/10), unique-local IPv6 (fc00::/7), unspecified (0.0.0.0, ::), broadcast,
 * multicast, reserved and documentation ranges, IPv4-compatible (::/96) and translated forms
 * (NAT64 64:ff9b::/96, 6to4, Teredo). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is
 * judged as the IPv4 address it carries.
 *
 * Configuration relaxes this for local development and tests:
 * - allowPrivate (WEBHOOK_ALLOW_PRIVATE=true): loopback, private, CGNAT and unique-local too;
 * - allowHosts (WEBHOOK_ALLOW_HOSTS): host names, addresses and CIDR ranges allowed as
 *   they are; the word `loopback` stands for 127.0.0.0/8, ::1 and localhost.
 * The metadata server (169.254.169.254, fd00:ec2::254, metadata.google.internal), unspecified,
 * broadcast and multicast addresses are refused whatever the configuration says.
 */
export interface WebhookAddressPolicy {
  readonly allowPrivate: boolean;
  /** Lower-case host names without a trailing dot. */
  readonly allowHostNames: ReadonlySet<string>;
  readonly allowRanges: readonly AddressRange[];
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type AddressRange = [Address, number];

const privateRanges = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);
const neverRanges = new Set(['unspecified', 'broadcast', 'multicast']);
const metadataAddresses = ['169.254.169.254', 'fd00:ec2::254'].map((a) => ipaddr.parse(a));
/** Names that reach the metadata server or this host without DNS. */
const metadataNames = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);
const ipv4Compatible = ipaddr.parseCIDR('::/96');

export const loopbackAllowEntries = ['127.0.0.0/8', '::1/128', 'localhost'] as const;

export const strictAddressPolicy: WebhookAddressPolicy = {
  allowPrivate: false,
  allowHostNames: new Set(),
  allowRanges: [],
};

/**
 * The policy a process was configured with (WEBHOOK_ALLOW_HOSTS, WEBHOOK_ALLOW_PRIVATE):
 * the one builder every main uses. `whenUnset` stands in for WEBHOOK_ALLOW_HOSTS when it
 * is not set: nothing for the API and worker mains (strict, as in production), loopback
 * for `npm start` (a receiver on the developer's machine).
 */
export function configuredWebhookPolicy(
  settings: { readonly allowHosts: readonly string[] | null; readonly allowPrivate: boolean },
  whenUnset: readonly string[] = [],
): WebhookAddressPolicy {
  return webhookAddressPolicy({
    allowHosts: settings.allowHosts ?? whenUnset,
    allowPrivate: settings.allowPrivate,
  });
}

/**
 * Builds the policy from configuration entries: host names, IP addresses, CIDR ranges or
 * `loopback`. Throws a RangeError naming a malformed entry.
 */
export function webhookAddressPolicy(options: {
  allowPrivate: boolean;
  allowHosts: readonly string[];
}): WebhookAddressPolicy {
  const names = new Set<string>();
  const ranges: AddressRange[] = [];
  for (const raw of options.allowHosts.flatMap((entry) =>
    entry.trim().toLowerCase() === 'loopback' ? [...loopbackAllowEntries] : [entry],
  )) {
    const entry = raw.trim().toLowerCase();
    if (entry.includes('/')) {
      ranges.push(parseRange(entry));
    } else if (ipaddr.isValid(entry)) {
      if (!isCanonicalAddress(entry)) {
        throw new RangeError(`"${raw}" must spell the address out (a.b.c.d or IPv6)`);
      }
      const address = unwrap(ipaddr.parse(entry));
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (hostNamePattern.test(entry)) {
      names.add(normalizeHostName(entry));
    } else {
      throw new RangeError(`"${raw}" is not a host name, an IP address or a CIDR range`);
    }
  }
  return { allowPrivate: options.allowPrivate, allowHostNames: names, allowRanges: ranges };
}

const hostNamePattern =
  /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?$/;

function parseRange(entry: string): AddressRange {
  try {
    const [address, bits] = ipaddr.parseCIDR(entry);
    return [unwrap(address), address.kind() === 'ipv6' && isMapped(address) ? bits - 96 : bits];
  } catch (error) {
    throw new RangeError(`"${entry}" is not a valid CIDR range`, { cause: error });
  }
}

/** ipaddr.js also accepts "0x7f.1" and "127.1"; configuration must spell addresses out. */
function isCanonicalAddress(entry: string): boolean {
  return ipaddr.IPv6.isValid(entry) || ipaddr.IPv4.isValidFourPartDecimal(entry);
}

export function normalizeHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function isMapped(address: Address): boolean {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress();
}

function unwrap(address: Address): Address {
  return isMapped(address) ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

/** A reason the host name itself is refused before any lookup, or null. */
export function refusedHostName(hostName: string, policy: WebhookAddressPolicy): string | null {
  const name = normalizeHostName(hostName);
  if (metadataNames.has(name)) {
    return `${name} is the cloud metadata server`;
  }
  if (policy.allowHostNames.has(name)) {
    return null;
  }
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return `${name} is this host (loopback)`;
  }
  return null;
}

/**
 * A reason the address is refused, or null when a webhook may connect to it. `hostName`
 * is the name it was resolved from (an allowlisted name allows its addresses).
 */
export function refusedAddress(
  text: string,
  policy: WebhookAddressPolicy,
  hostName?: string,
): string | null {
  if (!ipaddr.isValid(text)) {
    return `${text} is not an IP address`;
  }
  const address = unwrap(ipaddr.parse(text));
  const shown = address.toString();
  if (metadataAddresses.some((m) => m.kind() === address.kind() && m.toString() === shown)) {
    return `${shown} is the cloud metadata server`;
  }
  const range =
    address.kind() === 'ipv6' && address.match(ipv4Compatible) && address.range() === 'unicast'
      ? 'ipv4Compatible'
      : address.range();
  if (neverRanges.has(range)) {
    return `${shown} is a ${describeRange(range)} address`;
  }
  if (range === 'unicast') {
    return null;
  }
  if (hostName !== undefined && policy.allowHostNames.has(normalizeHostName(hostName))) {
    return null;
  }
  if (
    policy.allowRanges.some(
      ([base, bits]) => base.kind() === address.kind() && address.match(base, bits),
    )
  ) {
    return null;
  }
  if (policy.allowPrivate && privateRanges.has(range)) {
    return null;
  }
  return `${shown} is a ${describeRange(range)} address`;
}

const rangeNames: Record<string, string> = {
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local IPv6',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  ipv4Compatible: 'IPv4-compatible IPv6',
  rfc6052: 'NAT64 (IPv4-embedded IPv6)',
  rfc6145: 'IPv4-translated IPv6',
  '6to4': '6to4',
  teredo: 'Teredo',
};

function describeRange(range: string): string {
  return rangeNames[range] ?? `special-purpose (${range})`;
}
