import Type from 'typebox';

/** The one error shape, for the OpenAPI document and the serializer. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable, machine-readable: validation_failed, not_found…' }),
      message: Type.String({ description: 'For people; names the offending field.' }),
      details: Type.Optional(
        Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
      ),
    }),
  },
  { description: 'Error' },
);

/** Response entries every route shares. */
export const errorResponses = { '4xx': ErrorSchema, '5xx': ErrorSchema } as const;
