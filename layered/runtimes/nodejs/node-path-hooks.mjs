// Module resolution hooks that let ES modules import packages from NODE_PATH,
// as Lambda's Node.js 18+ runtimes do (lambda-facts.md section 10): node's
// own `import` resolution ignores NODE_PATH, so a package in a layer's
// nodejs/node_modules would be ERR_MODULE_NOT_FOUND.
//
// Node's resolution always runs first. Only when it fails with
// ERR_MODULE_NOT_FOUND for a bare specifier is the first of NODE_PATH's
// node_modules folders that holds the package tried, by resolving as a
// module placed beside that folder would: node then finds the package there
// first and applies its package.json "exports" and "main" as usual.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Only folders named node_modules: ES module resolution looks for packages
// in node_modules folders alone (Lambda's /var/runtime and /var/task entries
// serve CommonJS).
const folders = (process.env.NODE_PATH ?? '')
  .split(':')
  .filter((dir) => path.isAbsolute(dir) && path.basename(dir) === 'node_modules');

// 'pkg' of 'pkg/sub', '@scope/pkg' of '@scope/pkg/sub'; null for relative
// and absolute specifiers, URLs and node: built-ins.
function packageName(specifier) {
  if (/^[./]/.test(specifier) || /^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// The first NODE_PATH folder that holds the package decides, as the nearest
// node_modules folder holding a package does for node's own resolution: a
// missing file in it, or a subpath its "exports" do not allow, is that
// error, not "Cannot find package". A parent URL beside that folder makes
// node look there first.
function parent(specifier) {
  const name = packageName(specifier);
  const dir = name && folders.find((d) => fs.existsSync(path.join(d, name)));
  return dir ? pathToFileURL(path.join(path.dirname(dir), 'layered-node-path.mjs')).href : null;
}

// The error as node gives it for the real importing module: its messages
// name the parent ("imported from <file>"), here the stand-in beside the
// NODE_PATH folder.
function fromRealParent(error, standIn, parentURL) {
  const from = fileURLToPath(standIn);
  const to = parentURL?.startsWith('file:') ? fileURLToPath(parentURL) : parentURL;
  if (!to || typeof error?.message !== 'string' || !error.message.includes(from)) return error;
  error.message = error.message.replaceAll(from, to);
  if (typeof error.stack === 'string') error.stack = error.stack.replaceAll(from, to);
  return error;
}

const notFound = (error) => error?.code === 'ERR_MODULE_NOT_FOUND';

// For module.register() (node 18.19+, 20.6+): hooks run off the main thread.
export async function resolve(specifier, context, nextResolve) {
  const { parentURL } = context; // nextResolve may write the context it is given into this one
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const standIn = notFound(error) && parent(specifier);
    if (!standIn) throw error;
    try {
      return await nextResolve(specifier, { ...context, parentURL: standIn });
    } catch (retry) {
      throw fromRealParent(retry, standIn, parentURL);
    }
  }
}

// For module.registerHooks() (node 22.15+, 23.5+): synchronous, in-thread.
export function resolveSync(specifier, context, nextResolve) {
  const { parentURL } = context; // nextResolve may write the context it is given into this one
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    const standIn = notFound(error) && parent(specifier);
    if (!standIn) throw error;
    try {
      return nextResolve(specifier, { ...context, parentURL: standIn });
    } catch (retry) {
      throw fromRealParent(retry, standIn, parentURL);
    }
  }
}
