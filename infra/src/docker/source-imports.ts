import { isBuiltin } from 'node:module';
import { posix } from 'node:path';

/**
 * The module specifiers a TypeScript file loads at run time: static imports and re-exports
 * (except `import type` / `export type`, which type stripping erases), side-effect imports
 * and dynamic import() of a string literal. Statements are matched at the start of a line,
 * which is how the project's formatter writes them (so examples in comments do not count).
 */
export function runtimeImports(source: string): string[] {
  const patterns = [
    /^[ \t]*import\s+(?!type\s)[^'";]*?\s+from\s+['"]([^'"]+)['"]/gm,
    /^[ \t]*import\s+['"]([^'"]+)['"]/gm,
    /^[ \t]*export\s+(?!type\s)(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  const found = new Set<string>();
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) {
      if (match[1] !== undefined) {
        found.add(match[1]);
      }
    }
  }
  return [...found];
}

export interface Workspace {
  /** Package name, e.g. @warmgen/shared. */
  readonly name: string;
  /** Folder relative to the repository root, e.g. shared. */
  readonly folder: string;
  /** `exports["./*"]` target, e.g. ./src/* (how @warmgen/shared/x.ts maps to a file). */
  readonly exportsPattern: string | undefined;
  readonly dependencies: ReadonlySet<string>;
}

export type ResolvedImport =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'package'; readonly name: string }
  | { readonly kind: 'builtin' }
  | { readonly kind: 'unresolved'; readonly reason: string };

/** Where a specifier in `fromFile` (a repository path) leads. */
export function resolveImport(
  fromFile: string,
  specifier: string,
  workspaces: readonly Workspace[],
): ResolvedImport {
  if (specifier.startsWith('.')) {
    return { kind: 'file', path: posix.join(posix.dirname(fromFile), specifier) };
  }
  if (isBuiltin(specifier)) {
    return { kind: 'builtin' };
  }
  const parts = specifier.split('/');
  const packageName = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  const subpath = parts.slice(specifier.startsWith('@') ? 2 : 1).join('/');
  const workspace = workspaces.find((candidate) => candidate.name === packageName);
  if (workspace === undefined) {
    return { kind: 'package', name: packageName };
  }
  if (workspace.exportsPattern === undefined || subpath === '') {
    return { kind: 'unresolved', reason: `${packageName} has no "./*" export for ${specifier}` };
  }
  return {
    kind: 'file',
    path: posix.join(workspace.folder, workspace.exportsPattern.replace('*', subpath)),
  };
}

/** The workspace a repository path belongs to (its first folder), if any. */
export function workspaceOf(path: string, workspaces: readonly Workspace[]): Workspace | undefined {
  const folder = path.split('/')[0];
  return workspaces.find((workspace) => workspace.folder === folder);
}
