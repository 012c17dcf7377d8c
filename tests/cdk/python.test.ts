// The Python example's two stacks as synthesized, in both layer-sharing
// modes, and beside the C++ example's stacks in one app.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { defineStacks, definePythonStacks, projectRoot } from '../../app';
import { LayerSharing } from '../../layers/infrastructure';
import { fakeBuildDir, tempDir } from './helpers';

const LAYERS_STACK = 'Lambda-layers-example-python-layers';
const APP_STACK = 'Lambda-layers-example-python';
const FUNCTIONS = [
  { id: 'PythonGreetingFunction', zip: 'functions/python-greeting.zip' },
  { id: 'PythonCatalogFunction', zip: 'functions/python-catalog.zip' },
];
const EXTERNAL_PARAMETER = '/lambda-layers-example/python-external-layer-arn';
const PYTHONUTILS_PARAMETER = '/lambda-layers-example/pythonutils-layer-arn';
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };

function synth(layerSharing: LayerSharing, buildDir = fakeBuildDir()) {
  const app = new App({ outdir: tempDir('cdk-out'), context: CLI_CONTEXT });
  const stacks = definePythonStacks(app, { buildDir, layerSharing });
  return {
    app,
    stacks,
    buildDir,
    layers: Template.fromStack(stacks.layers),
    application: Template.fromStack(stacks.application),
  };
}

function layerId(template: Template, layerName: string): string {
  const layers = template.findResources('AWS::Lambda::LayerVersion', { Properties: { LayerName: layerName } });
  const found = Object.keys(layers);
  assert.equal(found.length, 1, `one layer named '${layerName}', found ${found.length}`);
  return found[0];
}

function functionResource(template: Template, constructId: string) {
  const all = template.findResources('AWS::Lambda::Function');
  const ids = Object.keys(all).filter((id) => all[id].Metadata['aws:cdk:path'] === `${APP_STACK}/${constructId}/Resource`);
  assert.equal(ids.length, 1, `function '${constructId}' in ${APP_STACK}`);
  return all[ids[0]];
}

