import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  defaultGenerationParams,
  type GenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import { DeviceKvSlots } from './device-kv-slots.ts';
import type { GenerationEngine, GenerationOutput, GenerationRequest } from './generation-engine.ts';
import type { Gpt2GenerationEngine } from './gpt2-generation-engine.ts';
import { DeviceError, kvLayoutOf, loadEngine } from './load-engine.ts';
import { describeWebGpuFailure } from './webgpu-probe.ts';

/**
 * The device-resident KV path (DEVICE=webgpu's decode graph and DeviceKvSlots) run on the
 * CPU provider, where no GPU is: the same graph and bookkeeping the GPU runs, with the
 * cache handed back through JS instead of staying in GPU memory.
 */
const params = (overrides: Partial<GenerationParams>): GenerationParams => ({
  ...defaultGenerationParams,
  temperature: 0,
  ...overrides,
});

const first: GenerationRequest[] = [
  { prompt: 'Hello', params: params({ max_new_tokens: 14 }) },
  {
    prompt: 'The quick brown fox jumps over the lazy dog, and then it runs into the woods.',
    params: params({ max_new_tokens: 6 }),
  },
  { prompt: '', params: params({ max_new_tokens: 9 }) },
];
const later: GenerationRequest[] = [
  { prompt: 'Café au lait — 東京', params: params({ max_new_tokens: 11 }) },
  { prompt: 'Once upon a time', params: params({ max_new_tokens: 7, temperature: 0.9, seed: 7 }) },
  { prompt: 'A', params: params({ max_new_tokens: 16, stop: [' the'] }) },
];

/** Runs `first`, and `later` once the first rows are decoding (joining mid-decode). */
async function staggered(engine: GenerationEngine): Promise<GenerationOutput[]> {
  const stepping = engine as Gpt2GenerationEngine;
  let steps = 0;
  let joined: Promise<GenerationOutput[]> | null = null;
  const joinedOnce = new Promise<void>((resolve) => {
    stepping.onStep = (report) => {
      steps++;
      if (joined === null && report.decodeRows > 0 && steps >= 3) {
        joined = engine.generate(later);
        resolve();
      }
    };
  });
  const firstOutputs = engine.generate(first);
  await joinedOnce;
  const outputs = [...(await firstOutputs), ...(await joined!)];
  stepping.onStep = null;
  return outputs;
}

const summary = (outputs: GenerationOutput[]) =>
  outputs.map((o) => ({ text: o.text, tokens: o.completionTokens, finish: o.finishReason }));

describe('the device-resident KV path (on the CPU provider)', () => {
  let host: GenerationEngine;
  let device: GenerationEngine;
  let cleanup = async () => {};
  let deviceDir = '';

  before(async () => {
    const modelDir = await ensureModel('tiny');
    // A copy: the device graph is written into the folder, and other tests count its files.
    deviceDir = await mkdtemp(join(tmpdir(), 'warmgen-device-kv-'));
    await cp(modelDir, deviceDir, { recursive: true });
    // 3 slots for 6 rows: later rows wait for a slot, then join while others decode.
    host = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: 3 });
    device = await loadEngine({
      modelDir: deviceDir,
      device: 'cpu',
      maxBatchSize: 3,
      kvPlacement: 'device',
    });
    cleanup = () => rm(deviceDir, { recursive: true, force: true });
  });
  after(async () => {
    await host.dispose();
    await device.dispose();
    await cleanup();
  });

  it('generates what the host cache generates, token for token, as rows join and leave', async () => {
    const expected = summary(await staggered(host));
    const actual = summary(await staggered(device));
    assert.deepEqual(actual, expected);
    assert.equal(new Set(actual.map((o) => o.text)).size, actual.length, 'outputs vary');
    // A second running period reuses the cache the first one left.
    assert.deepEqual(summary(await device.generate(later)), expected.slice(first.length));
  });

  it('runs q8 weights as MatMulNBits, the 8-bit form the WebGPU provider has', async () => {
    const q8 = await loadEngine({
      modelDir: deviceDir,
      device: 'cpu',
      maxBatchSize: 3,
      kvPlacement: 'device',
      dtype: 'q8',
    });
    try {
      const graph = await readFile(join(deviceDir, 'onnx', 'warmgen-decode-device-q8.onnx'));
      assert.ok(graph.includes('MatMulNBits') && !graph.includes('DynamicQuantizeMatMul'));
      const outputs = await q8.generate(first);
      outputs.forEach((output, i) => {
        assert.ok(output.completionTokens >= 1, `row ${i}`);
        if (output.finishReason === 'length') {
          assert.equal(output.completionTokens, first[i]!.params.max_new_tokens);
        }
      });
      assert.equal(new Set(outputs.map((o) => o.text)).size, outputs.length, 'outputs vary');
    } finally {
      await q8.dispose();
    }
  });
});

