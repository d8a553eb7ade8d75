import { test } from 'node:test';
test('placeholder for the picker suite', () => {});
