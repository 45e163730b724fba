import { INPUT_REASONS } from '@ampseal/core';
import { MALFORMED_REASONS } from './record';

describe('record vocabulary matches @ampseal/core', () => {
  test('malformed reasons are the quarantine reasons of input errors', () => {
    expect([...MALFORMED_REASONS].sort()).toEqual([...INPUT_REASONS].sort());
  });
});
