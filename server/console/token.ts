// The inbox token: given once in the URL fragment (never sent to the server, unlike a query string),
// then kept in sessionStorage for this tab only and taken out of the address bar so it does not end up
// in screenshots, bookmarks or shared links.
const KEY = 'instagram-push-kit.inbox-token';

export function tokenFromFragment(): void {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token === null) return;
  if (token) saveToken(token);
  fragment.delete('token');
  const rest = fragment.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the person types the token each time
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token still works until the page is closed
  }
  memory = token;
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
  memory = null;
}

let memory: string | null = null;

export function currentToken(): string | null {
  return storedToken() ?? memory;
}
