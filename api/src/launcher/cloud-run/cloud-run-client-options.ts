import type { JobsClient } from '@google-cloud/run';
import { OAuth2Client } from 'google-auth-library';

/** The clients' options type (google-gax's ClientOptions, reached without importing gax). */
type ClientOptions = NonNullable<ConstructorParameters<typeof JobsClient>[0]>;

/**
 * Options for the official Cloud Run Admin API clients. Against the real service: the
 * defaults (gRPC, Application Default Credentials). Against CLOUD_RUN_API_ENDPOINT (the
 * dev:gcp test server, a private endpoint): the client's REST transport (`fallback`), the
 * one a plain HTTP test server can answer, and on plain-http loopback a fixed token, since
 * there are no credentials to find on a developer's machine and nothing to protect.
 */
export function cloudRunClientOptions(endpoint: URL | null): ClientOptions {
  if (endpoint === null) {
    return {};
  }
  const secure = endpoint.protocol === 'https:';
  const port = endpoint.port === '' ? (secure ? 443 : 80) : Number(endpoint.port);
  const options: ClientOptions = {
    fallback: true,
    apiEndpoint: endpoint.hostname.replace(/^\[|\]$/g, ''),
    port,
    protocol: secure ? 'https' : 'http',
  };
  if (!secure) {
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: 'local', expiry_date: Number.MAX_SAFE_INTEGER });
    options.authClient = authClient;
  }
  return options;
}
