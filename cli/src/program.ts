import { createWarmgenClient } from '@warmgen/client/client.ts';
import { Command, CommanderError } from 'commander';
import { loadCliConfig } from './cli-config.ts';
import type { CliContext } from './cli-context.ts';
import { toCliError } from './cli-error.ts';
import { cancel } from './commands/cancel.ts';
import { generate } from './commands/generate.ts';
import { retry } from './commands/retry.ts';
import { status } from './commands/status.ts';
import { submit } from './commands/submit.ts';
import { exitCodes } from './exit-codes.ts';
import { integerArgument, numberArgument } from './number-arguments.ts';

export interface CliDeps {
  env: Record<string, string | undefined>;
  stdout: CliContext['stdout'];
  stderr: CliContext['stderr'];
  interrupted: AbortSignal;
}

const exitCodeHelp = `
Environment:
  WARMGEN_URL      the API (default http://localhost:8080, where npm start listens)
  WARMGEN_API_KEY  the API key, sent as a bearer token (unset for an open server)

Exit codes:
  0    done: everything succeeded
  1    done, but some rows (or the job) failed or were canceled
  2    usage: a bad flag, argument or file line (the message names it)
  3    the server or the network failed (unreachable, 5xx, 429)
  130  interrupted (Ctrl-C): the work keeps running on the server`;

/**
 * The `warmgen` command line (commander): parses `argv`, runs one command, and resolves
 * to the exit code. Reads nothing global: main hands it the environment, the streams and
 * the Ctrl-C signal, so tests can run it as is.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  let exitCode: number = exitCodes.ok;
  // Built when a command runs, so `--help` works whatever the environment holds.
  const context = (): CliContext => {
    const config = loadCliConfig(deps.env);
    return {
      client: createWarmgenClient({ baseUrl: config.baseUrl, apiKey: config.apiKey }),
      stdout: deps.stdout,
      stderr: deps.stderr,
      interrupted: deps.interrupted,
    };
  };

  const program = new Command('warmgen')
    .description('Submit prompts to warmgen and read the results.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
      outputError: (text, write) => write(`warmgen: ${text.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(warmgen --help lists the commands; warmgen help COMMAND their flags)')
    .addHelpText('after', exitCodeHelp);

  program
    .command('submit')
    .description(
      'Submit a JSONL file (one {"custom_id", "prompt", "params"?} object per line) as a batch, show ' +
        'its progress and write its results in input order. The same command again resumes the batch.',
    )
    .argument('<file>', 'the JSONL file of prompts')
    .option('-o, --out <file>', 'where the results go (JSONL, input order); default stdout')
    .option('--no-resume', 'submit a new batch even if this file was submitted before')
    .option(
      '--interval-ms <ms>',
      'how often to read the progress',
      integerArgument(50, 600_000),
      1000,
    )
    .action(
      async (file: string, options: { out?: string; resume: boolean; intervalMs: number }) => {
        exitCode = await submit(context(), file, options);
      },
    );

  program
    .command('generate')
    .description('Submit one prompt; print its job id, or with --wait its text.')
    .argument('<prompt>', 'the text to continue')
    .option('-n, --max-new-tokens <n>', 'tokens to generate', integerArgument(1))
    .option('-t, --temperature <t>', 'sampling temperature (0 = greedy)', numberArgument)
    .option('--seed <seed>', 'same seed, prompt and params give the same text', integerArgument(0))
    .option('-w, --wait', 'wait for the job and print its text', false)
    .action(
      async (
        prompt: string,
        options: { maxNewTokens?: number; temperature?: number; seed?: number; wait: boolean },
      ) => {
        exitCode = await generate(context(), prompt, options);
      },
    );

  program
    .command('status')
    .description('Show a job or a batch.')
    .argument('<id>', 'a job id (job_…) or a batch id (batch_…)')
    .option('--json', 'print the whole object as JSON', false)
    .action(async (id: string, options: { json: boolean }) => {
      exitCode = await status(context(), id, options);
    });

  program
    .command('cancel')
    .description('Cancel a job or every unfinished row of a batch.')
    .argument('<id>', 'a job id (job_…) or a batch id (batch_…)')
    .action(async (id: string) => {
      exitCode = await cancel(context(), id);
    });

  program
    .command('retry')
    .description(
      'Run the failed and canceled rows of a finished batch again, show its progress and write all ' +
        'its results in input order.',
    )
    .argument('<batch>', 'a batch id (batch_…)')
    .option('-o, --out <file>', 'where the results go (JSONL, input order); default stdout')
    .option(
      '--interval-ms <ms>',
      'how often to read the progress',
      integerArgument(50, 600_000),
      1000,
    )
    .action(async (batchId: string, options: { out?: string; intervalMs: number }) => {
      exitCode = await retry(context(), batchId, options);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help is a success; a bad flag, a missing argument or an unknown command is usage.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    const cliError = toCliError(error);
    deps.stderr.write(`warmgen: ${cliError.message}\n`);
    return cliError.exitCode;
  }
}
