import { type ConfigurationName, DESCRIPTIONS } from './bench-configurations.ts';

/** The engine benchmark's table and target lines. */
export interface ConfigurationSummary {
  name: ConfigurationName;
  prompts: number;
  newTokens: number;
  /** Sum of the trials' wall times. */
  seconds: number;
  tokensPerSecond: number;
  tokensPerSecondByRound: number[];
  /** Model load (load-per-request: the mean of its per-prompt loads). */
  loadSeconds: number;
  /** Peak resident memory of the configuration's own process (ru_maxrss = VmHWM). */
  peakRssMb: number;
  /** engine-long only: ms of a 32-row decode step by past length. */
  stepMsByPast?: Record<string, number>;
  /** engine-admission only: running rows' ms per token with and without a newcomer's prefill. */
  admission?: { plainStepMs: number; admittingStepMs: number; prefillTokensPerStep: number };
}

const RSS_TARGET_MB = 1536;

export function table(summaries: readonly ConfigurationSummary[]): string {
  const header = [
    'configuration',
    'prompts',
    'new tokens',
    'seconds',
    'tokens/s',
    'load s',
    'peak RSS MB',
  ];
  const rows = summaries.map((s) => [
    `${s.name}: ${DESCRIPTIONS[s.name]}`,
    String(s.prompts),
    String(s.newTokens),
    s.seconds.toFixed(1),
    s.tokensPerSecond.toFixed(1),
    s.loadSeconds.toFixed(2),
    s.peakRssMb.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => `${'-'.repeat(i === 0 ? w + 2 : w + 1)}${i === 0 ? '' : ':'}`).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * Targets (issue 11): the engine >= 1.0x transformers.js generate() at batch 1 and >= 1.25x
 * at batch 32; a 32-row decode step at past 400 <= 2x the step at past 40; RSS <= 1.5 GB.
 */
export function ratioLines(summaries: readonly ConfigurationSummary[]): string[] {
  const find = (name: ConfigurationName) => summaries.find((s) => s.name === name);
  const lines: string[] = [];
  const compare = (name: ConfigurationName, baseline: ConfigurationName, target: number | null) => {
    const engine = find(name);
    const base = find(baseline);
    if (!engine || !base) {
      return;
    }
    const ratio = engine.tokensPerSecond / base.tokensPerSecond;
    const perRound = engine.tokensPerSecondByRound
      .map((rate, i) => (rate / base.tokensPerSecondByRound[i]!).toFixed(2))
      .join(', ');
    const verdict =
      target === null ? '' : `target >= ${target}x: ${ratio >= target ? 'met' : 'NOT met'}; `;
    lines.push(
      `${name} / ${baseline}: ${ratio.toFixed(2)}x tokens/s (${verdict}by round: ${perRound})`,
    );
  };
  compare('engine-batch-1', 'generate-batch-1', 1.0);
  compare('engine-batch-8', 'generate-batch-8', null);
  compare('engine-batch-32', 'generate-batch-32', 1.25);
  compare('engine-q8-batch-1', 'generate-batch-1', 2);
  compare('engine-q8-batch-32', 'generate-batch-32', 2);
  const long = find('engine-long');
  if (long?.stepMsByPast) {
    const at = long.stepMsByPast;
    const ratio = (at['400'] ?? Number.NaN) / (at['40'] ?? Number.NaN);
    lines.push(
      `engine-long: 32-row decode step ${Object.entries(at)
        .map(([p, ms]) => `${ms.toFixed(1)} ms at past ${p}`)
        .join(', ')}; ` +
        `400 / 40 = ${ratio.toFixed(2)}x (target <= 2x: ${ratio <= 2 ? 'met' : 'NOT met'})`,
    );
  }
  const admission = find('engine-admission')?.admission;
  if (admission) {
    lines.push(
      `engine-admission: 24 running rows take ${admission.plainStepMs.toFixed(1)} ms per token, ` +
        `${admission.admittingStepMs.toFixed(1)} ms in a step that also prefills a newcomer's chunk ` +
        `(<= ${admission.prefillTokensPerStep} prompt tokens): ${(admission.admittingStepMs / admission.plainStepMs).toFixed(2)}x`,
    );
  }
  const engines = summaries.filter((s) => s.name.startsWith('engine-batch'));
  if (engines.length > 0) {
    const peak = Math.max(...engines.map((s) => s.peakRssMb));
    lines.push(
      `engine process peak RSS (small model loaded, largest batch run): ${peak.toFixed(0)} MB ` +
        `(target <= ${RSS_TARGET_MB} MB: ${peak <= RSS_TARGET_MB ? 'met' : 'NOT met'})`,
    );
  }
  const naive = find('load-per-request');
  const batch32 = find('engine-batch-32');
  if (naive && batch32) {
    const ratio = batch32.tokensPerSecond / naive.tokensPerSecond;
    lines.push(`engine-batch-32 vs load-per-request: ${ratio.toFixed(1)}x the tokens/s`);
  }
  return lines;
}
