import OpenAI, { toFile } from 'openai';

/** One request line of an OpenAI batch input file for /v1/completions. */
export function completionLine(
  customId: string,
  body: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/completions',
    body: { model: 'gpt2', ...body },
    ...overrides,
  });
}

/** `count` lines with zero-padded custom_ids, prompts that differ and a seed each. */
export function numberedLines(count: number, maxTokens: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    completionLine(`request-${String(i).padStart(5, '0')}`, {
      prompt: `Request number ${i} says`,
      max_tokens: maxTokens,
      seed: i,
    }),
  );
}

export function openAiClient(baseUrl: string, apiKey = 'unused'): OpenAI {
  return new OpenAI({ baseURL: `${baseUrl}/openai/v1`, apiKey, maxRetries: 0 });
}

/** A batch of an uploaded input file on the one endpoint and window served. */
export function createBatch(client: OpenAI, inputFileId: string) {
  return client.batches.create({
    input_file_id: inputFileId,
    endpoint: '/v1/completions',
    completion_window: '24h',
  });
}

/** Uploads lines as a batch input file through the SDK. */
export async function uploadLines(client: OpenAI, lines: readonly string[], name = 'input.jsonl') {
  return client.files.create({
    file: await toFile(Buffer.from(`${lines.join('\n')}\n`), name),
    purpose: 'batch',
  });
}

export interface OutputLine {
  id: string;
  custom_id: string;
  response: {
    status_code: number;
    request_id: string;
    body: OpenAI.Completions.Completion;
  } | null;
  error: { code: string; message: string } | null;
}

/** A file's content through the SDK, parsed as JSON lines. */
export async function downloadLines(client: OpenAI, fileId: string): Promise<OutputLine[]> {
  const text = await (await client.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OutputLine);
}

/** Polls with the SDK until the batch leaves in_progress/cancelling (or the time is up). */
export async function pollBatch(client: OpenAI, id: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (!['validating', 'in_progress', 'finalizing', 'cancelling'].includes(batch.status)) {
      return batch;
    }
    if (Date.now() > deadline) {
      throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
