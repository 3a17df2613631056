// The OpenAI SDK streaming a completion from warmgen: the text as it generates, then usage.
// Run: WARMGEN_URL=http://localhost:8080 node examples/openai-stream.ts
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: `${process.env.WARMGEN_URL ?? 'http://localhost:8080'}/openai/v1`,
  apiKey: process.env.WARMGEN_API_KEY ?? 'unused-when-open',
});

const stream = await client.completions.create({
  model: 'gpt2',
  prompt: 'The worker kept the model warm, and',
  max_tokens: 48,
  seed: 3,
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  // Each chunk is a piece of the text; with include_usage, a last one has no choices.
  process.stdout.write(chunk.choices[0]?.text ?? '');
  if (chunk.usage) {
    process.stdout.write(`\n[${chunk.usage.completion_tokens} tokens]\n`);
  }
}
