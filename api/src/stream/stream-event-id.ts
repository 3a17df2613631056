import { ApiError } from '../api-error.ts';

/** Where a stream's client is in a job's text: the attempt and how much of it it has. */
export interface StreamPosition {
  attempt: number;
  /** UTF-16 code units of that attempt's text already sent. */
  offset: number;
}

/**
 * SSE event ids of a job's stream. A text event's id is `<job id>.<attempt>.<offset after
 * it>`, so `Last-Event-ID` alone says where to resume without duplicates, in any API
 * process; the final event's is `<job id>.done`.
 */
export function textEventId(jobId: string, position: StreamPosition): string {
  return `${jobId}.${position.attempt}.${position.offset}`;
}

export function doneEventId(jobId: string): string {
  return `${jobId}.done`;
}

/**
 * The position a `Last-Event-ID` header names for this job: null when absent, 'done' after
 * the final event, or a 400 naming the header when it is not an id of this job's stream.
 */
export function parseLastEventId(
  jobId: string,
  header: string | undefined,
): StreamPosition | 'done' | null {
  if (header === undefined || header === '') {
    return null;
  }
  if (header === doneEventId(jobId)) {
    return 'done';
  }
  const prefix = `${jobId}.`;
  const match = header.startsWith(prefix)
    ? /^(\d{1,9})\.(\d{1,9})$/.exec(header.slice(prefix.length))
    : null;
  if (match === null) {
    throw foreignEventId(jobId, header);
  }
  return { attempt: Number(match[1]), offset: Number(match[2]) };
}

export function foreignEventId(jobId: string, header: string): ApiError {
  return new ApiError(
    'bad_request',
    `Last-Event-ID "${header.slice(0, 100)}" is not an event of the stream of generation ${jobId}`,
    [{ field: 'headers/last-event-id', message: 'not an event id of this stream' }],
  );
}
