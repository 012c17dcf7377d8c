// The app as users run it: as a process (what the CDK CLI starts) and
// through the real CDK CLI, with no AWS credentials.
import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../../app';
import { ALL_ZIPS, fakeBuildDir, tempDir } from './helpers';

const ROOT = projectRoot();
const COMPILED_APP = path.join(__dirname, '..', '..', 'app.js');
const HINT = 'run scripts/build.sh first, it writes the zips this CDK app deploys';

// The environment of a machine with no AWS account: no AWS_* variables, no
// metadata service, no telemetry.
function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', ...extra };
}

// Runs the app the way the CDK CLI does: context in CDK_CONTEXT_JSON.
function runApp(context: Record<string, string>): SpawnSyncReturns<string> {
  const env = offlineEnv({ CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: tempDir('cdk-out') });
  return spawnSync(process.execPath, [COMPILED_APP], { cwd: ROOT, env, encoding: 'utf8' });
}

function runCdk(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('npx', ['--no-install', 'cdk', ...args], {
    cwd: ROOT,
    env: offlineEnv(),
    encoding: 'utf8',
    timeout: 300_000,
  });
}

describe('synth before a build', () => {
  test('says in one line which zip is missing and to run scripts/build.sh', () => {
    const buildDir = tempDir('cdk-empty');
    const run = runApp({ buildDir });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `error: '${buildDir}/layers/external.zip' does not exist; ${HINT}\n`);
  });

  test('names a build directory under the project root relative to it', () => {
    const run = runApp({ buildDir: 'build/no-such-build-dir' });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `error: 'build/no-such-build-dir/layers/external.zip' does not exist; ${HINT}\n`);
  });

  test('names the first missing zip when the build is incomplete', () => {
    const buildDir = fakeBuildDir(ALL_ZIPS.filter((z) => z !== 'functions/catalog.zip'));
    const run = runApp({ buildDir });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `error: '${buildDir}/functions/catalog.zip' does not exist; ${HINT}\n`);
  });

  test('an unknown layerSharing is one line too', () => {
    const run = runApp({ buildDir: fakeBuildDir(), layerSharing: 'shared' });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, "error: context 'layerSharing' is 'shared'; use 'export' or 'ssm' (-c layerSharing=ssm)\n");
  });
});

describe('the real CDK CLI, no AWS credentials', () => {
  test('cdk synth writes both templates and the dependency into cdk.out', () => {
    const out = tempDir('cdk-cli-out');
    const run = runCdk(['synth', '-q', '-c', `buildDir=${fakeBuildDir()}`, '-o', out]);
    assert.equal(run.status, 0, `cdk synth failed:\n${run.stderr}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.artifacts['Lambda-layers-example-layers'].type, 'aws:cloudformation:stack');
    assert.equal(manifest.artifacts['Lambda-layers-example'].type, 'aws:cloudformation:stack');
    assert.ok(manifest.artifacts['Lambda-layers-example'].dependencies.includes('Lambda-layers-example-layers'));
    const layers = JSON.parse(fs.readFileSync(path.join(out, 'Lambda-layers-example-layers.template.json'), 'utf8'));
    const application = JSON.parse(fs.readFileSync(path.join(out, 'Lambda-layers-example.template.json'), 'utf8'));
    assert.deepEqual(Object.keys(layers.Outputs).sort(), ['CpputilsLayerArn', 'ExternalLayerArn']);
    assert.match(JSON.stringify(application), /"Fn::ImportValue":"ExternalLayerArn"/);
  });

  test('cdk synth -c layerSharing=ssm switches the application stack to SSM parameters', () => {
    const out = tempDir('cdk-cli-out');
    const run = runCdk(['synth', '-q', '-c', `buildDir=${fakeBuildDir()}`, '-c', 'layerSharing=ssm', '-o', out]);
    assert.equal(run.status, 0, `cdk synth failed:\n${run.stderr}`);
    const application = JSON.parse(fs.readFileSync(path.join(out, 'Lambda-layers-example.template.json'), 'utf8'));
    const defaults = Object.values<any>(application.Parameters)
      .filter((p) => p.Type === 'AWS::SSM::Parameter::Value<String>')
      .map((p) => p.Default);
    assert.ok(defaults.includes('/lambda-layers-example/external-layer-arn'), defaults.join(', '));
    assert.ok(defaults.includes('/lambda-layers-example/cpputils-layer-arn'), defaults.join(', '));
  });

  test('cdk synth before a build fails with the one-line message', () => {
    const buildDir = tempDir('cdk-empty');
    const run = runCdk(['synth', '-q', '-c', `buildDir=${buildDir}`, '-o', tempDir('cdk-cli-out')]);
    assert.notEqual(run.status, 0);
    const lines = run.stderr.split('\n');
    assert.ok(lines.includes(`error: '${buildDir}/layers/external.zip' does not exist; ${HINT}`), run.stderr);
    assert.ok(!/\n\s+at /.test(run.stderr), `no stack trace:\n${run.stderr}`);
  });
});
