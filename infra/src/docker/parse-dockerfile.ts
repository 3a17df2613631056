import { posix } from 'node:path';

/**
 * A Dockerfile read the way the checks need it: stages, their instructions with
 * line continuations joined and comments dropped, and for the final stage what lands
 * where in the image and what command it runs. Not a full parser (no heredocs, no
 * variable expansion).
 */
export interface DockerInstruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  readonly arguments: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface DockerStage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly DockerInstruction[];
}

export function parseDockerfile(text: string): DockerStage[] {
  const stages: { base: string; name: string | undefined; instructions: DockerInstruction[] }[] =
    [];
  const lines = text.split(/\r?\n/);
  let pending = '';
  let startLine = 0;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    if (pending === '') {
      startLine = index + 1;
    }
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = pending + line;
    pending = '';
    const match = /^(\w+)\s+([\s\S]*)$/.exec(whole);
    if (!match) {
      continue;
    }
    const instruction = {
      keyword: (match[1] ?? '').toUpperCase(),
      arguments: match[2] ?? '',
      line: startLine,
    };
    if (instruction.keyword === 'FROM') {
      const words = instruction.arguments.split(/\s+/).filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toLowerCase() === 'as');
      stages.push({
        base: words[0] ?? '',
        name: as === -1 ? undefined : words[as + 1],
        instructions: [],
      });
    } else {
      // Instructions before the first FROM (global ARGs) belong to no stage.
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** One COPY from the build context into the image. */
export interface ContextCopy {
  /** Paths in the build context (the repository root). */
  readonly sources: readonly string[];
  /** Absolute destination in the image. */
  readonly destination: string;
  /** A trailing slash or several sources: the sources land inside the destination. */
  readonly intoDirectory: boolean;
}

export interface FinalImage {
  readonly copies: readonly ContextCopy[];
  /** ENTRYPOINT + CMD in exec form; undefined when either is in shell form or both are missing. */
  readonly command: readonly string[] | undefined;
  /** Why command is undefined, for the report. */
  readonly commandProblem: string | undefined;
  readonly workdir: string;
  /** The last USER, if any. */
  readonly user: string | undefined;
  readonly env: ReadonlyMap<string, string>;
}

/** What the last stage puts into the image from the build context, and what it runs. */
export function finalImage(stages: readonly DockerStage[]): FinalImage {
  const last = stages.at(-1);
  let workdir = '/';
  let user: string | undefined;
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let commandProblem: string | undefined;
  const copies: ContextCopy[] = [];
  const env = new Map<string, string>();
  for (const { keyword, arguments: args, line } of last?.instructions ?? []) {
    if (keyword === 'WORKDIR') {
      workdir = posix.resolve(workdir, args.trim());
    } else if (keyword === 'USER') {
      user = args.trim();
    } else if (keyword === 'ENV') {
      for (const [, name = '', value = ''] of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) {
        env.set(name, value.replace(/^"|"$/g, ''));
      }
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const words = args.split(/\s+/).filter((word) => word !== '');
      if (words.some((word) => word.startsWith('--from='))) {
        continue;
      }
      const paths = words.filter((word) => !word.startsWith('--'));
      const destination = paths.at(-1) ?? '.';
      const sources = paths.slice(0, -1).map((source) => posix.normalize(source));
      copies.push({
        sources,
        destination: posix.resolve(workdir, destination),
        intoDirectory: destination.endsWith('/') || sources.length > 1,
      });
    } else if (keyword === 'ENTRYPOINT' || keyword === 'CMD') {
      const form = execForm(args);
      if (form === undefined) {
        commandProblem = `${keyword} on line ${line} is in shell form: /bin/sh would be PID 1 and SIGTERM would not reach Node`;
      } else if (keyword === 'ENTRYPOINT') {
        entrypoint = form;
      } else {
        cmd = form;
      }
    }
  }
  const command = [...entrypoint, ...cmd];
  if (commandProblem === undefined && command.length === 0) {
    commandProblem = 'the final stage has no ENTRYPOINT or CMD';
  }
  return {
    copies,
    command: commandProblem === undefined ? command : undefined,
    commandProblem,
    workdir,
    user,
    env,
  };
}

function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where an image path came from in the build context, given the final stage's copies
 * (later copies win). `isDirectory` says whether a context path is a folder, whose
 * contents Docker copies into the destination.
 */
export function contextPathOf(
  imagePath: string,
  copies: readonly ContextCopy[],
  isDirectory: (contextPath: string) => boolean,
): string | undefined {
  for (const copy of [...copies].reverse()) {
    for (const source of copy.sources) {
      const directory = isDirectory(source);
      const landing =
        copy.intoDirectory && !directory
          ? posix.join(copy.destination, posix.basename(source))
          : copy.destination;
      if (directory && (imagePath === landing || imagePath.startsWith(`${landing}/`))) {
        return posix.join(source, posix.relative(landing, imagePath));
      }
      if (!directory && imagePath === landing) {
        return source;
      }
    }
  }
  return undefined;
}
