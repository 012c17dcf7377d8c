// layered's runtime interface client for Node.js functions.
//
// Started by the sandbox as `/var/lang/bin/node /var/runtime/index.mjs`, as
// Lambda's /var/runtime/bootstrap does. It implements Lambda's contract for
// Node.js handlers over the Runtime API (2018-06-01) with node's built-ins
// alone: CommonJS and ES modules (which also find packages in NODE_PATH),
// async and callback handlers, callbackWaitsForEmptyEventLoop, response
// streaming, and errors worded as Lambda words them (docs/lambda-facts.md
// section 10).
import fs from 'node:fs';
import http from 'node:http';
import module, { createRequire } from 'node:module';
import path from 'node:path';
import util from 'node:util';
import { defineGlobals, invokeStreaming, isStreaming } from './streaming.mjs';

// Resolving from this file makes a missing module's "Require stack" name
// /var/runtime/index.mjs, as Lambda's does.
const require = createRequire(import.meta.url);
const API = '/2018-06-01/runtime';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

class RuntimeError extends Error {}
const runtimeError = (name) => {
  const type = class extends RuntimeError {};
  type.prototype.name = `Runtime.${name}`;
  return type;
};
const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');
const UnhandledPromiseRejection = runtimeError('UnhandledPromiseRejection');
const JSONStringifyError = runtimeError('JSONStringifyError');
const CallbackHandlerDeprecated = runtimeError('CallbackHandlerDeprecated');
class NodeJsExit extends RuntimeError {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a ' +
        'Promise that was never settled.',
    );
  }
}
NodeJsExit.prototype.name = 'Runtime.NodeJsExit';

// ---- logging: Lambda's text format, one record per call -------------------

let currentRequestId;

function writeLog(level, args) {
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => writeLog(level, args);
  }
  console.fatal = (...args) => writeLog('FATAL', args);
}

// An Error's name, message, code and stack are not enumerable: JSON alone
// would write `{}`. Applied at every depth, as Lambda's Errors.toFormatted
// does, so an unhandled rejection's reason, or any enumerable property
// holding an Error, is written in full.
function withEnumerableProperties(value) {
  if (!(value instanceof Error)) return value;
  const fields = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
  if (typeof value.stack === 'string') fields.stack = value.stack.split('\n');
  return fields;
}

// What JSON cannot write (a cycle, a BigInt) falls back to the Runtime API's
// shape of the error, as Lambda's does.
function formatted(error) {
  try {
    return JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return JSON.stringify(errorResponse(error));
  }
}

function logError(label, error) {
  writeLog('ERROR', [`${label} \t${formatted(error)}`]);
}

