// A configuration with two signed channels, one unsigned and one disabled, shared by the server tests.
export const ACCOUNT_A = '17841400000000000';
export const ACCOUNT_B = '17841400000000001';
export const ACCOUNT_OPEN = '17841400000000002';
export const ACCOUNT_OFF = '17841400000000003';
export const SECRET_A = 'app-secret-a';
export const SECRET_B = 'app-secret-b';
export const INBOX_TOKEN = 'inbox-token';

export const testConfig = {
  channels: [
    { id: 'chan-a', accountId: ACCOUNT_A, appSecret: SECRET_A, verifyToken: 'verify-a', enabled: true },
    { id: 'chan-b', accountId: ACCOUNT_B, appSecret: SECRET_B, verifyToken: 'verify-b', enabled: true },
    { id: 'chan-open', accountId: ACCOUNT_OPEN, verifyToken: 'verify-open', enabled: true },
    { id: 'chan-off', accountId: ACCOUNT_OFF, appSecret: 'off-secret', verifyToken: 'verify-off', enabled: false },
  ],
  inboxToken: INBOX_TOKEN,
};

export const bearer = { authorization: `Bearer ${INBOX_TOKEN}` };
