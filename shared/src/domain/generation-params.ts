import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

/**
 * Generation parameters: this one schema gives the API's validation, the OpenAPI document,
 * the engine's check of every row it runs, the defaults, and how a stored job's params are
 * read back. Limits are product limits, documented in the README.
 */
export const generationLimits = {
  maxNewTokens: 1024,
  maxStopSequences: 4,
  maxStopSequenceChars: 64,
  maxTopK: 50_257,
  maxSeed: 2 ** 32 - 1,
} as const;

export const GenerationParamsSchema = Type.Object(
  {
    max_new_tokens: Type.Integer({
      minimum: 1,
      maximum: generationLimits.maxNewTokens,
      default: 64,
    }),
    temperature: Type.Number({ minimum: 0, maximum: 5, default: 1, description: '0 = greedy' }),
    top_k: Type.Integer({
      minimum: 0,
      maximum: generationLimits.maxTopK,
      default: 0,
      description: '0 = off',
    }),
    top_p: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1 }),
    repetition_penalty: Type.Number({ minimum: 1, maximum: 10, default: 1 }),
    stop: Type.Array(
      Type.String({ minLength: 1, maxLength: generationLimits.maxStopSequenceChars }),
      { maxItems: generationLimits.maxStopSequences, default: [] },
    ),
    seed: Type.Union(
      [Type.Integer({ minimum: 0, maximum: generationLimits.maxSeed }), Type.Null()],
      {
        default: null,
        description: 'null = random',
      },
    ),
  },
  { additionalProperties: false },
);

export type GenerationParams = Static<typeof GenerationParamsSchema>;

/**
 * Fills the fields a caller left out with the schema's defaults (the only place they are
 * written). Validation happens at the edge; the input is not modified.
 */
export function resolveGenerationParams(partial: Partial<GenerationParams>): GenerationParams {
  return Value.Default(GenerationParamsSchema, structuredClone(partial)) as GenerationParams;
}

export const defaultGenerationParams: GenerationParams = resolveGenerationParams({});

/**
 * A stored job's params as this version of the code knows them. A job queued before a
 * deploy that added a parameter has no value for it: it takes the default, so the job
 * still runs and an idempotent retry (which resolves the same default) matches it. A
 * parameter since removed is dropped. Values are not checked here: the engine checks each
 * row with {@link generationParamsProblem} and fails the job naming the field.
 */
export function storedGenerationParams(raw: unknown): GenerationParams {
  const record = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {};
  return Value.Clean(GenerationParamsSchema, resolveGenerationParams(record)) as GenerationParams;
}

const paramsValidator = Compile(GenerationParamsSchema);

/**
 * Why these params cannot run, in the API's words (`temperature must be <= 5`), or null.
 * The engine runs it on every row so a stored job that bypassed the API (or was written
 * under other limits) fails with the reason instead of as NaN logits mid-batch.
 */
export function generationParamsProblem(params: unknown): string | null {
  if (paramsValidator.Check(params)) {
    return null;
  }
  const errors = [...paramsValidator.Errors(params)];
  // A nullable field (anyOf [T, null]) reports its branch errors too; keep the specific
  // one. `boolean` is the per-field twin of the additionalProperties summary.
  const specific = errors.filter(
    (e) => e.keyword !== 'anyOf' && e.keyword !== 'boolean' && e.message !== 'must be null',
  );
  return (specific.length > 0 ? specific : errors)
    .map((e) => {
      const field = e.instancePath.replace(/^\//, '');
      return field === '' ? `params ${e.message}` : `${field} ${e.message}`;
    })
    .join('; ');
}
