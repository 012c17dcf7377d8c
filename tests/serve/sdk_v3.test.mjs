// The AWS SDK for JavaScript v3 against `layered serve`: run by
// serve_clients_test.sh with SERVE_ENDPOINT, GREETING, CATALOG and EVENTS set;
// SERVE_PHASE=throttled checks the 429 once CatalogFunction has a reserved
// concurrency of 0.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  GetFunctionCommand,
  GetLayerVersionByArnCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListLayersCommand,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';

const { SERVE_ENDPOINT, GREETING, CATALOG, EVENTS, SERVE_PHASE } = process.env;
const lambda = new LambdaClient({ endpoint: SERVE_ENDPOINT, region: 'us-east-1', maxAttempts: 1 });
const arnPrefix = 'arn:aws:lambda:us-east-1:123456789012:function:';
const text = (bytes) => new TextDecoder().decode(bytes);

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

if (SERVE_PHASE === 'throttled') {
  test('429 is TooManyRequestsException with its Reason', async () => {
    const error = await rejection(lambda.send(new InvokeCommand({ FunctionName: CATALOG, Payload: '{}' })));
    assert.equal(error.name, 'TooManyRequestsException');
    assert.equal(error.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.equal(error.$metadata.httpStatusCode, 429);
  });
} else {
  test('Invoke answers the payload, the version and the log tail', async () => {
    const event = readFileSync(join(EVENTS, 'GreetingFunction.json'));
    const answer = await lambda.send(new InvokeCommand({ FunctionName: GREETING, Payload: event, LogType: 'Tail' }));
    assert.equal(answer.StatusCode, 200);
    assert.equal(answer.ExecutedVersion, '$LATEST');
    assert.equal(JSON.parse(text(answer.Payload)).greeting, 'Bonjour, Ada !');
    assert.match(Buffer.from(answer.LogResult, 'base64').toString(), /REPORT RequestId: /);
  });

  test('a function error is FunctionError Unhandled with the error payload', async () => {
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: arnPrefix + CATALOG, Payload: '{"maxPriceCents": "cheap"}' }));
    assert.equal(answer.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(text(answer.Payload)).errorType, 'InvalidInput');
  });

  test('Event is accepted with 202', async () => {
    const answer = await lambda.send(new InvokeCommand({ FunctionName: CATALOG, InvocationType: 'Event', Payload: '{}' }));
    assert.equal(answer.StatusCode, 202);
  });

  test('ListFunctions lists and pages', async () => {
    const all = (await lambda.send(new ListFunctionsCommand({}))).Functions.map((f) => f.FunctionName);
    assert.ok(all.includes(GREETING) && all.includes(CATALOG), all.join(','));
    const paged = [];
    for await (const page of paginateListFunctions({ client: lambda, pageSize: 1 }, {})) {
      paged.push(...page.Functions.map((f) => f.FunctionName));
    }
    assert.deepEqual(paged.sort(), [...all].sort());
  });

  test('GetFunction answers the configuration', async () => {
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: GREETING }));
    assert.equal(got.Configuration.FunctionName, GREETING);
    assert.equal(got.Configuration.Layers.length, 2);
  });

  test('ListLayers and GetLayerVersionByArn name the function\'s layers', async () => {
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: GREETING }));
    const arn = got.Configuration.Layers[0].Arn;
    const layers = (await lambda.send(new ListLayersCommand({}))).Layers;
    assert.ok(layers.some((l) => l.LatestMatchingVersion.LayerVersionArn === arn), JSON.stringify(layers));
    const version = await lambda.send(new GetLayerVersionByArnCommand({ Arn: arn }));
    assert.equal(version.LayerVersionArn, arn);
  });

  test('404 is ResourceNotFoundException with Lambda\'s message', async () => {
    const error = await rejection(lambda.send(new InvokeCommand({ FunctionName: 'no-such-function' })));
    assert.equal(error.name, 'ResourceNotFoundException');
    assert.equal(error.message, `Function not found: ${arnPrefix}no-such-function`);
    assert.equal(error.$metadata.httpStatusCode, 404);
    const missing = await rejection(lambda.send(new GetFunctionCommand({ FunctionName: 'no-such-function' })));
    assert.equal(missing.name, 'ResourceNotFoundException');
  });

  test('413 is RequestTooLargeException', async () => {
    const big = `"${'x'.repeat(7 << 20)}"`;
    const error = await rejection(lambda.send(new InvokeCommand({ FunctionName: GREETING, Payload: big })));
    assert.equal(error.name, 'RequestTooLargeException');
    assert.equal(error.$metadata.httpStatusCode, 413);
  });

  test('a body that is not JSON is InvalidRequestContentException', async () => {
    const error = await rejection(lambda.send(new InvokeCommand({ FunctionName: GREETING, Payload: '{not json' })));
    assert.equal(error.name, 'InvalidRequestContentException');
  });
}
