// The CDK app: the layers stack and the application stack that uses its
// layers, once for the C++ example and once for the Python one (the seed's),
// under their own stack names so both deploy side by side. It deploys the
// zips scripts/build.sh wrote (what `layered doctor` checked is what ships).
//
// Context: layerSharing=export|ssm (default export; docs/sharing-layers.md)
//          buildDir=DIR (default build, relative to the project root)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  ApplicationStack,
  APPLICATION_STACK_NAME,
  PYTHON_APPLICATION_STACK_NAME,
  PYTHON_FUNCTIONS,
} from './lambdamodule/infrastructure';
import {
  LAYER_SHARING_MODES,
  LayerSharing,
  LayersStack,
  LAYERS_STACK_NAME,
  MissingBuildOutput,
  PYTHON_LAYERS,
  PYTHON_LAYERS_STACK_NAME,
} from './layers/infrastructure';

/**
 * The Python functions' runtime. python3.11 because that is the Python this
 * project's machines have and `layered` runs a function only on the exact
 * version it names; on AWS alone, python3.13 (newer, Amazon Linux 2023,
 * faster cold starts) is the better pick, with the layer built for 3.13.
 */
export const PYTHON_RUNTIME = lambda.Runtime.PYTHON_3_11;

export interface AppConfig {
  /** Absolute path of the build outputs. */
  readonly buildDir: string;
  readonly layerSharing: LayerSharing;
}

/** A context value the app cannot use. */
export class BadContext extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadContext';
  }
}

/** The directory holding cdk.json: this file runs from there or from a compiled copy below it. */
export function projectRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'cdk.json'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

export function readConfig(app: App, root: string = projectRoot()): AppConfig {
  const sharing = app.node.tryGetContext('layerSharing') ?? 'export';
  if (!LAYER_SHARING_MODES.includes(sharing)) {
    const expected = LAYER_SHARING_MODES.map((m) => `'${m}'`).join(' or ');
    throw new BadContext(`context 'layerSharing' is '${sharing}'; use ${expected} (-c layerSharing=ssm)`);
  }
  const buildDir = app.node.tryGetContext('buildDir') ?? 'build';
  if (typeof buildDir !== 'string' || buildDir === '') {
    throw new BadContext(`context 'buildDir' must be a directory path (-c buildDir=build)`);
  }
  return { buildDir: path.resolve(root, buildDir), layerSharing: sharing as LayerSharing };
}

/** Adds both stacks to `app`; the application stack deploys after the layers stack. */
export function defineStacks(app: App, config: AppConfig): { layers: LayersStack; application: ApplicationStack } {
  const layers = new LayersStack(app, LAYERS_STACK_NAME, {
    description: 'Lambda layers example: the external and cpputils layers, shared by ARN',
    buildDir: config.buildDir,
  });
  const application = new ApplicationStack(app, APPLICATION_STACK_NAME, {
    description: 'Lambda layers example: the greeting and catalog functions, using both layers',
    buildDir: config.buildDir,
    layerSharing: config.layerSharing,
  });
  // The functions name the layers by exported ARN or SSM parameter, which
  // CDK cannot see as a reference between the stacks: say it explicitly,
  // so `cdk deploy --all` (and `layered deploy`) deploy the layers first.
  application.addStackDependency(layers, 'the functions use the layers published by the layers stack');
  return { layers, application };
}

/** Adds the Python example's two stacks, the same pattern as defineStacks. */
export function definePythonStacks(
  app: App,
  config: AppConfig,
): { layers: LayersStack; application: ApplicationStack } {
  const layers = new LayersStack(app, PYTHON_LAYERS_STACK_NAME, {
    description: 'Lambda layers example (Python): the python-external and pythonutils layers, shared by ARN',
    buildDir: config.buildDir,
    layers: PYTHON_LAYERS,
    runtime: PYTHON_RUNTIME,
  });
  const application = new ApplicationStack(app, PYTHON_APPLICATION_STACK_NAME, {
    description: 'Lambda layers example (Python): the greeting and catalog functions, using both layers',
    buildDir: config.buildDir,
    layerSharing: config.layerSharing,
    functions: PYTHON_FUNCTIONS,
    layers: PYTHON_LAYERS,
    runtime: PYTHON_RUNTIME,
  });
  application.addStackDependency(layers, 'the functions use the layers published by the Python layers stack');
  return { layers, application };
}

/** The one line a user sees for an error they can fix, or undefined for a bug. */
export function describeError(error: unknown, root: string = projectRoot()): string | undefined {
  if (error instanceof MissingBuildOutput) {
    const relative = path.relative(root, error.file);
    const shown = relative.startsWith('..') || path.isAbsolute(relative) ? error.file : relative;
    return `error: '${shown}' does not exist; run scripts/build.sh first, it writes the zips this CDK app deploys`;
  }
  if (error instanceof BadContext) return `error: ${error.message}`;
  return undefined;
}

function main(): void {
  const app = new App();
  try {
    const config = readConfig(app);
    defineStacks(app, config);
    definePythonStacks(app, config);
  } catch (error) {
    const line = describeError(error);
    if (line === undefined) throw error;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
  app.synth();
}

if (require.main === module) main();
