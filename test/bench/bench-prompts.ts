/**
 * Prompts of mixed lengths (about 4 to 14 GPT-2 tokens) like the engine benchmark's, so
 * the service run and the engine run feed the model comparable rows.
 */
const topics = [
  'The history of the printing press',
  'Write a short poem about the sea',
  'Explain how a rainbow forms in simple words',
  'In a distant galaxy, a small robot',
  'The three most important rules of chess are',
  'Once upon a time in a quiet village',
  'The weather forecast for tomorrow says',
  'A recipe for bread needs flour, water, salt and',
];

export function benchPrompt(index: number): string {
  const topic = topics[index % topics.length] as string;
  return index < topics.length ? topic : `${topic} (${index})`;
}
