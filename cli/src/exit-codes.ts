/**
 * What `warmgen` exits with; scripts branch on these (README "The warmgen CLI").
 *
 * | code | meaning                                                                        |
 * |------|--------------------------------------------------------------------------------|
 * | 0    | done: every row (or the job) succeeded, or the command did what it says         |
 * | 1    | done, but some rows (or the job) failed or were canceled: see the results      |
 * | 2    | usage: a bad flag or argument, an unreadable or malformed file, or a request   |
 * |      | the server refused as invalid (4xx: the message names the line or flag)         |
 * | 3    | the server or the network failed (unreachable, 5xx, 429): retrying may help     |
 * | 130  | interrupted (Ctrl-C): what was submitted keeps running; the message says how   |
 * |      | to pick it up again                                                              |
 */
export const exitCodes = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  unavailable: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];
