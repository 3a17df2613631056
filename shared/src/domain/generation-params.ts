import Type, { type Static } from 'typebox';

/**
 * Generation parameters: one schema gives the API's validation, the OpenAPI document and
 * the defaults the worker applies. Limits are product limits, documented in the README.
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

export const defaultGenerationParams: GenerationParams = {
  max_new_tokens: 64,
  temperature: 1,
  top_k: 0,
  top_p: 1,
  repetition_penalty: 1,
  stop: [],
  seed: null,
};

/** Applies defaults to the fields a caller left out. Validation happens at the edge. */
export function resolveGenerationParams(partial: Partial<GenerationParams>): GenerationParams {
  return { ...defaultGenerationParams, ...partial };
}
