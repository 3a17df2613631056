import {
  defaultGenerationParams,
  type GenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';

/** The default parameters at temperature 0 (deterministic output), with the test's overrides. */
export const greedyParams = (overrides: Partial<GenerationParams> = {}): GenerationParams => ({
  ...defaultGenerationParams,
  temperature: 0,
  ...overrides,
});
