// Module resolution hooks that let ES modules import packages from NODE_PATH,
// as Lambda's Node.js 18+ runtimes do (lambda-facts.md section 10): node's
// own `import` resolution ignores NODE_PATH, so a package in a layer's
// nodejs/node_modules would be ERR_MODULE_NOT_FOUND.
//
// Node's resolution always runs first. Only when it fails with
// ERR_MODULE_NOT_FOUND for a bare specifier are NODE_PATH's node_modules
// folders tried, in order, each by resolving as a module placed beside that
// folder would: node then finds the package there first and applies its
// package.json "exports" and "main" as usual.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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

// A parent URL per NODE_PATH folder that holds the package.
function parents(specifier) {
  const name = packageName(specifier);
  if (!name) return [];
  return folders
    .filter((dir) => fs.existsSync(path.join(dir, name)))
    .map((dir) => pathToFileURL(path.join(path.dirname(dir), 'layered-node-path.mjs')).href);
}

const notFound = (error) => error?.code === 'ERR_MODULE_NOT_FOUND';

// For module.register() (node 18.19+, 20.6+): hooks run off the main thread.
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!notFound(error)) throw error;
    for (const parentURL of parents(specifier)) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (retry) {
        if (!notFound(retry)) throw retry;
      }
    }
    throw error;
  }
}

// For module.registerHooks() (node 22.15+, 23.5+): synchronous, in-thread.
export function resolveSync(specifier, context, nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    if (!notFound(error)) throw error;
    for (const parentURL of parents(specifier)) {
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch (retry) {
        if (!notFound(retry)) throw retry;
      }
    }
    throw error;
  }
}
