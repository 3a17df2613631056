import { resolve } from 'node:path';
import { type BuildProgress, buildModelFolder } from './build-model.ts';
import { parseCliArgs, USAGE } from './cli-args.ts';

/** `npm run model:build -- --size tiny|small --out DIR [--seed N]` */
const command = parseCliArgs(process.argv.slice(2));
if (command.kind === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else if (command.kind === 'usage-error') {
  process.stderr.write(`model:build: ${command.message}\n\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  const outDir = resolve(command.outDir);
  try {
    const summary = await buildModelFolder({
      size: command.size,
      outDir,
      seed: command.seed,
      onProgress: progressReporter(),
    });
    const count = (n: number): string => n.toLocaleString('en-US');
    process.stdout.write(
      `built ${command.size} model (seed ${command.seed}) in ${summary.dir}: ` +
        `${count(summary.parameters)} parameters, ${count(summary.bytes)} bytes, ` +
        `${summary.seconds.toFixed(1)} s\n`,
    );
  } catch (error) {
    process.stderr.write(`model:build: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** One stderr line per 10% of the external weight file (only the small model streams one). */
function progressReporter(): (progress: BuildProgress) => void {
  let reported = 0;
  return ({ bytesWritten, totalBytes }) => {
    const percent = Math.floor((100 * bytesWritten) / totalBytes);
    if (percent >= reported + 10 || (bytesWritten === totalBytes && reported < 100)) {
      reported = percent - (percent % 10);
      process.stderr.write(
        `weights: ${percent}% (${(bytesWritten / 1e6).toFixed(0)} / ${(totalBytes / 1e6).toFixed(0)} MB)\n`,
      );
    }
  };
}
