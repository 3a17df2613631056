import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';

/** Where the generated types live, relative to the client workspace. */
export const schemaFile = new URL('../src/schema.d.ts', import.meta.url);

/**
 * The TypeScript types of an OpenAPI document (openapi-typescript: `paths`, `components`,
 * `operations`), as the text of client/src/schema.d.ts. openapi-fetch reads `paths` to type
 * every call's path, parameters, body and responses. The text depends on the document
 * alone, so a fresh generation equals the file exactly unless the API changed.
 */
export async function schemaSource(document: Record<string, unknown>): Promise<string> {
  // A copy: openapi-typescript annotates the object it is given.
  const source = structuredClone(document) as unknown as OpenAPI3;
  const ast = await openapiTS(source, { silent: true });
  return `${COMMENT_HEADER}// Regenerate with \`npm run client:generate\` after changing a route's schema.\n\n${astToString(ast)}`;
}
