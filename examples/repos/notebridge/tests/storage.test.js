import { test } from 'node:test';
test('placeholder for the storage suite', () => {});
