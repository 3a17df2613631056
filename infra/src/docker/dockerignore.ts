import { matchesGlob, posix } from 'node:path';

/**
 * A .dockerignore as a predicate over build-context paths: later patterns win, `!` brings a
 * path back, and a path is excluded when it or one of its parent folders matches (Docker
 * does not send an excluded folder's contents).
 */
export function dockerIgnoreMatcher(text: string): (contextPath: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).trim().replace(/^\/+/, ''));
      return { negate, pattern };
    });
  return (contextPath) => {
    const path = posix.normalize(contextPath);
    const candidates = path
      .split('/')
      .map((_, index, parts) => parts.slice(0, index + 1).join('/'));
    let ignored = false;
    for (const { negate, pattern } of rules) {
      if (candidates.some((candidate) => matchesGlob(candidate, pattern))) {
        ignored = !negate;
      }
    }
    return ignored;
  };
}
