import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configDefaults } from './config-defaults.ts';
import { loadConfig } from './load-config.ts';
import type { Env } from './parse-env.ts';

/**
 * The defaults object, its comments and the README's configuration tables say the same:
 * each field's comment names its variable and ends in `@default` with the field's value, and
 * the README row of that variable shows the same default. A default changed in one place
 * only fails here, naming the variable.
 */
const defaultsSource = readFileSync(new URL('./config-defaults.ts', import.meta.url), 'utf8');
const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

interface FieldDoc {
  variable: string;
  defaultText: string;
}

/** Each field of the object with the comment just above it. */
function fieldDocs(source: string): Map<string, FieldDoc> {
  const body = source.slice(source.indexOf('export const configDefaults = {'));
  const docs = new Map<string, FieldDoc>();
  for (const match of body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+):/g)) {
    const text = (match[1] ?? '').replace(/^\s*\* ?/gm, '');
    const variable = /^\s*`([A-Z][A-Z0-9_]*)`:/.exec(text)?.[1] ?? '';
    const defaultText = /@default (.+)/.exec(text)?.[1]?.trim() ?? '';
    docs.set(match[2] ?? '', { variable, defaultText });
  }
  return docs;
}

/** The ways a value may be written: as code, in the README's words (16 MiB, 10,000, empty). */
function renderings(value: unknown): string[] {
  if (value === null) {
    return ['null'];
  }
  if (typeof value === 'string') {
    return value === '' ? [`''`, 'empty'] : [`'${value}'`, `\`${value}\``, value];
  }
  if (typeof value === 'number') {
    const forms = [String(value), value.toLocaleString('en-US')];
    const mib = 1024 * 1024;
    return value > 0 && value % mib === 0 ? [...forms, `${value / mib} MiB`] : forms;
  }
  return [String(value), `\`${String(value)}\``];
}

/** README table rows: the variables in the `variable` column and the `default` cell. */
function readmeRows(markdown: string): Array<{ variables: string[]; defaultCell: string }> {
  const rows: Array<{ variables: string[]; defaultCell: string }> = [];
  let columns: { variable: number; default: number } | null = null;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      columns = null;
      continue;
    }
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
    if (columns === null) {
      const variable = cells.indexOf('variable');
      const defaultColumn = cells.indexOf('default');
      columns = variable >= 0 && defaultColumn >= 0 ? { variable, default: defaultColumn } : null;
      continue;
    }
    const variables = [...(cells[columns.variable] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map(
      (match) => match[1] ?? '',
    );
    rows.push({ variables, defaultCell: cells[columns.default] ?? '' });
  }
  return rows;
}

/** The part of a `A` / `B` row's default cell that belongs to `variable`. */
function defaultFor(row: { variables: string[]; defaultCell: string }, variable: string): string {
  const parts = row.defaultCell.split(' / ');
  return parts.length === row.variables.length
    ? (parts[row.variables.indexOf(variable)] ?? '')
    : row.defaultCell;
}

describe('configDefaults', () => {
  const docs = fieldDocs(defaultsSource);
  const rows = readmeRows(readme);

  it('documents each field with its variable and an @default equal to its value', () => {
    assert.deepEqual([...docs.keys()].sort(), Object.keys(configDefaults).sort());
    for (const [field, value] of Object.entries(configDefaults)) {
      const doc = docs.get(field);
      assert.match(doc?.variable ?? '', /^[A-Z]/, `${field}: its comment must open with \`VAR\`:`);
      assert.ok(
        renderings(value).includes(doc?.defaultText ?? ''),
        `${field}: @default ${doc?.defaultText} but the value is ${JSON.stringify(value)}`,
      );
    }
  });

  it('is what loadConfig applies to an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.port, configDefaults.port);
    assert.equal(config.production, configDefaults.production);
    assert.equal(config.leaseSeconds, configDefaults.leaseSeconds);
    assert.equal(config.auth.rateLimitPerMinute, configDefaults.rateLimitPerMinute);
    assert.equal(config.webhooks.timeoutMs, configDefaults.webhookTimeoutMs);
    assert.equal(config.webhooks.allowPrivate, configDefaults.webhookAllowPrivate);
    assert.equal(config.openai.maxFileLines, configDefaults.openaiMaxFileLines);
    assert.equal(config.scale.maxWorkers, configDefaults.scaleMaxWorkers);
  });

  it('matches the README: every field has a row, and the row shows its default', () => {
    for (const [field, value] of Object.entries(configDefaults)) {
      const variable = docs.get(field)?.variable ?? '';
      const row = rows.find((candidate) => candidate.variables.includes(variable));
      assert.ok(row, `README.md has no configuration row for \`${variable}\` (${field})`);
      const cell = defaultFor(row, variable);
      if (value === null) {
        // Derived at run time: the README says how, in words.
        assert.notEqual(cell, '', `README.md: \`${variable}\` has an empty default cell`);
        continue;
      }
      assert.ok(
        renderings(value).some((form) => cell.includes(form)),
        `README.md shows "${cell}" as the default of \`${variable}\`, the code has ${JSON.stringify(value)}`,
      );
    }
  });

  it('lists in the README only variables loadConfig reads', () => {
    const read = new Set<string>();
    const recorder = (env: Record<string, string>): Env =>
      new Proxy(env, {
        get(target, name) {
          if (typeof name === 'string') {
            read.add(name);
          }
          return Reflect.get(target, name);
        },
      });
    loadConfig(recorder({}));
    loadConfig(
      recorder({
        BACKEND: 'gcp',
        PRODUCTION: 'false',
        GOOGLE_CLOUD_PROJECT: 'my-project-123',
        OPENAI_FILES_URI: 'gs://bucket/files',
        SCALE_MODE: 'job',
        SCALE_JOB: 'projects/my-project-123/locations/europe-west4/jobs/warmgen-worker',
      }),
    );
    for (const variable of rows.flatMap((row) => row.variables)) {
      assert.ok(
        read.has(variable),
        `README.md documents \`${variable}\`, which loadConfig never reads`,
      );
    }
  });
});
