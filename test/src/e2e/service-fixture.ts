import { rm } from 'node:fs/promises';
import { after, afterEach } from 'node:test';
import {
  newDataDir,
  type ServiceOptions,
  type ServiceProcess,
  startService,
} from './service-process.ts';

/** Lines of a failing test's service output worth reading; the rest is the happy path. */
const logTailLines = 200;

/**
 * Call once inside a describe(): services started through it are killed in `after` (and on
 * any exit of the test process, see service-process.ts), their data folders removed, and
 * when a test fails the output of every service it started is printed.
 */
export function useServices() {
  const all: ServiceProcess[] = [];
  const dataDirs: string[] = [];
  let startedInTest: ServiceProcess[] = [];

  afterEach((t) => {
    // TestContext.passed (Node >= 21.7) is missing from @types/node.
    if ((t as { passed?: boolean }).passed === false) {
      for (const service of startedInTest) {
        const lines = service.logs().trimEnd().split('\n');
        process.stderr.write(
          `\n--- output of the service on port ${service.port} (pid ${service.pid}, ` +
            `last ${Math.min(lines.length, logTailLines)} of ${lines.length} lines) for "${t.name}" ---\n` +
            `${lines.slice(-logTailLines).join('\n')}\n--- end of output ---\n`,
        );
      }
    }
    startedInTest = [];
  });

  after(async () => {
    await Promise.all(all.map((service) => service.kill()));
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** A fresh data folder, removed after the suite. */
  async function dataDir(): Promise<string> {
    const dir = await newDataDir();
    dataDirs.push(dir);
    return dir;
  }

  async function start(options: ServiceOptions = {}): Promise<ServiceProcess> {
    const service = await startService({
      ...options,
      dataDir: options.dataDir ?? (await dataDir()),
    });
    all.push(service);
    startedInTest.push(service);
    return service;
  }

  return { dataDir, start };
}
