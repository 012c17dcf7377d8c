// The two stacks as synthesized, in both layer-sharing modes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { defineStacks, projectRoot, readConfig } from '../../app';
import { LayerSharing } from '../../layers/infrastructure';
import { fakeBuildDir, tempDir } from './helpers';

const LAYERS_STACK = 'Lambda-layers-example-layers';
const APP_STACK = 'Lambda-layers-example';
const FUNCTION_IDS = ['GreetingFunction', 'CatalogFunction'];

// The metadata the CDK CLI asks for, which the local engine reads too.
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };

function synth(layerSharing: LayerSharing, buildDir = fakeBuildDir()) {
  const app = new App({ outdir: tempDir('cdk-out'), context: CLI_CONTEXT });
  const stacks = defineStacks(app, { buildDir, layerSharing });
  return {
    app,
    stacks,
    buildDir,
    layers: Template.fromStack(stacks.layers),
    application: Template.fromStack(stacks.application),
  };
}

function logicalId(template: Template, type: string, props: object): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  assert.equal(found.length, 1, `one ${type} with ${JSON.stringify(props)}, found ${found.length}`);
  return found[0];
}

function functionResource(template: Template, constructId: string) {
  const all = template.findResources('AWS::Lambda::Function');
  const ids = Object.keys(all).filter((id) => all[id].Metadata['aws:cdk:path'] === `${APP_STACK}/${constructId}/Resource`);
  assert.equal(ids.length, 1, `function '${constructId}' in ${APP_STACK}`);
  return all[ids[0]];
}

describe('export mode (default)', () => {
  const s = synth('export');
  const externalId = logicalId(s.layers, 'AWS::Lambda::LayerVersion', { LayerName: 'lambda-layers-example-external' });
  const cpputilsId = logicalId(s.layers, 'AWS::Lambda::LayerVersion', { LayerName: 'lambda-layers-example-cpputils' });

  test('both stacks synthesize under their fixed names', () => {
    const assembly = s.app.synth();
    assert.deepEqual(assembly.stacks.map((st) => st.stackName).sort(), [APP_STACK, LAYERS_STACK]);
  });

  test('the layers stack has one provided.al2023 x86_64 LayerVersion per layer, with a description', () => {
    s.layers.resourceCountIs('AWS::Lambda::LayerVersion', 2);
    s.layers.allResourcesProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['provided.al2023'],
      CompatibleArchitectures: ['x86_64'],
      Description: Match.stringLikeRegexp('.+'),
    });
  });

  test('old layer versions are retained when a layer is rebuilt or the stack is deleted', () => {
    s.layers.allResources('AWS::Lambda::LayerVersion', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('each layer ARN is exported under its fixed name', () => {
    s.layers.hasOutput('ExternalLayerArn', { Export: { Name: 'ExternalLayerArn' }, Value: { Ref: externalId } });
    s.layers.hasOutput('CpputilsLayerArn', { Export: { Name: 'CpputilsLayerArn' }, Value: { Ref: cpputilsId } });
  });

  test('each layer ARN is also written to its SSM parameter', () => {
    s.layers.resourceCountIs('AWS::SSM::Parameter', 2);
    s.layers.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/lambda-layers-example/external-layer-arn',
      Type: 'String',
      Value: { Ref: externalId },
    });
    s.layers.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/lambda-layers-example/cpputils-layer-arn',
      Type: 'String',
      Value: { Ref: cpputilsId },
    });
  });

  for (const id of FUNCTION_IDS) {
    test(`${id} imports both exported layers, external first`, () => {
      assert.deepEqual(functionResource(s.application, id).Properties.Layers, [
        { 'Fn::ImportValue': 'ExternalLayerArn' },
        { 'Fn::ImportValue': 'CpputilsLayerArn' },
      ]);
    });
  }

  test('the functions run on provided.al2023 x86_64 with 128 MB, 10 s and LOG_LEVEL', () => {
    s.application.resourceCountIs('AWS::Lambda::Function', 2);
    for (const [id, handler] of [['GreetingFunction', 'greeting'], ['CatalogFunction', 'catalog']]) {
      const props = functionResource(s.application, id).Properties;
      assert.equal(props.Runtime, 'provided.al2023');
      assert.deepEqual(props.Architectures, ['x86_64']);
      assert.equal(props.Handler, handler);
      assert.equal(props.MemorySize, 128);
      assert.equal(props.Timeout, 10);
      assert.equal(props.Environment.Variables.LOG_LEVEL, 'INFO');
    }
  });

  test('the application stack depends on the layers stack', () => {
    assert.deepEqual(s.stacks.application.dependencies.map((st) => st.stackName), [LAYERS_STACK]);
    assert.deepEqual(s.stacks.layers.dependencies, []);
  });

  test('the cloud assembly records the dependency', () => {
    const assembly = s.app.synth();
    const deps = assembly.getStackByName(APP_STACK).dependencies.map((d) => d.id);
    assert.ok(deps.includes(LAYERS_STACK), `dependencies: ${deps.join(', ')}`);
    assert.ok(!assembly.getStackByName(LAYERS_STACK).dependencies.some((d) => d.id === APP_STACK));
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'manifest.json'), 'utf8'));
    assert.ok(manifest.artifacts[APP_STACK].dependencies.includes(LAYERS_STACK));
  });

  test('the application stack takes the layers by ARN, not by construct reference', () => {
    const template = JSON.stringify(s.application.toJSON());
    assert.ok(!template.includes(`${LAYERS_STACK}:ExportsOutput`), 'no CDK-generated cross-stack export');
  });

  test('each package is the zip from the build directory, byte for byte', () => {
    const assembly = s.app.synth();
    const expect = [
      [LAYERS_STACK, 'ExternalLayer', 'layers/external.zip'],
      [LAYERS_STACK, 'CpputilsLayer', 'layers/cpputils.zip'],
      [APP_STACK, 'GreetingFunction', 'functions/greeting.zip'],
      [APP_STACK, 'CatalogFunction', 'functions/catalog.zip'],
    ];
    for (const [stack, id, zip] of expect) {
      const template = assembly.getStackByName(stack).template;
      const resource = Object.values<any>(template.Resources).find(
        (r) => r.Metadata?.['aws:cdk:path'] === `${stack}/${id}/Resource`,
      );
      const asset = path.join(assembly.directory, resource.Metadata['aws:asset:path']);
      assert.deepEqual(fs.readFileSync(asset), fs.readFileSync(path.join(s.buildDir, zip)), `${id} ← ${zip}`);
    }
  });
});

