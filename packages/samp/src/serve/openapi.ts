/** What the OpenAPI description says about the running server. */
export interface OpenApiContext {
  /** The served models' names (the `model` field's values). */
  readonly models: readonly string[];
  readonly maxInputs: number;
  readonly maxTextLength: number;
  readonly maxBodyBytes: number;
  /** The version of the `samp` package. */
  readonly version: string;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The OpenAPI 3.1 description of the server's HTTP API (served on `GET /openapi.json`), with this
 * server's models and limits filled in.
 */
export function openApiDocument(context: OpenApiContext): Record<string, unknown> {
  const text = { type: 'string', maxLength: context.maxTextLength };
  return {
    openapi: '3.1.0',
    info: {
      title: 'samp serve',
      version: context.version,
      description:
        'BERT-family inference with dynamic batching: concurrent requests are queued, run together in batches sorted by length, and answered individually. Stateless: run as many replicas as needed behind any load balancer.',
    },
    paths: {
      '/v1/predict': {
        post: {
          summary: 'Predict one input or a batch of inputs',
          description:
            'One input gives one output object; an array of inputs gives an array of outputs in the same order. Unknown fields are refused.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictRequest' } } },
          },
          responses: {
            '200': {
              description: 'The predictions',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/PredictResponse' } } },
            },
            '400': errorResponse(
              'Malformed JSON, a missing, unknown or mistyped field, a text over the length limit, or an input the task does not take; `error.field` names it (`inputs[3].text`)',
            ),
            '404': errorResponse('No such model'),
            '413': errorResponse(`The body is over ${context.maxBodyBytes} bytes`),
            '415': errorResponse('The body is not application/json'),
            '429': errorResponse("The model's queue is full; retry later or on another replica"),
            '503': errorResponse('The server is shutting down'),
            '504': errorResponse('Not answered within the per-request timeout'),
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'The served models',
          responses: {
            '200': {
              description: 'One entry per model',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { models: { type: 'array', items: { $ref: '#/components/schemas/Model' } } },
                  },
                },
              },
            },
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness: the process answers',
          responses: { '200': { description: '{"status": "ok"}' } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: every model is loaded and the server is not shutting down',
          responses: {
            '200': { description: '{"status": "ready", "models": [...]}' },
            '503': { description: '{"status": "closing"}' },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text format 0.0.4)',
          responses: { '200': { description: 'Metrics', content: { 'text/plain': {} } } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This description', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
    components: {
      schemas: {
        Input: {
          oneOf: [
            text,
            {
              type: 'object',
              required: ['text'],
              additionalProperties: false,
              properties: { text, text_pair: { ...text, description: 'The second text of a pair' } },
            },
          ],
        },
        PredictRequest: {
          type: 'object',
          required: ['inputs'],
          additionalProperties: false,
          properties: {
            model: {
              type: 'string',
              enum: [...context.models],
              description: 'Which model; may be left out when the server serves one model',
            },
            inputs: {
              oneOf: [
                { $ref: '#/components/schemas/Input' },
                {
                  type: 'array',
                  minItems: 1,
                  maxItems: context.maxInputs,
                  items: { $ref: '#/components/schemas/Input' },
                },
              ],
            },
          },
        },
        PredictResponse: {
          type: 'object',
          required: ['model', 'outputs'],
          properties: {
            model: { type: 'string' },
            outputs: {
              oneOf: [
                { $ref: '#/components/schemas/Output' },
                { type: 'array', items: { $ref: '#/components/schemas/Output' } },
              ],
            },
          },
        },
        Output: {
          description:
            'classification / cross-encoder matching: label, label_id, score, logits; token classification: entities; bi-encoder matching: score; feature extraction: shape, data',
          type: 'object',
          properties: {
            label: { type: 'string' },
            label_id: { type: 'integer' },
            score: { type: 'number' },
            logits: { type: 'array', items: { type: 'number' } },
            entities: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  type: { type: 'string' },
                  start: { type: 'integer', description: 'UTF-16 code units of text' },
                  end: { type: 'integer' },
                  text: { type: 'string' },
                  score: { type: 'number' },
                },
              },
            },
            shape: { type: 'array', items: { type: 'integer' } },
            data: { type: 'array', items: { type: 'number' } },
          },
        },
        Model: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            task: { type: 'string' },
            inputs: { type: 'string', enum: ['single', 'pair', 'any'] },
            labels: { type: 'array', items: { type: 'string' } },
            backend: { type: 'string' },
            workers: { type: 'integer' },
            max_length: { type: 'integer', description: 'Tokens per input; longer inputs are truncated' },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', description: 'Stable code such as SAMP_SERVE_INVALID_REQUEST' },
                message: { type: 'string' },
                field: { type: 'string', description: 'The offending field (400 only)' },
              },
            },
          },
        },
      },
    },
  };
}
