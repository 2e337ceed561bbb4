// Every `js` block of the kit's README runs as written: each becomes a test
// file inside the package (so `import … from 'sca-sandbox'` resolves to this
// kit) and must pass under node's test runner.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { bin } from './support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}/README.md`, 'utf8');
// `js` blocks run as they are; `ts` blocks through tsx, as the README says.
const blocks = [...readme.matchAll(/^```(js|ts)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));

test('the README has examples to run', () => {
  assert.ok(blocks.length >= 2, `found ${blocks.length} js blocks`);
});

blocks.forEach(({ lang, code }, i) => {
  test(`README ${lang} block ${i + 1} runs`, () => {
    const file = `${root}/.readme-block-${i + 1}.test.${lang === 'ts' ? 'mts' : 'mjs'}`;
    writeFileSync(file, code);
    const args = lang === 'ts' ? ['--import', 'tsx', '--test', file] : ['--test', file];
    // Without the parent runner's context the child reports in plain TAP.
    const env = { ...process.env, SCA_SANDBOX_BIN: bin };
    delete env.NODE_TEST_CONTEXT;
    try {
      const run = spawnSync(process.execPath, args, {
        cwd: root, env, encoding: 'utf8', timeout: 60000,
      });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /# pass [1-9]/);
      assert.match(run.stdout, /# fail 0/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});

test('the README\'s first test, without a binary, reports only that', () => {
  const file = `${root}/.readme-missing-bin.test.mjs`;
  writeFileSync(file, blocks[0].code);
  const env = { ...process.env, SCA_SANDBOX_BIN: `${root}/no-such-binary` };
  delete env.NODE_TEST_CONTEXT;
  try {
    const run = spawnSync(process.execPath, ['--test', file], { cwd: root, env, encoding: 'utf8', timeout: 60000 });
    assert.notEqual(run.status, 0);
    const output = `${run.stdout}\n${run.stderr}`;
    assert.match(output, /no-such-binary/);
    // No second error from stopping a sandbox that never started.
    assert.doesNotMatch(output, /Cannot read properties of undefined/);
  } finally {
    rmSync(file, { force: true });
  }
});
