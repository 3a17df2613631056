import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { schemaFile, schemaSource } from './schema-source.ts';
import { servedOpenApiDocument } from './served-document.ts';

// `npm run client:generate`: client/src/schema.d.ts from the document the API serves.
const source = await schemaSource(await servedOpenApiDocument());
await writeFile(schemaFile, source);
process.stdout.write(`wrote ${fileURLToPath(schemaFile)} (${source.length} characters)\n`);
