import { IDENTIFIER_KINDS, INPUT_REASONS } from '@ampseal/core';
import { MALFORMED_REASONS, SUBJECT_KINDS } from './record';

describe('record vocabulary mirrors @ampseal/core', () => {
  test('subject kinds are the identifier kinds of design §3', () => {
    expect([...SUBJECT_KINDS].sort()).toEqual([...IDENTIFIER_KINDS].sort());
  });

  test('malformed reasons are the quarantine reasons of input errors', () => {
    expect([...MALFORMED_REASONS].sort()).toEqual([...INPUT_REASONS].sort());
  });
});
