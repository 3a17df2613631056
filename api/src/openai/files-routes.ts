import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StoredFile } from '@warmgen/shared/ports/file-store.ts';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { callerOf, canAccess } from '../auth/caller.ts';
import { submissionRateLimit } from '../auth/install-rate-limit.ts';
import { batchFileStream } from './batch-output-lines.ts';
import { cursorPage } from './cursor-page.ts';
import { type FileObject, parseBatchFileId, toFileObject } from './file-object.ts';
import type { OpenAiContext } from './openai-context.ts';
import { OpenAiError } from './openai-error.ts';
import { storesOf } from './openai-stores.ts';
import { countingLines } from './upload-lines.ts';

const FileIdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' }) });

/**
 * /openai/v1/files: upload (multipart, purpose "batch"), list, retrieve, delete, content.
 * The upload streams into the file store as it arrives (never whole in memory), bounded
 * by OPENAI_MAX_FILE_BYTES; a batch file's lines are counted on the way and one over
 * OPENAI_MAX_FILE_LINES is refused. A batch's output and error files are served from the
 * job store (see file-object.ts).
 */
export const filesRoutes: FastifyPluginAsyncTypebox<OpenAiContext> = async (app, ctx) => {
  const limits = ctx.openai;
  await app.register(multipart, {
    limits: { fileSize: limits.maxFileBytes, files: 1, fields: 8, fieldSize: 1024 },
  });

  const notFound = (id: string) =>
    new OpenAiError(404, { message: `No such File object: ${id}`, code: 'not_found', param: 'id' });

  app.post('/files', { config: submissionRateLimit, schema: { hide: true } }, async (request) => {
    if (!request.isMultipart()) {
      throw new OpenAiError(415, {
        message: 'upload files as multipart/form-data with fields purpose and file',
        code: 'unsupported_media_type',
      });
    }
    const { files } = storesOf(ctx);
    const { owner } = callerOf(request);
    let purpose: string | null = null;
    let stored: StoredFile | null = null;
    const counter = { lines: 0 };
    try {
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'purpose') {
            purpose = String(part.value);
          }
          continue;
        }
        if (part.fieldname !== 'file' || stored !== null) {
          part.file.resume();
          continue;
        }
        const content = countingLines(
          part.file,
          counter,
          () => part.file.truncated,
          () =>
            new OpenAiError(413, {
              message: `the file is larger than ${limits.maxFileBytes} bytes`,
              code: 'file_too_large',
              param: 'file',
            }),
        );
        stored = await files.create(
          {
            id: `file-${randomBytes(12).toString('base64url')}`,
            purpose: 'batch',
            filename: part.filename || 'upload.jsonl',
            createdAtMs: ctx.now(),
            owner,
          },
          content,
        );
      }
      if (stored === null) {
        throw new OpenAiError(400, {
          message: 'the form has no file field',
          code: 'invalid_request',
          param: 'file',
        });
      }
      if (purpose !== 'batch') {
        throw new OpenAiError(400, {
          message: `purpose must be "batch"${purpose === null ? ' (the form has no purpose field)' : `, got "${purpose}"`}`,
          code: 'invalid_request',
          param: 'purpose',
        });
      }
      if (counter.lines > limits.maxFileLines) {
        throw new OpenAiError(400, {
          message: `the file has ${counter.lines} lines; a batch input file takes at most ${limits.maxFileLines}`,
          code: 'invalid_request',
          param: 'file',
        });
      }
      return toFileObject(stored);
    } catch (error) {
      if (stored !== null) {
        await files.delete(stored.id);
      }
      throw error;
    }
  });

  app.get(
    '/files',
    {
      schema: {
        hide: true,
        querystring: Type.Object(
          {
            purpose: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
            order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
            after: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { files } = storesOf(ctx);
      const limit = request.query.limit ?? 10_000;
      const page = await files.list({
        owner: callerOf(request).owner,
        purpose: request.query.purpose ?? null,
        order: request.query.order ?? 'desc',
        afterId: request.query.after ?? null,
        limit: limit + 1,
      });
      return cursorPage(page, limit, toFileObject);
    },
  );

  /** An uploaded file the caller may see, or a batch's derived output/error file. */
  async function fileOr404(request: FastifyRequest<{ Params: { id: string } }>) {
    const { id } = request.params;
    const derived = parseBatchFileId(id);
    const caller = callerOf(request);
    if (derived !== null) {
      const record = await storesOf(ctx).batches.get(derived.batchId);
      if (record === null || !canAccess(caller, record)) {
        throw notFound(id);
      }
      return { derived, record, file: null };
    }
    const file = await storesOf(ctx).files.get(id);
    if (file === null || !canAccess(caller, file)) {
      throw notFound(id);
    }
    return { derived: null, record: null, file };
  }

  function derivedStream(batchId: string, kind: 'output' | 'error', expired: boolean) {
    return batchFileStream(ctx.store, batchId, kind, ctx.openai.modelName, {
      pageSize: ctx.resultsPageSize,
      expired,
    });
  }

  app.get('/files/:id', { schema: { hide: true, params: FileIdParams } }, async (request) => {
    const found = await fileOr404(request);
    if (found.file !== null) {
      return toFileObject(found.file);
    }
    const { derived, record } = found;
    let bytes = 0;
    for await (const chunk of derivedStream(
      derived.batchId,
      derived.kind,
      record.expiredAtMs !== null,
    )) {
      bytes += Buffer.byteLength(chunk as string | Buffer);
    }
    const object: FileObject = {
      id: request.params.id,
      object: 'file',
      bytes,
      created_at: Math.floor((record.finishedAtMs ?? record.createdAtMs) / 1000),
      filename: `${derived.batchId}_${derived.kind}.jsonl`,
      purpose: 'batch_output',
      status: 'processed',
      expires_at: null,
    };
    return object;
  });

  app.get(
    '/files/:id/content',
    { schema: { hide: true, params: FileIdParams } },
    async (request, reply) => {
      const found = await fileOr404(request);
      reply.type('application/octet-stream');
      if (found.file !== null) {
        return reply.send(Readable.from(storesOf(ctx).files.read(found.file.id)));
      }
      const { derived, record } = found;
      return reply.send(derivedStream(derived.batchId, derived.kind, record.expiredAtMs !== null));
    },
  );

  app.delete('/files/:id', { schema: { hide: true, params: FileIdParams } }, async (request) => {
    const found = await fileOr404(request);
    if (found.file === null) {
      throw new OpenAiError(400, {
        message: 'a batch output or error file goes with its batch and cannot be deleted',
        code: 'invalid_request',
        param: 'id',
      });
    }
    await storesOf(ctx).files.delete(found.file.id);
    return { id: found.file.id, object: 'file', deleted: true };
  });
};
