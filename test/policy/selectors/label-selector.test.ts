import { describe, expect, it } from 'vitest';
import {
  isEmptyLabelSelector,
  labelSelectorKeys,
  mapLabelSelectorKeys,
  matchesLabelSelector,
  validateLabelSelector,
} from '../../../src/policy/selectors/label-selector.js';

const web = { app: 'web', tier: 'front' };

describe('matchesLabelSelector', () => {
  it.each([
    ['empty selector matches everything', {}, web, true],
    ['empty selector matches no labels', {}, {}, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, web, true],
    ['matchLabels differ', { matchLabels: { app: 'api' } }, web, false],
    ['matchLabels absent key', { matchLabels: { team: 'a' } }, web, false],
    ['matchLabels all must hold', { matchLabels: { app: 'web', tier: 'back' } }, web, false],
    ['In hit', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'web'] }] }, web, true],
    ['In miss', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }, web, false],
    [
      'In on absent key is false',
      { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] },
      web,
      false,
    ],
    ['NotIn hit', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] }, web, true],
    ['NotIn miss', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, web, false],
    [
      'NotIn on absent key is true',
      { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] },
      web,
      true,
    ],
    ['Exists present', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, web, true],
    ['Exists absent', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, web, false],
    ['DoesNotExist absent', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, web, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, web, false],
    [
      'matchLabels and expressions are ANDed',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      web,
      false,
    ],
    ['empty string value matches empty label', { matchLabels: { flag: '' } }, { flag: '' }, true],
    ['null selector selects nothing', null, web, false],
    ['absent selector selects nothing', undefined, web, false],
    [
      'invalid operator selects nothing',
      { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
      web,
      false,
    ],
    [
      'In without values selects nothing',
      { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] },
      web,
      false,
    ],
    [
      'Exists with values selects nothing',
      { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] },
      web,
      false,
    ],
    ['numeric label value is invalid', { matchLabels: { version: 1 } }, { version: '1' }, false],
    ['a list is not a selector', [], web, false],
  ])('%s', (_name, selector, labels, expected) => {
    expect(matchesLabelSelector(selector, labels)).toBe(expected);
  });
});

describe('validateLabelSelector', () => {
  it.each([
    ['empty', {}, []],
    ['absent', undefined, []],
    ['valid mixed', { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] }, []],
    [
      'unknown operator',
      { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] },
      ['s.matchExpressions[0].operator'],
    ],
    [
      'In without values',
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      ['s.matchExpressions[0].values'],
    ],
    [
      'NotIn with empty values',
      { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
      ['s.matchExpressions[0].values'],
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] },
      ['s.matchExpressions[0].values'],
    ],
    [
      'DoesNotExist with values',
      { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['b'] }] },
      ['s.matchExpressions[0].values'],
    ],
    ['missing key', { matchExpressions: [{ operator: 'Exists' }] }, ['s.matchExpressions[0].key']],
    ['non-string value', { matchLabels: { a: 1 } }, ['s.matchLabels.a']],
    ['matchExpressions not a list', { matchExpressions: { key: 'a' } }, ['s.matchExpressions']],
    ['not an object', 'app=web', ['s']],
  ])('%s', (_name, selector, paths) => {
    expect(validateLabelSelector(selector, 's').map((error) => error.path)).toEqual(paths);
  });

  it('names the operator it does not know', () => {
    const [error] = validateLabelSelector(
      { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] },
      's',
    );
    expect(error?.message).toContain('"Equals"');
  });
});

describe('isEmptyLabelSelector', () => {
  it.each([
    [{}, true],
    [{ matchLabels: {} }, true],
    [{ matchExpressions: [] }, true],
    [{ matchLabels: {}, matchExpressions: [] }, true],
    [{ matchLabels: { a: 'b' } }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, false],
    [undefined, false],
    [null, false],
  ])('%j → %s', (selector, expected) => {
    expect(isEmptyLabelSelector(selector)).toBe(expected);
  });
});

describe('selector key helpers', () => {
  it('lists the keys a selector constrains', () => {
    const selector = {
      matchLabels: { a: 'b' },
      matchExpressions: [
        { key: 'c', operator: 'Exists' },
        { key: 'a', operator: 'Exists' },
      ],
    };
    expect(labelSelectorKeys(selector)).toEqual(['a', 'c']);
  });

  it('renames keys in both parts', () => {
    const selector = {
      matchLabels: { 'k8s:app': 'web' },
      matchExpressions: [{ key: 'any:tier', operator: 'Exists' }],
    };
    expect(mapLabelSelectorKeys(selector, (key) => key.replace(/^(k8s|any):/, ''))).toEqual({
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'Exists' }],
    });
  });
});
