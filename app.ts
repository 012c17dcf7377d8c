// The CDK app: the layers stack and the application stack that uses its
// layers. It deploys the zips scripts/build.sh wrote (what `layered doctor`
// checked is what ships).
//
// Context: layerSharing=export|ssm (default export; docs/sharing-layers.md)
//          buildDir=DIR (default build, relative to the project root)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ApplicationStack, APPLICATION_STACK_NAME } from './lambdamodule/infrastructure';
import {
  LAYER_SHARING_MODES,
  LayerSharing,
  LayersStack,
  LAYERS_STACK_NAME,
  MissingBuildOutput,
} from './layers/infrastructure';

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
    defineStacks(app, readConfig(app));
  } catch (error) {
    const line = describeError(error);
    if (line === undefined) throw error;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
  app.synth();
}

if (require.main === module) main();
