import { parentPort, workerData } from 'node:worker_threads';
import {
  type EngineThreadData,
  type FromEngineThread,
  type ToEngineThread,
  toWireError,
} from './engine-thread-protocol.ts';
import type { GenerationEngine } from './generation-engine.ts';
import { loadEngine } from './load-engine.ts';

/**
 * The engine thread started by loadThreadedEngine(): loads the engine once, then runs
 * generate() calls as the caller's thread asks, a `rowText` per coalesced piece of a row that asked
 * for them, one `rowDone` per finished row and one
 * `generated` (or `failed`) per call. onnxruntime-node runs each forward pass synchronously
 * on the thread that calls it, so here it blocks only this thread's event loop; messages
 * (aborts included) are handled between decode steps.
 */
const port = parentPort;
if (port === null) {
  throw new Error('engine-thread.ts runs as a worker thread (see threaded-engine.ts)');
}
const post = (message: FromEngineThread): void => port.postMessage(message);
const { options } = workerData as EngineThreadData;

let engine: GenerationEngine;
try {
  engine = await loadEngine(options, (message) => post({ type: 'log', message }));
} catch (error) {
  post({ type: 'loadFailed', error: toWireError(error) });
  port.close();
  process.exit(0);
}
post({ type: 'ready', maxBatchSize: engine.maxBatchSize, maxPositions: engine.maxPositions });

/** Each call's rows' abort controllers, while the call runs. */
const calls = new Map<number, AbortController[]>();

port.on('message', (message: ToEngineThread) => {
  if (message.type === 'generate') {
    void generate(message.callId, message.requests);
  } else if (message.type === 'abort') {
    calls.get(message.callId)?.[message.row]?.abort();
  } else {
    void engine.dispose().finally(() => {
      post({ type: 'disposed' });
      port.close();
    });
  }
});

async function generate(
  callId: number,
  requests: Extract<ToEngineThread, { type: 'generate' }>['requests'],
): Promise<void> {
  const controllers = requests.map((request) => {
    const controller = new AbortController();
    if (request.aborted) {
      controller.abort();
    }
    return controller;
  });
  calls.set(callId, controllers);
  try {
    const outputs = await engine.generate(
      requests.map((request, row) => ({
        prompt: request.prompt,
        params: request.params,
        signal: controllers[row]!.signal,
        onDone: (output) => post({ type: 'rowDone', callId, row, output }),
        ...(request.textIntervalMs === undefined
          ? {}
          : {
              onText: (piece: string) => post({ type: 'rowText', callId, row, piece }),
              textIntervalMs: request.textIntervalMs,
            }),
      })),
    );
    post({ type: 'generated', callId, outputs });
  } catch (error) {
    post({ type: 'failed', callId, error: toWireError(error) });
  } finally {
    calls.delete(callId);
  }
}
