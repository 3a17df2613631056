import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  type EngineThreadData,
  type FromEngineThread,
  fromWireError,
  type ToEngineThread,
} from './engine-thread-protocol.ts';
import type {
  EngineOptions,
  GenerationEngine,
  GenerationOutput,
  GenerationRequest,
} from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { DEFAULT_TEXT_INTERVAL_MS } from './generation-row.ts';
import { loadCodec } from './load-codec.ts';
import { checkModelFolder } from './model-folder.ts';
import { type ModelLimits, promptIdsOf } from './request-check.ts';

/**
 * The engine in a worker thread of its own, behind the same GenerationEngine interface.
 *
 * Why: onnxruntime-node runs every forward pass synchronously on the calling thread (its
 * run() is a setImmediate around a blocking call), about 100 ms per decode step of GPT-2
 * small at batch 16. On the main thread that stalls everything else in the process for
 * the whole generation: HTTP answers, long-polls, lease renewals, store writes. And the
 * main thread's garbage collector, whose pauses grow with everything else the process
 * keeps in its heap, ran between every two steps. In a thread of its own the engine has a
 * small heap and one core to itself (onnxruntime uses one thread per physical core; the
 * caller's thread is one of them), and the rest of the process runs beside it.
 *
 * validate() stays synchronous: this thread loads the folder's tokenizer too (a few MB),
 * so a request is checked without a round trip.
 *
 * If the thread dies (a crash in native code, out of memory), every pending and later
 * call rejects with an `EngineThreadExited` error and `onExit` is called, so the process
 * can say so and exit for its supervisor to restart it.
 */
export interface ThreadedEngineHooks {
  /** The thread ended without dispose(): the engine is unusable from now on. */
  onExit?: (error: Error) => void;
  /** A start-up line from the engine (its KV budget and batch size, a decode graph written). */
  onLog?: (message: string) => void;
}

export interface ThreadedEngine extends GenerationEngine {
  /**
   * Stops the thread at once, without waiting for the call in flight: to the engine it is
   * the thread dying (pending calls reject, onExit is called). For an emergency stop.
   */
  terminate(): Promise<void>;
}

export async function loadThreadedEngine(
  options: EngineOptions,
  hooks: ThreadedEngineHooks = {},
): Promise<ThreadedEngine> {
  const folder = await checkModelFolder(resolve(options.modelDir));
  const codec = await loadCodec(folder);
  const data: EngineThreadData = { options: { ...options, modelDir: folder.dir } };
  const thread = new Worker(new URL('./engine-thread.ts', import.meta.url), { workerData: data });
  const ready = await new Promise<Extract<FromEngineThread, { type: 'ready' }>>(
    (resolveReady, rejectReady) => {
      const onExit = (code: number) =>
        rejectReady(new Error(`the engine thread exited (code ${code}) while loading the model`));
      thread.once('error', rejectReady);
      thread.once('exit', onExit);
      const onMessage = (message: FromEngineThread) => {
        if (message.type === 'log') {
          hooks.onLog?.(message.message);
          return;
        }
        thread.off('message', onMessage);
        thread.off('error', rejectReady);
        thread.off('exit', onExit);
        if (message.type === 'ready') {
          resolveReady(message);
        } else if (message.type === 'loadFailed') {
          rejectReady(fromWireError(message.error));
        } else {
          rejectReady(new Error(`engine thread: unexpected first message ${message.type}`));
        }
      };
      thread.on('message', onMessage);
    },
  );
  return new EngineOverThread(
    thread,
    { codec, eosTokenId: folder.eosTokenId, maxPositions: ready.maxPositions },
    ready.maxBatchSize,
    hooks,
  );
}

interface PendingCall {
  requests: readonly GenerationRequest[];
  resolve(outputs: GenerationOutput[]): void;
  reject(error: Error): void;
  /** Removes the listeners on the rows' signals. */
  unwatch(): void;
}

class EngineOverThread implements ThreadedEngine {
  readonly maxBatchSize: number;
  readonly maxPositions: number;
  private readonly thread: Worker;
  private readonly model: ModelLimits;
  private readonly calls = new Map<number, PendingCall>();
  private nextCallId = 1;
  /** Set once the thread is gone or going: every call from then on rejects with it. */
  private closed: Error | null = null;
  /** dispose() was called: the thread's exit is expected. */
  private disposing = false;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => {};

