import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { WebhookAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import {
  checkResolvedAddresses,
  type ResolveHost,
} from '@warmgen/shared/webhooks/webhook-url-check.ts';

/** The error a refused address surfaces as (the request fails before any byte is sent). */
export class WebhookAddressRefused extends Error {
  readonly code = 'EWEBHOOKREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAddressRefused';
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request: resolves the name, checks EVERY address against the SSRF
 * policy, and hands the socket exactly the addresses it checked. The connection therefore
 * goes to an address that passed, with no second resolution in between for an attacker's
 * DNS to answer differently (DNS rebinding). Node calls it with `all: true` when it races
 * address families (autoSelectFamily), otherwise it wants one address.
 */
export function createGuardedLookup(policy: WebhookAddressPolicy, resolve: ResolveHost) {
  return (hostName: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostName)
      .then((addresses) => {
        const refused = checkResolvedAddresses(hostName, addresses, policy);
        if (refused !== null) {
          callback(new WebhookAddressRefused(`refused: ${refused}`), '');
          return;
        }
        const wanted = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => !options.family || entry.family === options.family);
        const [first] = wanted;
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostName} has no usable address`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, first.address, first.family);
        }
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}
