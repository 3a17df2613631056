import Type from 'typebox';

/** The request header a reconnecting EventSource sends. */
export const StreamHeadersSchema = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'The id of the last event received (`<job id>.<attempt>.<offset>` or `<job id>.done`): the stream resumes after it. ' +
        "Another stream's id is a 400.",
    }),
  ),
});

/** A job's event stream in the OpenAPI document: one format for both routes that answer with it. */
export const streamResponses = {
  200: {
    description: "The job's event stream (`text/event-stream`).",
    content: {
      'text/event-stream': {
        schema: Type.String({
          description:
            'Events, each `id:` (text and done), `event:` and one `data:` line of JSON. `text`: `{"text": "…"}`, the next ' +
            'piece; `requeued`: the job (as GET) starting over, drop the text so far; `done`: the finished job (as GET), ' +
            'last. Lines starting with `:` are keep-alive comments.',
          examples: [
            'id: job_01.1.11\nevent: text\ndata: {"text":"Once upon a"}\n\nid: job_01.done\nevent: done\ndata: {"id":"job_01","status":"succeeded",…}\n\n',
          ],
        }),
      },
    },
  },
} as const;

export const noContentResponse = Type.Null({
  description:
    'The `Last-Event-ID` was the final event of this stream: nothing more will come (an EventSource stops).',
});
