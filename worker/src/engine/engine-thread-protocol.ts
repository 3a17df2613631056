import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { EngineOptions, GenerationOutput } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { ModelFolderError } from './model-folder-error.ts';

/**
 * The messages between a ThreadedEngine (the caller's thread) and its engine thread (see
 * threaded-engine.ts). Everything crosses by structured clone, so only plain data: a row's
 * AbortSignal becomes an `abort` message, its onDone a `rowDone` message, its onText a
 * `rowText` message (already coalesced in the thread, so a piece per interval per row), and an error a
 * WireError that is turned back into the class the caller's error handling knows.
 */
export interface EngineThreadData {
  options: EngineOptions;
}

export interface WireRequest {
  prompt: string;
  params: GenerationParams;
  /** The row's signal had already fired when generate() was called. */
  aborted: boolean;
  /** The caller gave onText: the thread sends this row's pieces, this far apart at least. */
  textIntervalMs?: number | undefined;
}

export type ToEngineThread =
  | { type: 'generate'; callId: number; requests: WireRequest[] }
  | { type: 'abort'; callId: number; row: number }
  | { type: 'dispose' };

export type FromEngineThread =
  | { type: 'ready'; maxBatchSize: number; maxPositions: number }
  /** A start-up line of the engine's (the KV budget, a decode graph written). */
  | { type: 'log'; message: string }
  | { type: 'loadFailed'; error: WireError }
  | { type: 'rowText'; callId: number; row: number; piece: string }
  | { type: 'rowDone'; callId: number; row: number; output: GenerationOutput }
  | { type: 'generated'; callId: number; outputs: GenerationOutput[] }
  | { type: 'failed'; callId: number; error: WireError }
  | { type: 'disposed' };

export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** Node's and our error codes: the worker's error classification reads them. */
  code?: string | undefined;
  /** ModelFolderError: the file at fault. */
  path?: string | undefined;
  /** GenerationRequestError: each bad row's message. */
  rowErrors?: Array<[number, string]> | undefined;
}

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error) };
  }
  const { code, path } = error as { code?: unknown; path?: unknown };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: typeof code === 'string' ? code : undefined,
    path: typeof path === 'string' ? path : undefined,
    rowErrors: error instanceof GenerationRequestError ? [...error.rowErrors] : undefined,
  };
}

/** The error as the caller would have seen it from an engine in its own thread. */
export function fromWireError(wire: WireError): Error {
  let error: Error;
  if (wire.name === 'GenerationRequestError') {
    error = new GenerationRequestError(wire.message, new Map(wire.rowErrors ?? []));
  } else if (wire.name === 'ModelFolderError' && wire.path !== undefined) {
    error = new ModelFolderError(wire.path, wire.message.slice(wire.path.length + 2));
  } else {
    error = new Error(wire.message);
    error.name = wire.name;
    if (wire.code !== undefined) {
      Object.assign(error, { code: wire.code });
    }
  }
  if (wire.stack !== undefined) {
    error.stack = wire.stack;
  }
  return error;
}
