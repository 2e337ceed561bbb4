// The kit and openapi.yaml cannot drift apart: every operation the kit calls
// is in the served description with the same method and path, and every
// control operation the description has is one the kit calls.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { operations, startSandbox } from '../index.js';
import { bin } from './support.js';

let sandbox;
before(async () => { sandbox = await startSandbox({ bin }); });
after(async () => { await sandbox.stop(); });

test('the kit calls exactly the control operations the description has, by method and path', async () => {
  const description = await sandbox.default.openapi();
  const control = {};
  for (const [path, item] of Object.entries(description.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (path.startsWith('/__admin/') && op?.tags?.includes('control')) control[op.operationId] = [method.toUpperCase(), path];
    }
  }
  assert.deepEqual(operations, control);
});