describe('ssm mode (-c layerSharing=ssm)', () => {
  const s = synth('ssm');
  const parameters = s.application.findParameters('*', { Type: 'AWS::SSM::Parameter::Value<String>' });
  const parameterFor = (name: string): string => {
    const ids = Object.keys(parameters).filter((id) => parameters[id].Default === name);
    assert.equal(ids.length, 1, `one template parameter reading '${name}'`);
    return ids[0];
  };

  test('both stacks synthesize', () => {
    assert.equal(s.app.synth().stacks.length, 2);
  });

  test('the layers stack is the same as in export mode: only the application stack changes', () => {
    const exportMode = synth('export', s.buildDir);
    assert.deepEqual(s.layers.toJSON(), exportMode.layers.toJSON());
    s.layers.resourceCountIs('AWS::SSM::Parameter', 2);
    s.layers.hasOutput('ExternalLayerArn', { Export: { Name: 'ExternalLayerArn' } });
    s.layers.hasOutput('CpputilsLayerArn', { Export: { Name: 'CpputilsLayerArn' } });
  });

  for (const id of FUNCTION_IDS) {
    test(`${id} reads both layer ARNs from SSM parameters, external first`, () => {
      assert.deepEqual(functionResource(s.application, id).Properties.Layers, [
        { Ref: parameterFor('/lambda-layers-example/external-layer-arn') },
        { Ref: parameterFor('/lambda-layers-example/cpputils-layer-arn') },
      ]);
    });
  }

  test('the application stack imports no export, so it locks none', () => {
    assert.ok(!JSON.stringify(s.application.toJSON()).includes('Fn::ImportValue'));
  });

  test('the application stack still depends on the layers stack', () => {
    assert.deepEqual(s.stacks.application.dependencies.map((st) => st.stackName), [LAYERS_STACK]);
    const deps = s.app.synth().getStackByName(APP_STACK).dependencies.map((d) => d.id);
    assert.ok(deps.includes(LAYERS_STACK));
  });
});

describe('context', () => {
  const root = projectRoot();

  test('the project root is the directory of cdk.json', () => {
    assert.ok(fs.existsSync(path.join(root, 'cdk.json')));
    assert.ok(fs.existsSync(path.join(root, 'app.ts')));
  });

  test('defaults: export mode, build/ under the project root', () => {
    assert.deepEqual(readConfig(new App(), root), {
      buildDir: path.join(root, 'build'),
      layerSharing: 'export',
    });
  });

  test('layerSharing=ssm and a relative buildDir', () => {
    const app = new App({ context: { layerSharing: 'ssm', buildDir: 'out/zips' } });
    assert.deepEqual(readConfig(app, root), { buildDir: path.join(root, 'out/zips'), layerSharing: 'ssm' });
  });

  test('an absolute buildDir is used as is', () => {
    const app = new App({ context: { buildDir: '/tmp/somewhere' } });
    assert.equal(readConfig(app, root).buildDir, '/tmp/somewhere');
  });

  test('an unknown layerSharing is refused', () => {
    const app = new App({ context: { layerSharing: 'exports' } });
    assert.throws(() => readConfig(app, root), {
      name: 'BadContext',
      message: "context 'layerSharing' is 'exports'; use 'export' or 'ssm' (-c layerSharing=ssm)",
    });
  });
});
