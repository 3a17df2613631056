import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { readStorageApiEndpoint } from './storage-api-endpoint.ts';

const read = (value: string) => readStorageApiEndpoint({ STORAGE_API_ENDPOINT: value });

describe('readStorageApiEndpoint', () => {
  it('is null when unset: the real Cloud Storage service', () => {
    assert.equal(readStorageApiEndpoint({}), null);
    assert.equal(read('  '), null);
  });

  it('accepts https anywhere and http on loopback, as a bare origin', () => {
    assert.equal(read('https://storage.example.com'), 'https://storage.example.com');
    assert.equal(read('https://storage.example.com/'), 'https://storage.example.com');
    assert.equal(read('https://10.0.0.7:8443'), 'https://10.0.0.7:8443');
    assert.equal(read('http://127.0.0.1:4443'), 'http://127.0.0.1:4443');
    assert.equal(read('http://127.8.9.10:4443/'), 'http://127.8.9.10:4443');
    assert.equal(read('http://localhost:4443'), 'http://localhost:4443');
    assert.equal(read('http://[::1]:4443'), 'http://[::1]:4443');
  });

  it('refuses plain http off loopback, other schemes, paths, queries and credentials', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://storage.example.com', /https:\/\/ URL, or http:\/\/ on a loopback address/],
      ['http://10.0.0.7:4443', /loopback/],
      ['http://[::ffff:10.0.0.7]:4443', /loopback/],
      ['http://localhost.example.com', /loopback/],
      ['ftp://127.0.0.1', /loopback/],
      ['storage.example.com', /must be a URL/],
      ['https://storage.example.com/storage/v1', /no path/],
      ['https://storage.example.com/?x=1', /without credentials, query or fragment/],
      ['https://user:pw@storage.example.com', /without credentials/],
    ];
    for (const [value, pattern] of cases) {
      assert.throws(
        () => read(value),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, `${value}: ${String(error)}`);
          assert.equal(error.variable, 'STORAGE_API_ENDPOINT');
          assert.match(error.message, pattern, value);
          return true;
        },
      );
    }
  });
});
