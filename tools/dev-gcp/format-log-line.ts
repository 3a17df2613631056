/**
 * One forwarded log line for the terminal: `[name] SEVERITY message {other fields}` for
 * the JSON lines warmgen's processes write (time dropped: the terminal is live), anything
 * else as it came. Names are padded so the columns line up.
 */
export function formatLogLine(name: string, line: string, nameWidth: number): string {
  const prefix = `[${name}]`.padEnd(nameWidth + 2);
  const parsed = parseJsonObject(line);
  if (parsed === null || typeof parsed.message !== 'string') {
    return `${prefix} ${line}`;
  }
  const { severity, message, time: _time, ...fields } = parsed;
  const level = typeof severity === 'string' ? severity : 'DEFAULT';
  const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${prefix} ${level.padEnd(7)} ${message}${rest}`;
}

function parseJsonObject(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) {
    return null;
  }
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
