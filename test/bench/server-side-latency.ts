/**
 * The service's own view of request latency, from its Cloud Logging request lines
 * (`httpRequest.latency`, e.g. "0.004s"): time inside the server, without the client's or
 * the network's share. On a shared machine the client's delays can dominate what it sees.
 */
export function serverLatenciesMs(logs: string, method: string, url: string): number[] {
  const latencies: number[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"httpRequest"')) {
      continue;
    }
    const entry = JSON.parse(line) as {
      httpRequest?: { requestMethod?: string; requestUrl?: string; latency?: string };
    };
    const request = entry.httpRequest;
    if (request?.requestMethod === method && request.requestUrl === url && request.latency) {
      latencies.push(Number.parseFloat(request.latency) * 1000);
    }
  }
  return latencies;
}
