// The table of repeated errors (server/contract/errors.ts): each named error renders its row, and the
// error handler answers the validator's statuses from the same rows, byte for byte on the wire.
import { describe, expect, it } from 'vitest';
import { ERROR_BY_STATUS, ERROR_TABLE, internalError, namedError, noRoute, notJson, parameterMismatch, schemaViolation, storeUnavailable, type ErrorName } from '../../server/contract/errors.js';
import { toApiError } from '../../server/http/error-handler.js';
import { StoreUnavailableError } from '../../server/inbox/inbox.js';

const detail = [{ path: '/body/entry', message: 'must be array' }];

describe('the error table', () => {
  it('renders each named error as its row', () => {
    for (const [name, row] of Object.entries(ERROR_TABLE)) {
      const e = namedError(name as ErrorName, detail, { 'X-Test': '1' });
      expect(e.status, name).toBe(row.status);
      expect(JSON.stringify(e.body('req-1')), name).toBe(JSON.stringify({ resultMsg: row.message, code: row.code, requestId: 'req-1', errors: detail }));
      expect(e.headers).toEqual({ 'X-Test': '1' });
    }
  });

  it('builds the constructors from their rows', () => {
    const pairs: [ErrorName, ReturnType<typeof namedError>][] = [
      ['schemaViolation', schemaViolation(detail)],
      ['parameterMismatch', parameterMismatch(detail)],
      ['notJson', notJson(detail)],
      ['noRoute', noRoute()],
      ['storeUnavailable', storeUnavailable()],
      ['internal', internalError()],
    ];
    for (const [name, e] of pairs) expect([e.status, e.code, e.message], name).toEqual([ERROR_TABLE[name].status, ERROR_TABLE[name].code, ERROR_TABLE[name].message]);
    expect(schemaViolation(detail).message).toBe('The request body does not match the schema.');
    expect(noRoute().body('r')).toEqual({ resultMsg: 'Nothing is served at this path. Check the request path.', code: 'not_found', requestId: 'r', errors: [] });
  });

  it('answers what the validator raises by status from the same rows', () => {
    for (const [status, name] of Object.entries(ERROR_BY_STATUS)) {
      const e = toApiError({ status: Number(status), message: 'x' });
      expect([e.status, e.code, e.message], status).toEqual([ERROR_TABLE[name].status, ERROR_TABLE[name].code, ERROR_TABLE[name].message]);
    }
    expect(toApiError({ status: 400, errors: [{ path: '/body/x', message: 'bad' }] }).message).toBe(ERROR_TABLE.schemaViolation.message);
    expect(toApiError({ status: 400, errors: [{ path: '/query/x', message: 'bad' }] }).message).toBe(ERROR_TABLE.parameterMismatch.message);
    expect(toApiError({ status: 405, headers: { Allow: 'GET' } }).headers).toEqual({ Allow: 'GET' });
    expect(toApiError(new StoreUnavailableError('disk full')).code).toBe('store_unavailable');
    expect(toApiError({ status: 418 }).code).toBe('internal_error');
  });
});
