/**
 * The API's limits: the same field names as shared's Config, so `limits: config` works. They come from configuration (the variable names are in brackets) and
 * are applied at the edge, so invalid input never reaches the store or the queue. The
 * OpenAPI document shows the values in force, because the schemas are built from them.
 *
 * | limit               | variable           | what happens past it                                   |
 * |---------------------|--------------------|--------------------------------------------------------|
 * | request body        | MAX_BODY_BYTES     | 413 payload_too_large (checked while reading the body) |
 * | prompt length       | MAX_PROMPT_CHARS   | 400 validation_failed naming the field                 |
 * | empty prompt        | -                  | 400 "prompt must not be empty"                         |
 * | items in a batch    | MAX_BATCH_ITEMS    | 400 validation_failed (at least 1 item, unique custom_id) |
 * | JSONL line          | derived            | 400 naming the line: maxPromptChars * 6 + 8 KiB bytes  |
 * | Prefer: wait / ?wait | MAX_WAIT_SECONDS  | Prefer is capped (Preference-Applied says by how much); ?wait above it is a 400 |
 * | max_new_tokens etc. | generation-params.ts | 400 validation_failed (product limits, in the schema) |
 * | prompt + max_new_tokens | model's n_positions | 400 validation_failed naming both (prompt-fit.ts) |
 * | custom_id           | -                  | 1..64 characters                                       |
 * | Idempotency-Key     | -                  | 1..255 visible ASCII characters                        |
 */
export interface ApiLimits {
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
  /** Longest prompt, in characters (UTF-16 code units, as JSON Schema's maxLength counts). */
  maxPromptChars: number;
  /** Most items in one batch. */
  maxBatchItems: number;
  /** Longest hold of a response for `Prefer: wait=N` or `?wait=N`, in seconds. */
  maxWaitSeconds: number;
}

export const customIdMaxChars = 64;
export const idempotencyKeyMaxChars = 255;

/**
 * A JSONL line carries one item: the prompt (each character can take up to 6 bytes as a
 * JSON \u escape), a custom_id and params. Lines past this are refused before parsing.
 */
export function maxJsonlLineBytes(limits: ApiLimits): number {
  return limits.maxPromptChars * 6 + 8 * 1024;
}
