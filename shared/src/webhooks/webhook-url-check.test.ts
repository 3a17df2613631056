import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  strictAddressPolicy,
  type WebhookAddressPolicy,
  webhookAddressPolicy,
} from './webhook-address-policy.ts';
import { checkWebhookUrl, type ResolveHost } from './webhook-url-check.ts';

/** A resolver from a table: no real DNS in tests. Unknown names fail as NXDOMAIN does. */
function tableResolver(table: Record<string, string[]>): ResolveHost {
  return async (hostName) => {
    const addresses = table[hostName];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostName}`), { code: 'ENOTFOUND' });
    }
    return addresses;
  };
}

const resolver = tableResolver({
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'internal.example.com': ['10.1.2.3'],
  'rebind.example.com': ['93.184.215.14', '127.0.0.1'],
  'mapped.example.com': ['::ffff:169.254.169.254'],
  'cgnat.example.com': ['100.64.0.1'],
  'ula.example.com': ['fd12:3456::1'],
  'nip.example.com': ['192.168.1.1'],
  'localhost.example.com': ['::1'],
  'empty.example.com': [],
  [`${'a'.repeat(63)}.example.com`]: ['93.184.215.14'],
});

/** Hostile URLs: every one must be refused by the strict (production) policy. */
const hostile: [string, RegExp][] = [
  ['http://127.0.0.1/hook', /loopback/],
  ['http://127.1/hook', /127\.0\.0\.1 is a loopback/],
  ['http://2130706433/hook', /127\.0\.0\.1 is a loopback/],
  ['http://0177.0.0.1/hook', /127\.0\.0\.1 is a loopback/],
  ['http://0x7f.0x0.0x0.0x1/hook', /127\.0\.0\.1 is a loopback/],
  ['http://0x7f000001/hook', /127\.0\.0\.1 is a loopback/],
  ['http://localhost:8080/hook', /localhost is this host/],
  ['http://LOCALHOST./hook', /localhost is this host/],
  ['http://api.localhost/hook', /this host/],
  ['http://[::1]/hook', /::1 is a loopback/],
  ['http://[::]/hook', /unspecified/],
  ['http://0.0.0.0/hook', /unspecified/],
  ['http://0/hook', /0\.0\.0\.0 is a unspecified/],
  ['http://[::ffff:127.0.0.1]/hook', /127\.0\.0\.1 is a loopback/],
  ['http://[::ffff:a9fe:a9fe]/hook', /169\.254\.169\.254 is the cloud metadata server/],
  ['http://[::127.0.0.1]/hook', /IPv4-compatible/],
  ['http://[64:ff9b::a9fe:a9fe]/hook', /NAT64/],
  ['http://169.254.169.254/computeMetadata/v1/', /metadata server/],
  ['http://metadata.google.internal/computeMetadata/v1/', /metadata server/],
  ['http://metadata.google.internal./computeMetadata/v1/', /metadata server/],
  ['http://metadata/computeMetadata/v1/', /metadata server/],
  ['http://[fd00:ec2::254]/', /metadata server/],
  ['http://169.254.1.1/hook', /link-local/],
  ['http://[fe80::1]/hook', /link-local/],
  ['http://10.0.0.1/hook', /private/],
  ['http://172.16.5.4/hook', /private/],
  ['http://192.168.0.1/hook', /private/],
  ['http://100.64.0.1/hook', /carrier-grade NAT/],
  ['http://[fc00::1]/hook', /unique-local/],
  ['http://224.0.0.1/hook', /multicast/],
  ['http://255.255.255.255/hook', /broadcast/],
  ['http://good@127.0.0.1/hook', /credentials/],
  ['http://hooks.example.com:x@10.0.0.1/hook', /credentials/],
  [
    'http://internal.example.com/hook',
    /internal\.example\.com resolves to 10\.1\.2\.3 is a private/,
  ],
  ['https://rebind.example.com/hook', /resolves to 127\.0\.0\.1 is a loopback/],
  ['https://mapped.example.com/hook', /metadata server/],
  ['https://cgnat.example.com/hook', /carrier-grade NAT/],
  ['https://ula.example.com/hook', /unique-local/],
  ['https://localhost.example.com/hook', /::1 is a loopback/],
  ['https://empty.example.com/hook', /resolves to no address/],
  ['ftp://hooks.example.com/hook', /http or https/],
  ['file:///etc/passwd', /http or https/],
  ['gopher://hooks.example.com/', /http or https/],
  ['not a url', /not a valid URL/],
  // Names DNS cannot carry: getaddrinfo fails with EINVAL, not "not found".
  [`https://${'a'.repeat(300)}.example.com/hook`, /label of 300 characters \(DNS allows 63\)/],
  [`https://${'a'.repeat(64)}.example.com/hook`, /label of 64 characters/],
  [`https://${'abcdefgh.'.repeat(30)}com/hook`, /host name of 273 characters \(DNS allows 253\)/],
  ['https://hooks..example.com/hook', /empty label/],
];

