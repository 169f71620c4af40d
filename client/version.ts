// The package version, sent in the User-Agent. A test keeps it equal to client/package.json's.
export const VERSION = '0.2.0';
export const USER_AGENT = `instagram-push-kit/${VERSION}`;
