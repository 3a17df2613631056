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

/** Targets: batch 32 >= 4x the warm pipeline, batch 1 within 10% of it, RSS <= 1.5 GB. */
export function ratioLines(summaries: readonly ConfigurationSummary[]): string[] {
  const find = (name: ConfigurationName) => summaries.find((s) => s.name === name);
  const pipeline = find('pipeline-warm');
  const lines: string[] = [];
  const compare = (name: ConfigurationName, target: number) => {
    const engine = find(name);
    if (!engine || !pipeline) {
      return;
    }
    const ratio = engine.tokensPerSecond / pipeline.tokensPerSecond;
    const perRound = engine.tokensPerSecondByRound
      .map((rate, i) => (rate / pipeline.tokensPerSecondByRound[i]!).toFixed(2))
      .join(', ');
    lines.push(
      `${name}: ${ratio.toFixed(2)}x the warm pipeline's tokens/s ` +
        `(target >= ${target}x: ${ratio >= target ? 'met' : 'NOT met'}; by round: ${perRound})`,
    );
  };
  compare('engine-batch-32', 4);
  compare('engine-batch-1', 0.9);
  const engines = summaries.filter((s) => s.name.startsWith('engine-'));
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
