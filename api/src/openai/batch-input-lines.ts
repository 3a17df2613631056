import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { type PromptTokens, promptFitProblem } from '@warmgen/shared/domain/prompt-length.ts';
import type { BatchLineError } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { FastifySchemaValidationError } from 'fastify';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { ApiLimits } from '../api-limits.ts';
import type { PromptTokensOf } from '../prompt-fit.ts';
import { customIdSchema } from '../schemas/common-schemas.ts';
import { describeSchemaErrors } from '../schemas/validation-messages.ts';
import { type CompletionBody, completionBodySchema } from './completion-body.ts';
import { completionParams } from './completion-params.ts';
import { dottedPath } from './openai-error.ts';

/** Errors reported per file, as OpenAI's batch `errors.data` (the first ones suffice to fix it). */
const maxReportedErrors = 100;

export interface BatchInputLine {
  customId: string;
  prompt: string;
  params: GenerationParams;
}

export interface BatchInputCheck {
  lines: BatchInputLine[];
  errors: BatchLineError[];
  /** Request lines seen (blank lines are not requests). */
  total: number;
}

export interface BatchInputRules {
  limits: ApiLimits;
  endpoint: string;
  modelName: string;
  maxLines: number;
  /** The model's prompt counter: a line past its positions is an error naming the line. */
  promptTokens: PromptTokensOf;
}

/**
 * Reads a batch input file line by line as it streams from the file store and checks
 * every line the way OpenAI's validation does: JSON, `custom_id` unique, `method` POST,
 * `url` the batch's endpoint, a completion body for the served model, one prompt a line.
 * Every problem becomes an error naming its 1-based line; a file with any error runs no
 * line at all.
 */
export function createBatchInputChecker(
  rules: BatchInputRules,
): (content: AsyncIterable<Uint8Array>) => Promise<BatchInputCheck> {
  const lineSchema = Type.Object(
    {
      custom_id: customIdSchema,
      method: Type.String(),
      url: Type.String(),
      body: completionBodySchema(rules.limits),
    },
    { additionalProperties: false },
  );
  const validator = Compile(lineSchema);

  return async (content) => {
    const tokens = rules.promptTokens();
    const errors: BatchLineError[] = [];
    const lines: BatchInputLine[] = [];
    const lineOfCustomId = new Map<string, number>();
    const report = (error: BatchLineError) => {
      if (errors.length < maxReportedErrors) {
        errors.push(error);
      }
    };
    let total = 0;
    let lineNumber = 0;
    const reader = createInterface({ input: Readable.from(content), crlfDelay: Infinity });
    for await (const text of reader) {
      lineNumber += 1;
      if (text.trim() === '') {
        continue;
      }
      total += 1;
      if (total > rules.maxLines) {
        continue;
      }
      const line = lineNumber;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        report({
          code: 'invalid_json_line',
          message: `line ${line} is not valid JSON`,
          line,
          param: null,
        });
        continue;
      }
      if (!validator.Check(value)) {
        const errs = validator.Errors(value) as unknown as FastifySchemaValidationError[];
        const [detail] = describeSchemaErrors(errs, '').sort(
          (a, b) => b.field.split('/').length - a.field.split('/').length,
        );
        const param = detail
          ? dottedPath(detail.field.split('/').filter((part) => part !== ''))
          : null;
        report({
          code: 'invalid_request',
          message: `line ${line}: ${param ?? 'the line'} ${detail?.message ?? 'is invalid'}`,
          line,
          param,
        });
        continue;
      }
      const request = value as {
        custom_id: string;
        method: string;
        url: string;
        body: CompletionBody;
      };
      const problem = lineProblem(request, rules) ?? lengthProblem(request.body, tokens);
      if (problem !== null) {
        report({ ...problem, message: `line ${line}: ${problem.message}`, line });
        continue;
      }
      const firstLine = lineOfCustomId.get(request.custom_id);
      if (firstLine !== undefined) {
        report({
          code: 'duplicate_custom_id',
          message: `line ${line}: custom_id "${request.custom_id}" repeats line ${firstLine}; each request needs its own`,
          line,
          param: 'custom_id',
        });
        continue;
      }
      lineOfCustomId.set(request.custom_id, line);
      lines.push({
        customId: request.custom_id,
        prompt: request.body.prompt as string,
        params: completionParams(request.body),
      });
    }
    if (total > rules.maxLines) {
      errors.unshift({
        code: 'too_many_requests',
        message: `the file has ${total} requests; a batch takes at most ${rules.maxLines}`,
        line: null,
        param: null,
      });
    }
    if (total === 0) {
      errors.push({
        code: 'empty_file',
        message: 'the file has no requests',
        line: null,
        param: null,
      });
    }
    return { lines, errors, total };
  };
}

/** A line's prompt + max_tokens past the model's positions, as OpenAI names it. */
function lengthProblem(
  body: CompletionBody,
  tokens: PromptTokens | null,
): Omit<BatchLineError, 'line'> | null {
  const problem =
    tokens === null || typeof body.prompt !== 'string'
      ? null
      : promptFitProblem(tokens, body.prompt, completionParams(body).max_new_tokens, {
          prompt: 'body.prompt',
          maxNewTokens: 'body.max_tokens',
        });
  return problem === null
    ? null
    : { code: 'context_length_exceeded', message: problem, param: 'body.prompt' };
}

/** What a well-formed line may still get wrong, checked in the order OpenAI reports. */
function lineProblem(
  request: { method: string; url: string; body: CompletionBody },
  rules: BatchInputRules,
): Omit<BatchLineError, 'line'> | null {
  if (request.method !== 'POST') {
    return {
      code: 'invalid_method',
      message: `method must be POST, got "${request.method}"`,
      param: 'method',
    };
  }
  if (request.url !== rules.endpoint) {
    return {
      code: 'invalid_url',
      message: `url must be the batch's endpoint ${rules.endpoint}, got "${request.url}"`,
      param: 'url',
    };
  }
  if (request.body.model !== rules.modelName) {
    return {
      code: 'model_not_found',
      message: `model "${request.body.model}" does not exist; this server serves "${rules.modelName}"`,
      param: 'body.model',
    };
  }
  if (typeof request.body.prompt !== 'string') {
    return {
      code: 'invalid_request',
      message: 'body.prompt must be one string in a batch line',
      param: 'body.prompt',
    };
  }
  if (request.body.stream === true) {
    return {
      code: 'invalid_request',
      message: 'body.stream: true is not supported in a batch',
      param: 'body.stream',
    };
  }
  return null;
}
