import { describe, expect, it } from 'vitest';
import { filtersFrom, filtersQuery } from '../src/pages/search';

describe('search filters in the address', () => {
  it('round-trip through the query string', () => {
    const filters = { q: 'stadium tour', type: 'concert', from: '2027-01-01', to: '' };
    const search = filtersQuery(filters);
    expect(search).toBe('?q=stadium+tour&type=concert&from=2027-01-01');
    expect(filtersFrom(new URLSearchParams(search))).toEqual(filters);
  });

  it('trim the text and leave an empty search as no query at all', () => {
    expect(filtersQuery({ q: '  ', type: '', from: '', to: '' })).toBe('');
    expect(filtersQuery({ q: ' jazz ', type: '', from: '', to: '' })).toBe('?q=jazz');
  });
});
