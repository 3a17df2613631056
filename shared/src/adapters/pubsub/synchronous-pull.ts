/**
 * Synchronous pull with a bounded wait, on the generated v1 SubscriberClient. A pull that
 * finds nothing blocks on the server until about 1 s before its RPC deadline (measured on
 * the emulator), so the deadline is the wait plus that second; a pull answered early and
 * empty is repeated until the wait is used up.
 */
export interface ReceivedMessage {
  ackId?: string | null;
  message?: {
    data?: Uint8Array | string | null;
    attributes?: Record<string, string> | null;
  } | null;
  deliveryAttempt?: number | null;
}

interface PullRequest {
  subscription: string;
  maxMessages: number;
  returnImmediately: boolean;
}

/** The slice of v1.SubscriberClient used here (a plain object in unit tests). */
export interface PullClient {
  pull(
    request: PullRequest,
    options: { timeout: number; signal: AbortSignal },
  ): Promise<[{ receivedMessages?: ReceivedMessage[] | null }, ...unknown[]]>;
}

/** How early an empty pull returns before its deadline (emulator: ~1,000 ms). */
const serverMarginMs = 1_000;
/** Deadline of a pull that must not wait (returnImmediately). */
const immediatePullTimeoutMs = 10_000;
const grpcCancelled = 1;
const grpcDeadlineExceeded = 4;

export async function pullWithWait(
  client: PullClient,
  subscription: string,
  max: number,
  waitMs: number,
  signal: AbortSignal,
): Promise<ReceivedMessage[]> {
  const deadline = performance.now() + waitMs;
  for (let first = true; ; first = false) {
    const remainingMs = deadline - performance.now();
    if (signal.aborted || (!first && remainingMs <= 0)) {
      return [];
    }
    const immediate = remainingMs <= 0;
    const received = await pullOnce(
      client,
      { subscription, maxMessages: max, returnImmediately: immediate },
      immediate ? immediatePullTimeoutMs : Math.ceil(remainingMs) + serverMarginMs,
      signal,
    );
    if (received.length > 0 || immediate) {
      return received;
    }
  }
}

async function pullOnce(
  client: PullClient,
  request: PullRequest,
  timeout: number,
  signal: AbortSignal,
): Promise<ReceivedMessage[]> {
  try {
    // google-gax cancels the call when the signal aborts: close() must not wait out a pull.
    const [response] = await client.pull(request, { timeout, signal });
    return response.receivedMessages ?? [];
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === grpcDeadlineExceeded || (code === grpcCancelled && signal.aborted)) {
      return [];
    }
    throw error;
  }
}
