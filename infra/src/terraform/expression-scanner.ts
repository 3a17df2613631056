/**
 * Character-level helpers for Terraform expressions as hcl2json leaves them in strings:
 * templates with `${...}` interpolations whose expressions may hold quoted strings, which
 * may hold interpolations again. Only what the checks' resolver needs.
 */

/** A template split into literal text and interpolated expressions, in order. */
export type TemplatePart = { readonly text: string } | { readonly expression: string };

export function splitTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let index = 0;
  while (index < template.length) {
    if (template.startsWith('$${', index)) {
      // An escaped interpolation is literal text.
      literal += '${';
      index += 3;
    } else if (template.startsWith('${', index)) {
      const end = matchingBrace(template, index + 1);
      if (literal !== '') {
        parts.push({ text: literal });
        literal = '';
      }
      parts.push({ expression: template.slice(index + 2, end) });
      index = end + 1;
    } else {
      literal += template[index];
      index += 1;
    }
  }
  if (literal !== '') {
    parts.push({ text: literal });
  }
  return parts;
}

/**
 * Index of the bracket closing the one at `open`, skipping quoted strings and nested
 * brackets. Throws on an unbalanced expression.
 */
export function matchingBrace(text: string, open: number): number {
  const closers: string[] = [];
  for (let index = open; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      index = endOfString(text, index);
    } else if (char === '{' || char === '(' || char === '[') {
      closers.push(char === '{' ? '}' : char === '(' ? ')' : ']');
    } else if (char === closers.at(-1)) {
      closers.pop();
      if (closers.length === 0) {
        return index;
      }
    }
  }
  throw new Error(`unbalanced expression: ${text.slice(open)}`);
}

/** Index of the quote closing the string that opens at `quote`. */
export function endOfString(text: string, quote: number): number {
  for (let index = quote + 1; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') {
      index += 1;
    } else if (char === '$' && text[index + 1] === '{') {
      index = matchingBrace(text, index + 1);
    } else if (char === '"') {
      return index;
    }
  }
  throw new Error(`unterminated string: ${text.slice(quote)}`);
}

/**
 * Positions of `char` outside strings and brackets. For `?` and `:` this finds the parts
 * of a top-level conditional; for `,` the arguments of a call.
 */
export function topLevelIndexes(text: string, char: string): number[] {
  const found: number[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const current = text[index];
    if (current === '"') {
      index = endOfString(text, index);
    } else if (current === '{' || current === '(' || current === '[') {
      index = matchingBrace(text, index);
    } else if (current === char) {
      found.push(index);
    }
  }
  return found;
}

/** Whether the whole expression is one quoted string (a template). */
export function isStringLiteral(expression: string): boolean {
  return expression.startsWith('"') && endOfString(expression, 0) === expression.length - 1;
}
