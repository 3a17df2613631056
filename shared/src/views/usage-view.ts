import Type, { type Static } from 'typebox';
import type { BatchUsage } from '../domain/job.ts';

/** Tokens as the API shows them: a row's (result.usage) and a batch's sum alike. */
export const UsageViewSchema = Type.Object({
  prompt_tokens: Type.Integer({ minimum: 0 }),
  completion_tokens: Type.Integer({ minimum: 0 }),
  total_tokens: Type.Integer({ minimum: 0 }),
});
export type UsageView = Static<typeof UsageViewSchema>;

export function toUsageView(usage: BatchUsage): UsageView {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
