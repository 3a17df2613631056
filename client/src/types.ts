import type { operations } from './schema.d.ts';

/**
 * Readable names for the wire shapes in the generated schema (client/src/schema.d.ts), so
 * callers need not spell the operation paths. Each is what the named operation answers.
 */
type Json<Op extends keyof operations, Status extends number | string> = operations[Op] extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** A job, as GET /v1/generations/{id} returns it. */
export type Job = Json<'getGeneration', 200>;
/** A batch with its counts by status, as GET /v1/batches/{id} returns it. */
export type Batch = Json<'getBatch', 200>;
/** One line of GET /v1/batches/{id}/results, as its `x-item-schema` describes it. */
export type BatchResultLine = Pick<Job, 'id' | 'status' | 'result' | 'error'> & {
  custom_id: string;
};
/** POST /v1/generations's body. */
export type GenerationRequest = NonNullable<
  operations['createGeneration']['requestBody']
>['content']['application/json'];
/** The generation parameters of a job or batch item. */
export type GenerationParams = NonNullable<GenerationRequest['params']>;
/** The one error shape: `{"error": {"code", "message", "details?"}}`. */
export type ErrorBody = Json<'getGeneration', '4XX'>;