// What the Runtime API receives for an error (Lambda's shape: a "trace").
function errorResponse(error) {
  if (util.types.isNativeError(error) || (error && typeof error.stack === 'string' && error.name)) {
    return { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// ---- the Runtime API -------------------------------------------------------

class RuntimeClient {
  constructor(address) {
    const colon = address.lastIndexOf(':');
    this.host = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
    this.api = API;
    // Idle keep-alive sockets are unreferenced by node: they never keep the
    // event loop alive, so callbackWaitsForEmptyEventLoop sees only the
    // function's own work.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  // `agent` false: a connection of its own, for what must not wait behind
  // the one connection (a streamed response may hold it open).
  request(method, route, body, headers = {}, agent = this.agent) {
    return new Promise((resolve, reject) => {
      const options = { host: this.host, port: this.port, path: API + route, method, agent, headers };
      if (body !== undefined) {
        headers['Content-Type'] ??= 'application/json';
        headers['Content-Length'] = Buffer.byteLength(body);
      }
      const req = http.request(options, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async next() {
    const res = await this.request('GET', '/invocation/next');
    if (res.status !== 200) throw new Error(`next invocation: HTTP ${res.status}`);
    return res;
  }

  // `body` is the result already serialized (serialize() below).
  respond(id, body) {
    return this.request('POST', `/invocation/${encodeURIComponent(id)}/response`, body);
  }

  fail(id, error, { now = false } = {}) {
    const response = errorResponse(error);
    const headers = { 'Lambda-Runtime-Function-Error-Type': response.errorType };
    const route = `/invocation/${encodeURIComponent(id)}/error`;
    return this.request('POST', route, JSON.stringify(response), headers, now ? false : this.agent);
  }

  failInit(error) {
    const response = errorResponse(error);
    return this.request('POST', '/init/error', JSON.stringify(response), {
      'Lambda-Runtime-Function-Error-Type': response.errorType,
    });
  }
}

// A result JSON cannot encode (a BigInt, a cycle) fails the invocation, in
// Lambda's words: a plain Error up to Node.js 22, its own type from 24 on.
function serialize(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    const message = 'Unable to stringify response body';
    throw NODE_MAJOR >= 24 ? new JSONStringifyError(message) : new Error(message);
  }
}

// ---- loading the handler ---------------------------------------------------

function packageTypeIsModule(dir) {
  for (let folder = dir; ; folder = path.dirname(folder)) {
    if (folder.endsWith('/node_modules')) return false;
    const manifest = path.join(folder, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8'))?.type === 'module';
      } catch {
        return false;
      }
    }
    if (folder === '/') return false;
  }
}

const exists = (file) => fs.existsSync(file);

// ES modules find NODE_PATH's packages through resolution hooks
// (node-path-hooks.mjs), needed only when a layer has a node_modules folder.
// node 22.15+ runs them in the loading thread (module.registerHooks), at no
// cost worth counting, for every function. Older nodes run them in a thread
// of their own (module.register), which adds 60-80 ms to a cold start on a
// busy 2-core machine: only for a handler that is an ES module, so there a
// CommonJS handler's import() of a layer's package is not found.
let nodePathHooks = false;
async function searchNodePath({ esModule }) {
  if (nodePathHooks) return;
  const folders = (process.env.NODE_PATH ?? '').split(':').filter((d) => path.basename(d) === 'node_modules');
  if (!folders.some(exists)) return;
  const hooks = new URL('./node-path-hooks.mjs', import.meta.url);
  if (typeof module.registerHooks === 'function') {
    module.registerHooks({ resolve: (await import(hooks)).resolveSync });
  } else if (esModule && typeof module.register === 'function') {
    module.register(hooks);
  } else {
    return;
  }
  nodePathHooks = true;
}

async function importEsModule(file) {
  await searchNodePath({ esModule: true });
  return import(file);
}

// Lambda's order: the file as named, then .js (CommonJS unless package.json
// says "type": "module"), .mjs, .cjs, and finally node's own resolution.
async function loadModule(appRoot, moduleRoot, name) {
  await searchNodePath({ esModule: false });
  const base = path.resolve(appRoot, moduleRoot, name);
  if (exists(base)) return require(base);
  const esm = exists(base + '.js') && packageTypeIsModule(path.dirname(base));
  if (exists(base + '.js') && !esm) return require(base + '.js');
  if (esm) return importEsModule(base + '.js');
  if (exists(base + '.mjs')) return importEsModule(base + '.mjs');
  if (exists(base + '.cjs')) return require(base + '.cjs');
  return require(require.resolve(name, { paths: [appRoot, moduleRoot] }));
}

async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(handlerString));
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, name, property] = match;
  let userModule;
  try {
    userModule = await loadModule(appRoot, moduleRoot, name);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e?.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
  const handler = property.split('.').reduce((object, key) => object && object[key], userModule);
  if (!handler) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return handler;
}

const isAsyncFunction = (fn) => fn.constructor?.name === 'AsyncFunction';

// Callback handlers (a third parameter): refused from Node.js 24 on, a
// warning before (lambda-facts.md section 10).
function checkCallbackHandler(handler) {
  if (NODE_MAJOR >= 24 && handler.length >= 3) {
    throw new CallbackHandlerDeprecated(
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. ' +
        'You need to modify this function to use a supported handler signature to use Node.js 24 or later. ' +
        'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
  const warn = process.env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined;
  if (warn && handler.length === 3 && !isAsyncFunction(handler)) {
    console.warn(
      'AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. ' +
        'You will need to update this function to use an async handler to use Node.js 24 or later. ' +
        'For more information and to provide feedback on this change, see ' +
        'https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. ' +
        'To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.',
    );
  }
}

// ---- one invocation --------------------------------------------------------

// Called when the event loop has nothing left to do (node's 'beforeExit').
let whenLoopEmpty = () => {};
let onUncaught = () => {};

function callbackContext(client, id, next) {
  let waitForEmptyLoop = true;
  let reported = false;
  let finished = false;
  const failWith = (error) => {
    if (reported) return;
    reported = true;
    logError('Invoke Error', error);
    client.fail(id, error).then(next, next);
  };
  const complete = (result) => {
    if (reported) return;
    let body;
    try {
      body = serialize(result);
    } catch (error) {
      return failWith(error);
    }
    reported = true;
    client.respond(id, body).then(next, next);
  };
  const callback = (error, result) => {
    whenLoopEmpty = () => {};
    if (error !== undefined && error !== null) return failWith(error);
    if (!waitForEmptyLoop) return complete(result);
    whenLoopEmpty = () => {
      whenLoopEmpty = () => {};
      setImmediate(() => complete(result));
    };
  };
  const done = (error, result) => {
    whenLoopEmpty = () => {};
    if (error !== undefined && error !== null) failWith(error);
    else complete(result);
  };
  const once = (fn) => (...args) => {
    if (finished) return;
    finished = true;
    fn(...args);
  };
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyLoop = value;
    },
    succeed: once((result) => done(null, result)),
    fail: once((error) => done(error ?? 'handled')),
    done: once(done),
  };
  return { callback: once(callback), context, markReported: () => (reported = true) };
}

function parseHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

function attachEnvironment(context, headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return Object.assign(context, {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

const isPromise = (value) => value && typeof value.then === 'function';

async function invokeOnce(client, handler, streaming) {
  const { headers, body } = await client.next();
  const id = headers['lambda-runtime-aws-request-id'];
  currentRequestId = id;
  if (headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
  else delete process.env._X_AMZN_TRACE_ID;
  const next = () => setImmediate(() => invokeOnce(client, handler, streaming).catch(fatal));
  const { callback, context, markReported } = callbackContext(client, id, next);
  // Posted at once, on a connection of its own: a streamed response under
  // way holds the client's one connection until it ends, and Lambda's client
  // reports the error and exits without waiting for it.
  onUncaught = (error, code) => {
    logError(code === 128 ? 'Unhandled Promise Rejection' : 'Uncaught Exception', error);
    client.fail(id, error, { now: true }).finally(() => process.exit(code));
  };
  let event;
  let handlerContext;
  try {
    event = JSON.parse(body.toString('utf8'));
    handlerContext = attachEnvironment(context, headers);
  } catch (error) {
    return callback(error);
  }
  if (streaming) {
    await invokeStreaming({
      client,
      handler,
      id,
      event,
      context: handlerContext,
      errorResponse,
      logError,
      onLoopEmpty: (fn) => (whenLoopEmpty = fn),
      exitError: () => new NodeJsExit(),
    });
    whenLoopEmpty = () => {};
    return next();
  }
  // Nothing was reported and nothing is left to run: an async handler whose
  // promise never settled is an error; a plain one answered null.
  const isAsync = isAsyncFunction(handler);
  whenLoopEmpty = () => {
    whenLoopEmpty = () => {};
    markReported();
    if (isAsync) {
      const error = new NodeJsExit();
      logError('Invoke Error', error);
      client.fail(id, error).then(next, next);
    } else {
      client.respond(id, 'null').then(next, next);
    }
  };
  try {
    const result = handler(event, handlerContext, callback);
    if (isPromise(result)) result.then(context.succeed, context.fail).catch(context.fail);
  } catch (error) {
    callback(error);
  }
}

function fatal(error) {
  console.error(`layered runtime client: ${error?.stack ?? error}`);
  process.exit(1);
}

async function main() {
  patchConsole();
  defineGlobals();
  const client = new RuntimeClient(process.env.AWS_LAMBDA_RUNTIME_API);
  onUncaught = (error, code) => {
    logError(code === 128 ? 'Unhandled Promise Rejection' : 'Uncaught Exception', error);
    client.failInit(error).finally(() => process.exit(code));
  };
  process.on('uncaughtException', (error) => onUncaught(error, 129));
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(String(reason));
    error.reason = reason;
    error.promise = promise;
    onUncaught(error, 128);
  });
  process.on('beforeExit', () => whenLoopEmpty());
  const appRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  let handler;
  let streaming;
  try {
    handler = await loadHandler(appRoot, process.env._HANDLER ?? '');
    streaming = isStreaming(handler);
    if (!streaming) checkCallbackHandler(handler);
  } catch (error) {
    onUncaught(error, 129);
    return;
  }
  setImmediate(() => invokeOnce(client, handler, streaming).catch(fatal));
}

main();
