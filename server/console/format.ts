// Small display helpers shared by the timeline and the detail pane.
export function localTime(ms: number | null): string {
  if (ms === null) return 'no time';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'no time' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function isoTime(ms: number | null): string | undefined {
  if (ms === null) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Only web links can be opened; anything else (javascript:, data:…) is shown as text and no more. */
export function webUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

export function statusLabel(status: 'accepted' | 'refused', httpStatus: number): string {
  return status === 'accepted' ? `${httpStatus} accepted` : `${httpStatus} refused`;
}
