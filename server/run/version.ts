// The server package's version, printed by `--version`. A test keeps it equal to server/package.json's.
export const SERVER_VERSION = '0.2.0';
