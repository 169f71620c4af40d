// express-openapi-validator set up strictly: every request and every JSON response checked against the
// bundled spec. Security is checked by push/authenticate.ts (it needs the channel), so the validator's own
// security handlers are off.
import * as OpenApiValidator from 'express-openapi-validator';
import type { OpenApiDocument } from './spec.js';

export function specValidator(spec: OpenApiDocument, options: { validateResponses: boolean }) {
  return OpenApiValidator.middleware({
    apiSpec: structuredClone(spec) as never,
    // allErrors so a 400 names every failing path; our schemas have no body patterns for it to amplify.
    validateRequests: { allowUnknownQueryParameters: false, coerceTypes: false, allErrors: true },
    validateResponses: options.validateResponses,
    validateSecurity: false,
    validateApiSpec: true,
    ignoreUndocumented: false,
    fileUploader: false,
    $refParser: { mode: 'bundle' },
  });
}
