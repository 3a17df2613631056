import type { Logger } from '../run-loop-ports.ts';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export interface RecordingLogger extends Logger {
  readonly entries: LogEntry[];
  messages(level?: LogEntry['level']): string[];
}

/** A pino-shaped logger that keeps what it was told, for assertions. */
export function createRecordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const method =
    (level: LogEntry['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      entries.push({ level, fields, message });
    };
  return {
    entries,
    messages: (level) =>
      entries.filter((entry) => !level || entry.level === level).map((entry) => entry.message),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
  };
}