describe('DeviceKvSlots', () => {
  const layout = kvLayoutOf({ nLayer: 1, nHead: 2, nEmbd: 8 });

  it('renames slots instead of copying, and sends padding to the never-read last column', () => {
    const kv = new DeviceKvSlots(layout, 4, 10);
    kv.layOut(3, 8);
    kv.swap(0, 2); // physical slots of 0..3: 2 1 0 3
    kv.move(1, 0); // 1 2 0 3
    const feeds = kv.feeds(
      0,
      [
        { columns: 5, added: 1 },
        { columns: 2, added: 2 },
      ],
      2,
    );
    assert.deepEqual(Array.from(feeds.slot_ids!.data as BigInt64Array, Number), [1, 2]);
    assert.deepEqual(
      Array.from(feeds.write_index!.data as BigInt64Array, Number),
      [1, 5, 1, 10, 2, 2, 2, 3],
    );
    assert.deepEqual(feeds['kv_cache.0.key']!.dims, [4, 11, 2, 4]);
    assert.throws(() => kv.layOut(5, 8), /exceeds the 4 x 10 allocated/);
  });
});

describe('DEVICE=webgpu where it cannot run', () => {
  it('stops start-up with one error naming DEVICE and what is missing, writing nothing', async () => {
    const modelDir = await ensureModel('tiny');
    const filesBefore = await readdir(join(modelDir, 'onnx'));
    // No Vulkan driver, whatever this machine has: the failure this test is about.
    const saved = { files: process.env.VK_DRIVER_FILES, icd: process.env.VK_ICD_FILENAMES };
    process.env.VK_DRIVER_FILES = '/nonexistent/warmgen-test-icd.json';
    process.env.VK_ICD_FILENAMES = '/nonexistent/warmgen-test-icd.json';
    try {
      await assert.rejects(loadEngine({ modelDir, device: 'webgpu' }), (error: unknown) => {
        assert.ok(error instanceof DeviceError, String(error));
        assert.match(
          error.message,
          /^DEVICE=webgpu: (no Vulkan loader \(libvulkan\.so\.1\)|the Vulkan loader found no driver)/,
        );
        assert.match(error.message, /set DEVICE=cpu$/);
        return true;
      });
      assert.deepEqual(await readdir(join(modelDir, 'onnx')), filesBefore);
    } finally {
      for (const [name, value] of [
        ['VK_DRIVER_FILES', saved.files],
        ['VK_ICD_FILENAMES', saved.icd],
      ] as const) {
        if (value === undefined) {
          delete process.env[name];
        } else {
          process.env[name] = value;
        }
      }
    }
  });

  it('npm run check:gpu says so in one result line and exits 0', async () => {
    const script = fileURLToPath(new URL('../../bench/check-gpu.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: {
        ...process.env,
        VK_DRIVER_FILES: '/nonexistent/warmgen-test-icd.json',
        VK_ICD_FILENAMES: '/nonexistent/warmgen-test-icd.json',
      },
    });
    assert.match(stdout, /^GPU check: .*Vulkan drivers: none/m);
    assert.match(stdout, /^RESULT: no GPU usable here\. DEVICE=webgpu: /m);
  });

  it('names the missing part: loader, driver, or an adapter Dawn refused', () => {
    const ort = 'webgpu_context.cc:136 ... Failed to get a WebGPU adapter: No supported adapters';
    assert.match(
      describeWebGpuFailure(ort, { loaderFound: false, driverFiles: [] }),
      /^no Vulkan loader \(libvulkan\.so\.1\).*libvulkan1/,
    );
    assert.match(
      describeWebGpuFailure(ort, { loaderFound: true, driverFiles: [] }),
      /^the Vulkan loader found no driver/,
    );
    assert.equal(
      describeWebGpuFailure(ort, {
        loaderFound: true,
        driverFiles: ['/usr/share/vulkan/icd.d/lvp.json'],
      }),
      'no usable WebGPU adapter (Vulkan drivers: /usr/share/vulkan/icd.d/lvp.json; onnxruntime: Failed to get a WebGPU adapter: No supported adapters); a GPU with a Vulkan driver is needed (software drivers such as lavapipe are refused), or set DEVICE=cpu',
    );
  });
});
