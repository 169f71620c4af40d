// A destination's URL as the status views show it: never its credentials. User info is dropped and the
// values of query parameters whose names look like secrets (token, key, signature…) become "***".
const SECRET_NAME = /token|secret|key|sig|pass|pwd|auth|credential|code|session/i;

export function shownUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(not a URL)';
  }
  url.username = '';
  url.password = '';
  const secret = [...url.searchParams.keys()].filter((name) => SECRET_NAME.test(name));
  // Only a query with a secret is rewritten: the others are shown exactly as configured.
  for (const name of new Set(secret)) url.searchParams.set(name, '***');
  return url.toString();
}
