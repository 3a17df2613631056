import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ELEMENT_FLOAT, valueInfo } from '../model-builder/graph-builder.ts';
import { onnx } from '../model-builder/onnx-proto.ts';

/**
 * What DEVICE=webgpu needs on Linux and what is missing when it cannot start.
 *
 * onnxruntime-node's WebGPU provider is Dawn on Vulkan: it needs the Vulkan loader
 * (libvulkan.so.1, Debian package libvulkan1) and a Vulkan driver for the GPU (an ICD file
 * naming it; for NVIDIA the driver's own, Debian nvidia-vulkan-icd). Without them its only
 * error is "Failed to get a WebGPU adapter: No supported adapters" (the reason goes to
 * stderr from native code), so the reason is found here. Software Vulkan drivers do not
 * help: Dawn refused Mesa 22's lavapipe on this project's CPU machine.
 */
export interface VulkanFacts {
  loaderFound: boolean;
  /** Vulkan driver manifests (ICD files) the loader would read. */
  driverFiles: string[];
}

const LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

export function vulkanFacts(env: NodeJS.ProcessEnv = process.env): VulkanFacts {
  const libraryDirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean),
    ...LIBRARY_DIRS,
  ];
  const loaderFound =
    libraryDirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1'))) ||
    ldCacheNames('libvulkan.so.1');
  const named = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES ?? '')
    .split(delimiter)
    .filter(Boolean);
  const driverFiles = named.length > 0 ? named.filter((file) => existsSync(file)) : manifests();
  return { loaderFound, driverFiles };
}

/** The dynamic linker's cache lists the library (what dlopen finds beyond the dirs above). */
function ldCacheNames(library: string): boolean {
  try {
    return readFileSync('/etc/ld.so.cache').includes(library);
  } catch {
    return false;
  }
}

function manifests(): string[] {
  return ICD_DIRS.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => join(dir, name));
    } catch {
      return [];
    }
  });
}

/**
 * Starts the WebGPU provider on a one-node graph: null when it runs, else why not. Checked
 * before the decode graph is written or loaded, so a machine without a GPU fails in
 * milliseconds and leaves nothing in the model folder.
 */
export async function probeWebGpu(): Promise<string | null> {
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'webgpu_probe',
      node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
      input: [valueInfo('x', ELEMENT_FLOAT, [1])],
      output: [valueInfo('y', ELEMENT_FLOAT, [1])],
    },
  }).finish();
  try {
    const session = await InferenceSession.create(model, { executionProviders: ['webgpu'] });
    await session.release();
    return null;
  } catch (error) {
    return describeWebGpuFailure(error instanceof Error ? error.message : String(error));
  }
}

/** Why the WebGPU provider could not start, from onnxruntime's message and the machine. */
export function describeWebGpuFailure(message: string, facts: VulkanFacts = vulkanFacts()): string {
  if (!facts.loaderFound) {
    return "no Vulkan loader (libvulkan.so.1) on this machine: install the Debian package libvulkan1 and the GPU driver's Vulkan support (NVIDIA: nvidia-vulkan-icd), or set DEVICE=cpu";
  }
  if (facts.driverFiles.length === 0) {
    return `the Vulkan loader found no driver (no ICD file in ${ICD_DIRS.join(', ')}): install the GPU driver's Vulkan support (NVIDIA: nvidia-vulkan-icd), or set DEVICE=cpu`;
  }
  const detail = message.split('\n')[0]!.replace(/^.*(Failed to get a WebGPU)/, '$1');
  return `no usable WebGPU adapter (Vulkan drivers: ${facts.driverFiles.join(', ')}; onnxruntime: ${detail}); a GPU with a Vulkan driver is needed (software drivers such as lavapipe are refused), or set DEVICE=cpu`;
}

/**
 * The GPUs as Linux lists them, for the start-up line: onnxruntime-node does not expose
 * Dawn's adapter information to JavaScript.
 */
export function describeGpus(): string {
  const nvidia = '/proc/driver/nvidia/gpus';
  try {
    const models = readdirSync(nvidia).flatMap((bus) => {
      const info = readFileSync(join(nvidia, bus, 'information'), 'utf8');
      const model = /^Model:\s*(.+)$/m.exec(info)?.[1]?.trim();
      return model ? [model] : [];
    });
    if (models.length > 0) {
      return `GPU: ${models.join(', ')}`;
    }
  } catch {
    // No NVIDIA driver: look at the DRM devices.
  }
  const vendors: Record<string, string> = {
    '0x10de': 'NVIDIA',
    '0x1002': 'AMD',
    '0x8086': 'Intel',
  };
  try {
    const cards = readdirSync('/sys/class/drm').filter((name) => /^card\d+$/.test(name));
    const listed = cards.flatMap((card) => {
      try {
        const vendor = readFileSync(`/sys/class/drm/${card}/device/vendor`, 'utf8').trim();
        const device = readFileSync(`/sys/class/drm/${card}/device/device`, 'utf8').trim();
        return [`${vendors[vendor] ?? vendor} ${device}`];
      } catch {
        return [];
      }
    });
    if (listed.length > 0) {
      return `GPU: ${listed.join(', ')}`;
    }
  } catch {
    // No DRM devices listed.
  }
  return 'the kernel lists no GPU by name';
}
