import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One event as the client received it, with when (performance.now()). */
export interface ReceivedEvent extends EventSourceMessage {
  atMs: number;
  /** The last comment line of the event's block (e.g. bench:stream's `sent-at <ms>`), or null. */
  comment: string | null;
}

export interface OpenedStream {
  status: number;
  headers: Headers;
  /** The events as they arrive; ends with the response. */
  events: AsyncGenerator<ReceivedEvent>;
  /** Keep-alive comments seen so far. */
  comments(): number;

  /** A response that is not a stream: its JSON body. */
  json(): Promise<unknown>;
  close(): void;
}

/**
 * An SSE client for tests: undici's fetch (a real HTTP client, any method, any headers such
 * as Authorization and Last-Event-ID) and eventsource-parser (the kept SSE parser under the
 * `eventsource` polyfill) for the bytes.
 */
export async function openStream(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<OpenedStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      accept: 'text/event-stream',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: controller.signal,
  });
  let comments = 0;

  async function* events(): AsyncGenerator<ReceivedEvent> {
    if (response.body === null) {
      return;
    }
    const ready: ReceivedEvent[] = [];
    let comment: string | null = null;
    const parser = createParser({
      onEvent: (event) => {
        ready.push({ ...event, atMs: performance.now(), comment });
        comment = null;
      },
      onComment: (text) => {
        comments += 1;
        comment = text.trim();
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const bytes of response.body) {
        parser.feed(decoder.decode(bytes, { stream: true }));
        while (ready.length > 0) {
          yield ready.shift() as ReceivedEvent;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) {
        throw error;
      }
    }
  }
  return {
    status: response.status,
    headers: response.headers,
    events: events(),
    comments: () => comments,
    json: () => response.json(),
    close: () => controller.abort(),
  };
}

/** Every event of a stream, to its end. */
export async function readAll(stream: OpenedStream): Promise<ReceivedEvent[]> {
  const all: ReceivedEvent[] = [];
  for await (const event of stream.events) {
    all.push(event);
  }
  return all;
}

/** The first `count` events of a stream, then the client hangs up (as a reconnecting client does). */
export async function readFirst(stream: OpenedStream, count: number): Promise<ReceivedEvent[]> {
  const first: ReceivedEvent[] = [];
  for await (const event of stream.events) {
    first.push(event);
    if (first.length === count) {
      break;
    }
  }
  stream.close();
  return first;
}

/**
 * The text a client shows from a stream's events: the `text` pieces joined, started over
 * at each `requeued`.
 */
export function streamedText(events: EventSourceMessage[]): string {
  let text = '';
  for (const event of events) {
    if (event.event === 'requeued') {
      text = '';
    } else if (event.event === 'text') {
      text += (JSON.parse(event.data) as { text: string }).text;
    }
  }
  return text;
}

/** The finished job a stream's last event carries. */
export function doneJob<T = Record<string, unknown>>(events: EventSourceMessage[]): T {
  const last = events.at(-1);
  if (last?.event !== 'done') {
    throw new Error(`the stream did not end with done: ${JSON.stringify(events.slice(-3))}`);
  }
  return JSON.parse(last.data) as T;
}
