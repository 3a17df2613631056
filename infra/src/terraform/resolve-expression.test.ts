import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTerraform } from './parse-terraform.ts';
import {
  renderString,
  resolveValue,
  Unknown,
  unknownText,
  variableValues,
} from './resolve-expression.ts';

const source = `
variable "prefix" {
  type    = string
  default = "wg"
}
variable "gpu" {
  type    = bool
  default = false
}
variable "cpu" {
  type    = number
  default = 2
}
variable "project_id" {
  type = string
}
locals {
  image = var.gpu ? "worker-gpu" : "worker"
  cpu   = var.gpu ? max(var.cpu, 4) : var.cpu
  env = {
    NAME = google_pubsub_topic.jobs.name
    CPU  = tostring(local.cpu)
    URI  = "gs://\${coalesce(null, "\${var.project_id}-models")}/gpt2"
    MAIL = google_service_account.api.email
  }
}
resource "google_pubsub_topic" "jobs" {
  name = "\${var.prefix}-jobs"
}
`;

describe('resolveValue', async () => {
  const config = await parseTerraform([{ name: 'main.tf', text: source }]);
  const resolve = (value: unknown, overrides: Record<string, unknown> = {}) =>
    resolveValue(value, {
      config,
      variables: variableValues(config, { project_id: 'p-1234', ...overrides }),
    });

  it('evaluates variables, locals, conditionals, functions and resource arguments', () => {
    assert.deepEqual(resolve(`\${local.env}`), {
      NAME: 'wg-jobs',
      CPU: '2',
      URI: 'gs://p-1234-models/gpt2',
      MAIL: new Unknown('google_service_account.api.email'),
    });
    assert.equal(resolve(`\${local.image}`), 'worker');
    assert.equal(resolve(`\${local.image}`, { gpu: true }), 'worker-gpu');
    assert.equal(resolve(`\${local.env.CPU}`, { gpu: true }), '4');
    assert.equal(resolve(`\${!var.gpu}`), true);
    assert.equal(resolve(`a-\${var.cpu}-b`), 'a-2-b');
  });

  it('keeps unknowns unknown: computed attributes, variables without a value, other expressions', () => {
    const configless = resolve(`\${var.nothing}`);
    assert.ok(configless instanceof Unknown);
    assert.ok(resolve(`\${lookup(var.map, "x")}`) instanceof Unknown);
    assert.ok(resolve('%{if var.gpu}a%{else}b%{endif}') instanceof Unknown);
    assert.equal(
      renderString(resolve(`x/\${google_service_account.api.email}`)),
      `x/${unknownText}`,
    );
    const withoutProject = resolveValue(`\${var.project_id}`, {
      config,
      variables: variableValues(config),
    });
    assert.ok(withoutProject instanceof Unknown);
  });

  it('leaves escaped interpolations as text', () => {
    assert.equal(resolve('cost $${var.cpu}'), `cost \${var.cpu}`);
  });
});
