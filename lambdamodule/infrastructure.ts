// The application stack: the two example functions, each using both layers
// of the layers stack by ARN (never by a construct reference, so the stacks
// can be deployed apart).
import { Duration, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { buildOutput, LAYERS, LayerSharing, LayerSpec } from '../layers/infrastructure';

export const APPLICATION_STACK_NAME = 'Lambda-layers-example';
export const PYTHON_APPLICATION_STACK_NAME = 'Lambda-layers-example-python';

/** One function: its construct id, handler and build output. */
export interface FunctionSpec {
  readonly id: string;
  readonly handler: string;
  readonly zip: string;
  readonly description: string;
}

/** The C++ functions; each one's sample event is lambdamodule/events/<id>.json. */
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: 'GreetingFunction',
    handler: 'greeting',
    zip: 'functions/greeting.zip',
    description: "Example C++ function 'greeting', using both layers of the layers stack",
  },
  {
    id: 'CatalogFunction',
    handler: 'catalog',
    zip: 'functions/catalog.zip',
    description: "Example C++ function 'catalog', using both layers of the layers stack",
  },
];

/**
 * The Python functions (sources in lambdamodule/runtime/python/<name>/,
 * built to functions/python-<name>.zip). Each zip holds handler.py at its
 * top, so the handler is module 'handler', function 'handler'.
 */
export const PYTHON_FUNCTIONS: readonly FunctionSpec[] = [
  {
    id: 'PythonGreetingFunction',
    handler: 'handler.handler',
    zip: 'functions/python-greeting.zip',
    description: "Example Python function 'greeting' (Flask, Jinja2), using both layers of the Python layers stack",
  },
  {
    id: 'PythonCatalogFunction',
    handler: 'handler.handler',
    zip: 'functions/python-catalog.zip',
    description: "Example Python function 'catalog' (SQLAlchemy), using both layers of the Python layers stack",
  },
];

export interface ApplicationStackProps extends StackProps {
  /** Absolute path of the directory scripts/build.sh wrote (holds functions/*.zip). */
  readonly buildDir: string;
  readonly layerSharing: LayerSharing;
  /** The functions (default: the C++ example's) and the layers they import, in order. */
  readonly functions?: readonly FunctionSpec[];
  readonly layers?: readonly LayerSpec[];
  /** Default provided.al2023. */
  readonly runtime?: lambda.Runtime;
}

export class ApplicationStack extends Stack {
  readonly functions: ReadonlyMap<string, lambda.Function>;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id, props);
    const layers = (props.layers ?? LAYERS).map((spec) => this.importLayer(spec, props.layerSharing));
    const functions = new Map<string, lambda.Function>();
    for (const spec of props.functions ?? FUNCTIONS) {
      functions.set(
        spec.id,
        new lambda.Function(this, spec.id, {
          description: spec.description,
          runtime: props.runtime ?? lambda.Runtime.PROVIDED_AL2023,
          architecture: lambda.Architecture.X86_64,
          // A provided runtime starts the package's bootstrap and does not
          // read the handler; it is still recorded (the bootstrap sees it
          // as _HANDLER), so it names the function. Python's runtime
          // imports module.function from it.
          handler: spec.handler,
          code: lambda.Code.fromAsset(buildOutput(props.buildDir, spec.zip)),
          layers,
          memorySize: 128,
          timeout: Duration.seconds(10),
          environment: { LOG_LEVEL: 'INFO' },
        }),
      );
    }
    this.functions = functions;
  }

  // The ARN is resolved at deploy time: from the layers stack's export
  // (Fn::ImportValue, which locks that export while this stack uses it) or
  // from its SSM parameter (a template parameter of type
  // AWS::SSM::Parameter::Value<String>, no lock).
  private importLayer(spec: LayerSpec, sharing: LayerSharing): lambda.ILayerVersion {
    const arn =
      sharing === 'ssm'
        ? ssm.StringParameter.valueForStringParameter(this, spec.parameterName)
        : Fn.importValue(spec.exportName);
    return lambda.LayerVersion.fromLayerVersionArn(this, spec.id, arn);
  }
}
