import { type WorkerState, workerStates } from '@warmgen/shared/ports/worker-heartbeats.ts';
import Type, { type Static, type TInteger, type TSchema } from 'typebox';

/** GET /v1/capacity's body: the schema the route serializes with and OpenAPI prints. */
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const WorkerSchema = Type.Object({
  id: Type.String(),
  state: Type.Union(
    [
      Type.Literal('starting'),
      Type.Literal('hydrating'),
      Type.Literal('loading'),
      Type.Literal('idle'),
      Type.Literal('busy'),
    ],
    {
      description:
        'starting (process up), hydrating (downloading the model), loading (engine loading), idle (warm, no rows), busy (warm, running rows)',
    },
  ),
  since: Type.String({ format: 'date-time', description: 'When the worker entered this state.' }),
  started_at: Type.String({ format: 'date-time' }),
  last_beat: Type.String({ format: 'date-time', description: 'Its last heartbeat.' }),
  hydration: Nullable(
    Type.Object(
      { bytes_done: Type.Integer(), bytes_total: Type.Integer() },
      { description: 'While hydrating.' },
    ),
  ),
  running_rows: Type.Integer(),
  max_rows: Type.Integer({ description: 'Rows it runs at once (0 until warm).' }),
  model_sha256: Nullable(Type.String({ description: 'sha256 of the loaded onnx/model*.onnx.' })),
  device: Type.String(),
  tokens_per_second: Type.Number({ description: 'New tokens per second over its last minute.' }),
  jobs_per_second: Type.Number(),
  tokens_total: Type.Integer({ description: 'New tokens it generated since it started.' }),
  task: Nullable(Type.String({ description: 'Cloud Run Job execution/task index, if one.' })),
});

export const CapacityViewSchema = Type.Object(
  {
    object: Type.Literal('capacity'),
    at: Type.String({ format: 'date-time' }),
    workers: Type.Object({
      total: Type.Integer(),
      by_state: Type.Object(
        Object.fromEntries(workerStates.map((state) => [state, Type.Integer()])) as Record<
          WorkerState,
          TInteger
        >,
      ),
      tokens_per_second: Type.Number({ description: 'All warm workers together.' }),
      items: Type.Array(WorkerSchema),
    }),
    queue: Type.Object({
      queued: Type.Integer(),
      running: Type.Integer(),
      oldest_queued_age_seconds: Nullable(Type.Number()),
    }),
    scaling: Type.Object({
      mode: Type.Union([Type.Literal('off'), Type.Literal('job'), Type.Literal('pool')]),
      deciding: Type.Boolean(),
      running_tasks: Nullable(
        Type.Integer({ description: "Unfinished tasks of the job's executions (job mode)." }),
      ),
      instances: Nullable(Type.Integer({ description: "The pool's instance count (pool mode)." })),
      observed_at: Nullable(Type.String({ format: 'date-time' })),
      launches: Type.Integer({ description: 'Executions this API process started.' }),
      last_launch: Nullable(
        Type.Object({
          execution: Type.String(),
          tasks: Type.Integer(),
          at: Type.String({ format: 'date-time' }),
        }),
      ),
      problem: Nullable(
        Type.Object(
          {
            message: Type.String(),
            since: Type.String({ format: 'date-time' }),
            failures: Type.Integer(),
            retry_at: Type.String({ format: 'date-time' }),
          },
          {
            description:
              'Why capacity is missing: the last scaling failure (e.g. the Cloud Run Admin API refusing), until a decision succeeds. Jobs stay queued meanwhile; none is lost.',
          },
        ),
      ),
    }),
    estimate: Type.Object({
      starts_in_seconds: Nullable(Type.Number()),
      finishes_in_seconds: Nullable(Type.Number()),
      basis: Type.String({ description: 'What the estimate rests on, or why there is none.' }),
    }),
  },
  { description: 'Workers, backlog and scaling now, and when a job submitted now would run.' },
);

export type CapacityView = Static<typeof CapacityViewSchema>;
