// Response streaming, as Lambda's Node.js client offers it: the global
// `awslambda` with streamifyResponse() and HttpResponseStream.from(), and a
// response stream that is the Runtime API's streamed response itself
// (Lambda-Runtime-Function-Response-Mode: streaming, chunked, errors in
// trailers). lambda-facts.md section 10.
import http from 'node:http';

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';
const HTTP_INTEGRATION_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER_LENGTH = 8;
const ERROR_TYPE_TRAILER = 'Lambda-Runtime-Function-Error-Type';
const ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';

class StreamingError extends Error {}
const streamingError = (name) => {
  const type = class extends StreamingError {};
  type.prototype.name = `Runtime.${name}`;
  return type;
};
const InvalidStreamingOperation = streamingError('InvalidStreamingOperation');
const MalformedStreamingHandler = streamingError('MalformedStreamingHandler');

// A JSON prelude and eight NUL bytes before the body: how a function URL
// learns the status code, headers and cookies of a streamed answer.
export class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(HTTP_INTEGRATION_TYPE);
    const metadata = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(DELIMITER_LENGTH));
    };
    return stream;
  }
}

export function defineGlobals() {
  const off = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (off === '1' || off === 'true') return;
  globalThis.awslambda = {
    ...globalThis.awslambda,
    streamifyResponse(handler, options) {
      handler[STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') handler[HIGH_WATER_MARK] = parseInt(options.highWaterMark);
      return handler;
    },
    HttpResponseStream,
  };
}

export function isStreaming(handler) {
  const mode = handler[STREAMING];
  if (!mode) return false;
  if (mode === STREAM_RESPONSE) return true;
  throw new MalformedStreamingHandler('Only response streaming is supported.');
}

// The POST of the invocation's response, handed to the handler as its
// stream. `done` settles when the Runtime API has answered it; `fail` ends
// it with the error in its trailers.
function openResponseStream(client, id, errorResponse) {
  const request = http.request({
    host: client.host,
    port: client.port,
    path: `${client.api}/invocation/${encodeURIComponent(id)}/response`,
    method: 'POST',
    agent: client.agent,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      Trailer: `${ERROR_TYPE_TRAILER}, ${ERROR_BODY_TRAILER}`,
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    },
  });
  const done = new Promise((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
  });
  done.catch(() => {}); // a failed stream is reported by `fail`, not as a rejection nobody awaited
  let written = false;
  request.setContentType = (type) => {
    if (written) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    request.setHeader('Content-Type', type);
  };
  const write = request.write.bind(request);
  request.write = (chunk, encoding, callback) => {
    const binary = typeof chunk === 'string' || Buffer.isBuffer(chunk) || chunk instanceof Uint8Array;
    const data = binary ? chunk : JSON.stringify(chunk);
    if (!written && typeof request._onBeforeFirstWrite === 'function') request._onBeforeFirstWrite((c) => write(c));
    written = true;
    return write(data, encoding, callback);
  };
  const fail = (error) =>
    new Promise((resolve) => {
      const body = errorResponse(error);
      try {
        request.addTrailers({
          [ERROR_TYPE_TRAILER]: body.errorType,
          [ERROR_BODY_TRAILER]: Buffer.from(JSON.stringify(body)).toString('base64'),
        });
        request.end(resolve);
      } catch {
        resolve(); // the stream had already ended: nothing more can be said
      }
    });
  return { stream: request, done, fail };
}

const isPromise = (value) => value && typeof value.then === 'function';

// One invocation of a streamified handler: (event, responseStream, context).
// Settles once the response is posted, or failed: by the handler, or by the
// event loop emptying before the handler's promise settled (`onLoopEmpty`
// is given the function to call then).
export function invokeStreaming(invocation) {
  const { client, handler, id, event, context, errorResponse, logError, onLoopEmpty, exitError } = invocation;
  const { stream, done, fail } = openResponseStream(client, id, errorResponse);
  return new Promise((resolve) => {
    let settled = false;
    const succeed = () => {
      if (settled) return;
      settled = true;
      resolve();
    };
    const failWith = (error) => {
      if (settled) return;
      settled = true;
      logError('Invoke Error', error);
      fail(error).then(resolve);
    };
    onLoopEmpty(() => failWith(exitError()));
    const run = async () => {
      const result = handler(event, stream, context);
      if (!isPromise(result)) throw new Error('Streaming does not support non-async handlers.');
      if ((await result) !== undefined) console.warn('Streaming handlers ignore return values.');
      await done;
      if (!stream.writableFinished) throw new Error('Response stream is not finished.');
    };
    run().then(succeed, failWith);
  });
}