describe('checkWebhookUrl', () => {
  it(`refuses ${hostile.length} hostile URLs under the strict policy, saying why`, async () => {
    assert.ok(hostile.length >= 20);
    for (const [url, reason] of hostile) {
      const check = await checkWebhookUrl(url, strictAddressPolicy, resolver);
      assert.equal(check.ok, false, `${url} was allowed`);
      assert.match(check.ok ? '' : check.reason, reason, url);
    }
  });

  it('allows public addresses and names whose every address is public', async () => {
    for (const url of [
      'https://hooks.example.com/hook?x=1',
      'http://93.184.215.14:8080/hook',
      'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook',
      'http://[::ffff:93.184.215.14]/hook',
      `https://${'a'.repeat(63)}.example.com/hook`,
    ]) {
      const check = await checkWebhookUrl(url, strictAddressPolicy, resolver);
      assert.ok(check.ok, `${url}: ${check.ok ? '' : check.reason}`);
    }
  });

  it('lets a DNS failure through to the caller (the API decides what it means)', async () => {
    await assert.rejects(
      checkWebhookUrl('https://nowhere.example.com/', strictAddressPolicy, resolver),
      /ENOTFOUND/,
    );
  });

  describe('allowlist', () => {
    const allow = (allowHosts: string[], allowPrivate = false): WebhookAddressPolicy =>
      webhookAddressPolicy({ allowHosts, allowPrivate });
    const passes = async (url: string, policy: WebhookAddressPolicy) =>
      (await checkWebhookUrl(url, policy, resolver)).ok;

    it('`loopback` allows 127.0.0.0/8, ::1 and localhost, and nothing else', async () => {
      const policy = allow(['loopback']);
      assert.ok(await passes('http://127.0.0.1:9999/h', policy));
      assert.ok(await passes('http://127.5.5.5/h', policy));
      assert.ok(await passes('http://[::1]/h', policy));
      assert.ok(await passes('http://[::ffff:127.0.0.1]/h', policy));
      assert.ok(await passes('https://localhost.example.com/h', policy));
      assert.equal(await passes('http://10.0.0.1/h', policy), false);
      assert.equal(await passes('http://0.0.0.0/h', policy), false);
      assert.equal(await passes('http://169.254.169.254/', policy), false);
    });

    it('names, addresses and CIDR ranges allow exactly what they say', async () => {
      const policy = allow(['internal.example.com', '192.168.1.1', '100.64.0.0/16']);
      assert.ok(await passes('http://internal.example.com/h', policy));
      assert.ok(await passes('http://nip.example.com/h', policy));
      assert.ok(await passes('http://100.64.200.1/h', policy));
      assert.equal(await passes('http://100.65.0.1/h', policy), false);
      assert.equal(await passes('http://192.168.1.2/h', policy), false);
    });

    it('WEBHOOK_ALLOW_PRIVATE opens private ranges but never the metadata server', async () => {
      const policy = allow([], true);
      for (const url of ['http://10.0.0.1/', 'http://[fc00::1]/', 'http://100.64.0.1/']) {
        assert.ok(await passes(url, policy), url);
      }
      for (const url of [
        'http://169.254.169.254/',
        'http://metadata.google.internal/',
        'http://0.0.0.0/',
        'http://169.254.1.1/',
      ]) {
        assert.equal(await passes(url, policy), false, url);
      }
      assert.equal(await passes('http://169.254.169.254/', allow(['169.254.0.0/16'])), false);
    });

    it('rejects a malformed entry, naming it', () => {
      assert.throws(() => allow(['10.0.0.0/33']), /10\.0\.0\.0\/33/);
      assert.throws(() => allow(['0x7f.1']), /0x7f\.1/);
      assert.throws(() => allow(['bad host!']), /bad host!/);
    });
  });
});
