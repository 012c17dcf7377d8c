// The layers stack: one Lambda LayerVersion per layer under layers/, built
// by scripts/build.sh, published for the application stack to use.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

export const LAYERS_STACK_NAME = 'Lambda-layers-example-layers';
export const PYTHON_LAYERS_STACK_NAME = 'Lambda-layers-example-python-layers';

/**
 * How the application stack reads the layers' ARNs: CloudFormation exports
 * (the default) or SSM parameters. docs/sharing-layers.md says when to use
 * which and how to move between them.
 */
export type LayerSharing = 'export' | 'ssm';
export const LAYER_SHARING_MODES: readonly LayerSharing[] = ['export', 'ssm'];

/** One layer: its build output, its name on Lambda, and how its ARN is shared. */
export interface LayerSpec {
  readonly id: string;
  readonly zip: string;
  readonly layerName: string;
  readonly description: string;
  readonly exportName: string;
  readonly parameterName: string;
}

/** The C++ example's layers, in the order functions list them (a later layer wins in /opt). */
export const LAYERS: readonly LayerSpec[] = [
  {
    id: 'ExternalLayer',
    zip: 'layers/external.zip',
    layerName: 'lambda-layers-example-external',
    description: 'Third-party shared libraries and the C++ runtime the functions need (lib/ on /opt/lib)',
    exportName: 'ExternalLayerArn',
    parameterName: '/lambda-layers-example/external-layer-arn',
  },
  {
    id: 'CpputilsLayer',
    zip: 'layers/cpputils.zip',
    layerName: 'lambda-layers-example-cpputils',
    description: 'Shared C++ code of the example functions (the cpputils library, lib/ on /opt/lib)',
    exportName: 'CpputilsLayerArn',
    parameterName: '/lambda-layers-example/cpputils-layer-arn',
  },
];

/**
 * The Python example's layers (the seed's own): third-party packages and our
 * shared code, each under python/ in its zip, which Lambda puts on sys.path
 * as /opt/python. Names differ from the C++ ones so both examples deploy
 * side by side (export names are unique per account and region).
 */
export const PYTHON_LAYERS: readonly LayerSpec[] = [
  {
    id: 'PythonExternalLayer',
    zip: 'layers/python-external.zip',
    layerName: 'lambda-layers-example-python-external',
    description: 'Third-party Python packages of the Python functions: flask, sqlalchemy, jinja2 (python/ on sys.path)',
    exportName: 'PythonExternalLayerArn',
    parameterName: '/lambda-layers-example/python-external-layer-arn',
  },
  {
    id: 'PythonutilsLayer',
    zip: 'layers/pythonutils.zip',
    layerName: 'lambda-layers-example-pythonutils',
    description: 'Shared Python code of the Python functions: the pythonutils package (python/ on sys.path)',
    exportName: 'PythonutilsLayerArn',
    parameterName: '/lambda-layers-example/pythonutils-layer-arn',
  },
];

/** A file scripts/build.sh should have written is missing. */
export class MissingBuildOutput extends Error {
  constructor(readonly file: string) {
    super(`build output '${file}' does not exist`);
    this.name = 'MissingBuildOutput';
  }
}

/** The absolute path of a build output, or MissingBuildOutput if it is not there. */
export function buildOutput(buildDir: string, relative: string): string {
  const file = path.resolve(buildDir, relative);
  if (!fs.existsSync(file)) throw new MissingBuildOutput(file);
  return file;
}

export interface LayersStackProps extends StackProps {
  /** Absolute path of the directory scripts/build.sh wrote (holds layers/*.zip). */
  readonly buildDir: string;
  /** The layers to publish (default: the C++ example's). */
  readonly layers?: readonly LayerSpec[];
  /** The runtime the layers are for (default provided.al2023). */
  readonly runtime?: lambda.Runtime;
}

/**
 * Publishes each layer's ARN both ways, whatever `layerSharing` is: that
 * context value only decides how the application stack reads them. So this
 * stack's template is the same in both modes, and the application stack can
 * move from one to the other (or out of an export lock) on its own deploy,
 * in either direction, because what it moves to is already there
 * (docs/sharing-layers.md). An export nobody imports locks nothing.
 */
export class LayersStack extends Stack {
  readonly layers: ReadonlyMap<string, lambda.LayerVersion>;

  constructor(scope: Construct, id: string, props: LayersStackProps) {
    super(scope, id, props);
    const layers = new Map<string, lambda.LayerVersion>();
    for (const spec of props.layers ?? LAYERS) {
      const layer = this.publishLayer(spec, props.buildDir, props.runtime ?? lambda.Runtime.PROVIDED_AL2023);
      this.share(spec, layer);
      layers.set(spec.id, layer);
    }
    this.layers = layers;
  }

  private publishLayer(spec: LayerSpec, buildDir: string, runtime: lambda.Runtime): lambda.LayerVersion {
    return new lambda.LayerVersion(this, spec.id, {
      layerVersionName: spec.layerName,
      description: spec.description,
      code: lambda.Code.fromAsset(buildOutput(buildDir, spec.zip)),
      compatibleRuntimes: [runtime],
      compatibleArchitectures: [lambda.Architecture.X86_64],
      // A rebuilt layer is a new LayerVersion (every property is
      // replace-only) and CloudFormation would delete the old version once
      // the layers stack is updated. The functions live in another stack
      // and move to the new version only on that stack's next deploy; until
      // then, and if that deploy rolls back, they must still be able to
      // reference the old version, so old versions are kept. The cost is
      // that they pile up: delete the ones no function uses with
      // `aws lambda delete-layer-version`.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private share(spec: LayerSpec, layer: lambda.LayerVersion): void {
    const description = `ARN of the current version of layer '${spec.layerName}'`;
    new CfnOutput(this, spec.exportName, { description, value: layer.layerVersionArn, exportName: spec.exportName });
    new ssm.StringParameter(this, `${spec.id}ArnParameter`, {
      parameterName: spec.parameterName,
      description,
      stringValue: layer.layerVersionArn,
    });
  }
}