describe('Python example, export mode (default)', () => {
  const s = synth('export');
  const externalId = layerId(s.layers, 'lambda-layers-example-python-external');
  const pythonutilsId = layerId(s.layers, 'lambda-layers-example-pythonutils');

  test('both stacks synthesize under their own names', () => {
    assert.deepEqual(s.app.synth().stacks.map((st) => st.stackName).sort(), [APP_STACK, LAYERS_STACK]);
  });

  test('the layers stack has one python3.11 x86_64 LayerVersion per layer, retained', () => {
    s.layers.resourceCountIs('AWS::Lambda::LayerVersion', 2);
    s.layers.allResourcesProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['python3.11'],
      CompatibleArchitectures: ['x86_64'],
      Description: Match.stringLikeRegexp('python/ on sys.path'),
    });
    s.layers.allResources('AWS::Lambda::LayerVersion', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('each layer ARN is exported under its own name', () => {
    s.layers.hasOutput('PythonExternalLayerArn', {
      Export: { Name: 'PythonExternalLayerArn' },
      Value: { Ref: externalId },
    });
    s.layers.hasOutput('PythonutilsLayerArn', {
      Export: { Name: 'PythonutilsLayerArn' },
      Value: { Ref: pythonutilsId },
    });
    assert.deepEqual(Object.keys(s.layers.toJSON().Outputs).sort(), ['PythonExternalLayerArn', 'PythonutilsLayerArn']);
  });

  test('each layer ARN is also written to its SSM parameter', () => {
    s.layers.resourceCountIs('AWS::SSM::Parameter', 2);
    s.layers.hasResourceProperties('AWS::SSM::Parameter', { Name: EXTERNAL_PARAMETER, Value: { Ref: externalId } });
    s.layers.hasResourceProperties('AWS::SSM::Parameter', {
      Name: PYTHONUTILS_PARAMETER,
      Value: { Ref: pythonutilsId },
    });
  });

  for (const fn of FUNCTIONS) {
    test(`${fn.id} runs handler.handler on python3.11 and imports both layers, external first`, () => {
      const props = functionResource(s.application, fn.id).Properties;
      assert.equal(props.Runtime, 'python3.11');
      assert.equal(props.Handler, 'handler.handler');
      assert.deepEqual(props.Architectures, ['x86_64']);
      assert.deepEqual(props.Layers, [
        { 'Fn::ImportValue': 'PythonExternalLayerArn' },
        { 'Fn::ImportValue': 'PythonutilsLayerArn' },
      ]);
    });
  }

  test('the application stack depends on the Python layers stack only', () => {
    assert.deepEqual(s.stacks.application.dependencies.map((st) => st.stackName), [LAYERS_STACK]);
    assert.deepEqual(s.stacks.layers.dependencies, []);
    const manifest = JSON.parse(fs.readFileSync(path.join(s.app.synth().directory, 'manifest.json'), 'utf8'));
    assert.ok(manifest.artifacts[APP_STACK].dependencies.includes(LAYERS_STACK));
  });

  test('each package is the zip from the build directory, byte for byte', () => {
    const assembly = s.app.synth();
    const expect = [
      [LAYERS_STACK, 'PythonExternalLayer', 'layers/python-external.zip'],
      [LAYERS_STACK, 'PythonutilsLayer', 'layers/pythonutils.zip'],
      ...FUNCTIONS.map((fn) => [APP_STACK, fn.id, fn.zip]),
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

describe('Python example, ssm mode (-c layerSharing=ssm)', () => {
  const s = synth('ssm');
  const parameters = s.application.findParameters('*', { Type: 'AWS::SSM::Parameter::Value<String>' });
  const parameterFor = (name: string): string => {
    const ids = Object.keys(parameters).filter((id) => parameters[id].Default === name);
    assert.equal(ids.length, 1, `one template parameter reading '${name}'`);
    return ids[0];
  };

  test('the layers stack is the same as in export mode', () => {
    assert.deepEqual(s.layers.toJSON(), synth('export', s.buildDir).layers.toJSON());
  });

  for (const fn of FUNCTIONS) {
    test(`${fn.id} reads both layer ARNs from SSM parameters, external first`, () => {
      assert.deepEqual(functionResource(s.application, fn.id).Properties.Layers, [
        { Ref: parameterFor(EXTERNAL_PARAMETER) },
        { Ref: parameterFor(PYTHONUTILS_PARAMETER) },
      ]);
    });
  }

  test('the application stack imports no export and still depends on the layers stack', () => {
    assert.ok(!JSON.stringify(s.application.toJSON()).includes('Fn::ImportValue'));
    assert.deepEqual(s.stacks.application.dependencies.map((st) => st.stackName), [LAYERS_STACK]);
  });
});

describe('both examples in one app', () => {
  const app = new App({ outdir: tempDir('cdk-out'), context: CLI_CONTEXT });
  const config = { buildDir: fakeBuildDir(), layerSharing: 'export' as const };
  const cpp = defineStacks(app, config);
  const python = definePythonStacks(app, config);

  test('four stacks, with no export name or SSM parameter name twice', () => {
    const assembly = app.synth();
    assert.equal(assembly.stacks.length, 4);
    const exports: string[] = [];
    const parameters: string[] = [];
    for (const stack of [cpp.layers, python.layers]) {
      const template = Template.fromStack(stack).toJSON();
      for (const output of Object.values<any>(template.Outputs)) exports.push(output.Export.Name);
      for (const r of Object.values<any>(template.Resources))
        if (r.Type === 'AWS::SSM::Parameter') parameters.push(r.Properties.Name);
    }
    assert.equal(new Set(exports).size, 4, exports.join(', '));
    assert.equal(new Set(parameters).size, 4, parameters.join(', '));
  });

  test('neither example depends on the other', () => {
    assert.deepEqual(python.application.dependencies.map((st) => st.stackName), [LAYERS_STACK]);
    assert.deepEqual(cpp.application.dependencies.map((st) => st.stackName), ['Lambda-layers-example-layers']);
  });

  test('the real CDK CLI synthesizes all four stacks, the Python application after its layers', () => {
    const out = tempDir('cdk-cli-out');
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
    const args = ['--no-install', 'cdk', 'synth', '-q', '-c', `buildDir=${config.buildDir}`, '-o', out];
    const run = spawnSync('npx', args, {
      cwd: projectRoot(),
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(run.status, 0, `cdk synth failed:\n${run.stderr}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    for (const name of [LAYERS_STACK, APP_STACK, 'Lambda-layers-example-layers', 'Lambda-layers-example'])
      assert.equal(manifest.artifacts[name]?.type, 'aws:cloudformation:stack', name);
    assert.ok(manifest.artifacts[APP_STACK].dependencies.includes(LAYERS_STACK));
    const application = JSON.parse(fs.readFileSync(path.join(out, `${APP_STACK}.template.json`), 'utf8'));
    assert.match(JSON.stringify(application), /"Fn::ImportValue":"PythonExternalLayerArn"/);
  });
});
