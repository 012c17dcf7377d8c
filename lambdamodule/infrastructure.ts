// The application stack: the two example functions, each using both layers
// of the layers stack by ARN (never by a construct reference, so the stacks
// can be deployed apart).
import { Duration, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { buildOutput, LAYERS, LayerSharing, LayerSpec } from '../layers/infrastructure';

export const APPLICATION_STACK_NAME = 'Lambda-layers-example';

/** The functions; each one's sample event is lambdamodule/events/<id>.json. */
export const FUNCTIONS = [
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
] as const;

export interface ApplicationStackProps extends StackProps {
  /** Absolute path of the directory scripts/build.sh wrote (holds functions/*.zip). */
  readonly buildDir: string;
  readonly layerSharing: LayerSharing;
}

export class ApplicationStack extends Stack {
  readonly functions: ReadonlyMap<string, lambda.Function>;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id, props);
    const layers = LAYERS.map((spec) => this.importLayer(spec, props.layerSharing));
    const functions = new Map<string, lambda.Function>();
    for (const spec of FUNCTIONS) {
      functions.set(
        spec.id,
        new lambda.Function(this, spec.id, {
          description: spec.description,
          runtime: lambda.Runtime.PROVIDED_AL2023,
          architecture: lambda.Architecture.X86_64,
          // A provided runtime starts the package's bootstrap and does not
          // read the handler; it is still recorded (the bootstrap sees it
          // as _HANDLER), so it names the function.
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
