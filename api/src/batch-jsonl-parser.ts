import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { FastifySchemaValidationError } from 'fastify';
import { Compile } from 'typebox/compile';
import { ApiError } from './api-error.ts';
import { type ApiLimits, maxJsonlLineBytes } from './api-limits.ts';
import { parseJson } from './json-body-parser.ts';
import { assertPromptsFit, type PromptTokensOf } from './prompt-fit.ts';
import { type BatchItem, batchItemSchema } from './schemas/batch-request.ts';
import { describeSchemaErrors, detailsToMessage } from './schemas/validation-messages.ts';

/**
 * A JSONL batch upload: one item object per line, blank lines ignored (a trailing newline
 * is normal). Errors name the 1-based line: `line 3/params/temperature must be <= 5`, and
 * `line 3: prompt (900 tokens) + params.max_new_tokens (200) exceeds ...` past the model.
 * The result has the JSON body's shape, `{items}`, so one route serves both.
 */
export function createBatchJsonlParser(
  limits: ApiLimits,
  promptTokens: PromptTokensOf = () => null,
): (text: string) => { items: BatchItem[] } {
  const itemValidator = Compile(batchItemSchema(limits));
  const maxLineBytes = maxJsonlLineBytes(limits);

  return (text) => {
    const tokens = promptTokens();
    const lines = text.split('\n');
    const items: BatchItem[] = [];
    const lineOfItem: number[] = [];
    for (let index = 0; index < lines.length; index++) {
      const line = (lines[index] ?? '').replace(/\r$/, '');
      const lineNumber = index + 1;
      if (line.trim() === '') {
        continue;
      }
      if (Buffer.byteLength(line) > maxLineBytes) {
        throw new ApiError(
          'validation_failed',
          `line ${lineNumber} is longer than ${maxLineBytes} bytes`,
          [{ field: `line ${lineNumber}`, message: `is longer than ${maxLineBytes} bytes` }],
        );
      }
      if (items.length === limits.maxBatchItems) {
        throw new ApiError(
          'validation_failed',
          `body has more than ${limits.maxBatchItems} items (line ${lineNumber} is one too many)`,
          [{ field: 'body', message: `must not have more than ${limits.maxBatchItems} items` }],
        );
      }
      const value = parseJson(line, `line ${lineNumber}`);
      if (!itemValidator.Check(value)) {
        const errors = itemValidator.Errors(value) as unknown as FastifySchemaValidationError[];
        const details = describeSchemaErrors(errors, `line ${lineNumber}`);
        throw new ApiError('validation_failed', detailsToMessage(details), details);
      }
      const maxNewTokens = resolveGenerationParams(value.params ?? {}).max_new_tokens;
      assertPromptsFit(tokens, [
        { prompt: value.prompt, maxNewTokens, where: `line ${lineNumber}` },
      ]);
      items.push(value);
      lineOfItem.push(lineNumber);
    }
    if (items.length === 0) {
      throw new ApiError('validation_failed', 'body has no items; send one JSON object per line', [
        { field: 'body', message: 'must have at least 1 item' },
      ]);
    }
    const duplicate = findDuplicateCustomId(items);
    if (duplicate) {
      const line = lineOfItem[duplicate.index];
      const firstLine = lineOfItem[duplicate.firstIndex];
      throw duplicateError(`line ${line}`, `line ${firstLine}`, duplicate.customId);
    }
    return { items };
  };
}

export interface DuplicateCustomId {
  customId: string;
  index: number;
  firstIndex: number;
}

export function findDuplicateCustomId(items: readonly BatchItem[]): DuplicateCustomId | null {
  const firstIndexById = new Map<string, number>();
  for (let index = 0; index < items.length; index++) {
    const customId = items[index]?.custom_id ?? '';
    const firstIndex = firstIndexById.get(customId);
    if (firstIndex !== undefined) {
      return { customId, index, firstIndex };
    }
    firstIndexById.set(customId, index);
  }
  return null;
}

/** Duplicates are well-formed JSON that cannot be processed: 422, naming both places. */
export function duplicateError(where: string, firstWhere: string, customId: string): ApiError {
  return new ApiError(
    'duplicate_custom_id',
    `${where}/custom_id "${customId}" repeats the custom_id of ${firstWhere}; each item needs its own`,
    [{ field: `${where}/custom_id`, message: `repeats ${firstWhere}` }],
  );
}
