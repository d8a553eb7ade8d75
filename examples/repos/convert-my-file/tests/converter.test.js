import { test } from 'node:test';
import assert from 'node:assert';
import { outputName } from '../src/background/converter.js';

test('outputName swaps the extension', () => {
  assert.strictEqual(outputName({ name: 'a.png' }, 'jpg'), 'a.jpg');
});