  constructor(
    thread: Worker,
    model: ModelLimits,
    maxBatchSize: number,
    hooks: ThreadedEngineHooks,
  ) {
    this.thread = thread;
    this.model = model;
    this.maxBatchSize = maxBatchSize;
    this.maxPositions = model.maxPositions;
    this.exited = new Promise((resolveExited) => {
      this.markExited = resolveExited;
    });
    // Only a running call keeps the process alive (see refWhileBusy).
    thread.unref();
    thread.on('message', (message: FromEngineThread) => this.onMessage(message));
    // An uncaught error in the thread comes first, then the exit: it becomes the cause.
    let threadError: Error | undefined;
    thread.on('error', (error) => {
      threadError = error;
    });
    thread.on('exit', (code) => {
      this.markExited();
      if (this.disposing) {
        this.fail(this.closed ?? new Error('the generation engine has been disposed'));
        return;
      }
      const error = new Error(`the engine thread exited unexpectedly (code ${code})`, {
        cause: threadError,
      });
      error.name = 'EngineThreadExited';
      this.fail(error);
      hooks.onExit?.(error);
    });
  }

  validate(request: GenerationRequest): string | null {
    const checked = promptIdsOf(request, this.model);
    return typeof checked === 'string' ? checked : null;
  }

  generate(requests: GenerationRequest[]): Promise<GenerationOutput[]> {
    if (this.closed !== null) {
      return Promise.reject(this.closed);
    }
    if (requests.length > this.maxBatchSize) {
      return Promise.reject(
        new GenerationRequestError(
          `${requests.length} rows exceed the engine's maxBatchSize of ${this.maxBatchSize}`,
        ),
      );
    }
    const callId = this.nextCallId++;
    const { promise, resolve: resolveCall, reject } = Promise.withResolvers<GenerationOutput[]>();
    const listeners = requests.map((request, row) => {
      const onAbort = () => this.send({ type: 'abort', callId, row });
      request.signal?.addEventListener('abort', onAbort, { once: true });
      return onAbort;
    });
    const unwatch = () =>
      requests.forEach((request, row) => {
        request.signal?.removeEventListener('abort', listeners[row]!);
      });
    this.calls.set(callId, { requests, resolve: resolveCall, reject, unwatch });
    this.refWhileBusy();
    this.send({
      type: 'generate',
      callId,
      requests: requests.map((request) => ({
        prompt: request.prompt,
        params: request.params,
        aborted: request.signal?.aborted ?? false,
        textIntervalMs:
          request.onText === undefined
            ? undefined
            : (request.textIntervalMs ?? DEFAULT_TEXT_INTERVAL_MS),
      })),
    });
    return promise;
  }

  async dispose(): Promise<void> {
    if (!this.disposing && this.closed === null) {
      this.disposing = true;
      this.closed = new Error('the generation engine has been disposed');
      this.send({ type: 'dispose' });
    }
    this.refWhileBusy();
    await this.exited;
  }

  async terminate(): Promise<void> {
    await this.thread.terminate();
    await this.exited;
  }

  private onMessage(message: FromEngineThread): void {
    // ready and loadFailed came before this listener; disposed is followed by the exit.
    if (!('callId' in message)) {
      return;
    }
    const call = this.calls.get(message.callId);
    if (call === undefined) {
      return;
    }
    if (message.type === 'rowText') {
      try {
        call.requests[message.row]?.onText?.(message.piece);
      } catch {
        // As onDone: a throwing onText must not break the neighbours' decode.
      }
      return;
    }
    if (message.type === 'rowDone') {
      try {
        call.requests[message.row]?.onDone?.(message.output);
      } catch {
        // The contract: a throwing onDone must not break the neighbours' decode.
      }
      return;
    }
    this.settle(message.callId, call);
    if (message.type === 'generated') {
      call.resolve(message.outputs);
    } else if (message.type === 'failed') {
      call.reject(fromWireError(message.error));
    }
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const [callId, call] of this.calls) {
      this.settle(callId, call);
      call.reject(error);
    }
  }

  private settle(callId: number, call: PendingCall): void {
    call.unwatch();
    this.calls.delete(callId);
    this.refWhileBusy();
  }

  /**
   * A pending generate() keeps the process alive, as an in-thread engine's would; so does
   * a thread being disposed (a main awaiting dispose() at top level would otherwise end
   * with "unsettled top-level await" before the thread is gone).
   */
  private refWhileBusy(): void {
    if (this.calls.size > 0 || this.closed !== null) {
      this.thread.ref();
    } else {
      this.thread.unref();
    }
  }

  private send(message: ToEngineThread): void {
    this.thread.postMessage(message);
  }
}
