// The OpenAI SDK, unchanged, against warmgen: a batch of completions and one completion.
// Run: WARMGEN_URL=http://localhost:8080 node examples/openai-batch.ts
import OpenAI, { toFile } from 'openai';

const client = new OpenAI({
  baseURL: `${process.env.WARMGEN_URL ?? 'http://localhost:8080'}/openai/v1`,
  apiKey: process.env.WARMGEN_API_KEY ?? 'unused-when-open',
});

const prompts = ['The cache stays warm because', 'A queue is useful when'];
const jsonl = prompts
  .map((prompt, i) => ({
    custom_id: `prompt-${i}`,
    method: 'POST',
    url: '/v1/completions',
    body: { model: 'gpt2', prompt, max_tokens: 16, seed: i },
  }))
  .map((line) => JSON.stringify(line))
  .join('\n');

const file = await client.files.create({
  file: await toFile(Buffer.from(jsonl), 'prompts.jsonl'),
  purpose: 'batch',
});
let batch = await client.batches.create({
  input_file_id: file.id,
  endpoint: '/v1/completions',
  completion_window: '24h',
});
while (['validating', 'in_progress', 'finalizing', 'cancelling'].includes(batch.status)) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  batch = await client.batches.retrieve(batch.id);
}
console.log(`batch ${batch.id}: ${batch.status}`, batch.request_counts);
if (batch.output_file_id) {
  const output = await (await client.files.content(batch.output_file_id)).text();
  for (const line of output.trim().split('\n')) {
    const { custom_id, response } = JSON.parse(line);
    console.log(custom_id, JSON.stringify(response.body.choices[0].text));
  }
}

const completion = await client.completions.create({
  model: 'gpt2',
  prompt: 'Hello, warm worker.',
  max_tokens: 8,
});
console.log('completion', JSON.stringify(completion.choices[0]?.text), completion.usage);
