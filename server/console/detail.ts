// The detail pane: one delivery exactly as received, the error body a refused sender got, and the
// actions (copy the JSON, copy a curl command, open an attachment). Remote media is never fetched by
// the page itself: an attachment opens in a new tab only when the person asks for it.
import { copyText } from './clipboard.js';
import { curlFor } from './curl.js';
import { append, h, type Child } from './dom.js';
import { isoTime, localTime, statusLabel, webUrl } from './format.js';
import type { Entry } from './store.js';

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** A refused body is shown pretty when it is whole JSON; otherwise as the text it was. */
function prettyBody(body: string, truncated: boolean): { text: string; pretty: boolean } {
  if (!truncated) {
    try {
      return { text: pretty(JSON.parse(body)), pretty: true };
    } catch {
      // not JSON: show it as it came
    }
  }
  return { text: body, pretty: false };
}

export class Detail {
  constructor(
    private readonly pane: HTMLElement,
    private readonly notice: HTMLElement,
  ) {}

  private say(text: string): void {
    // Cleared first so saying the same thing twice is announced twice.
    this.notice.textContent = '';
    setTimeout(() => (this.notice.textContent = text), 50);
  }

  private copyButton(label: string, text: () => string, done: string): HTMLButtonElement {
    const button = h('button', { type: 'button', class: 'action' }, label);
    button.addEventListener('click', async () => this.say((await copyText(text())) ? done : 'Copy failed: select the text and copy it by hand.'));
    return button;
  }

  private block(title: string, id: string, text: string, copyLabel: string, note?: string): HTMLElement {
    return h(
      'section',
      { class: 'block', 'aria-labelledby': `${id}-title` },
      h('div', { class: 'block-head' }, h('h3', { id: `${id}-title` }, title), this.copyButton(copyLabel, () => text, `${title}: copied.`)),
      note && h('p', { class: 'note' }, note),
      h('pre', { id, class: 'json' }, h('code', {}, text)),
    );
  }

  render(e: Entry | undefined): void {
    if (!e) {
      this.pane.replaceChildren(h('p', { class: 'empty' }, 'Select a delivery in the timeline to see it here.'));
      return;
    }
    const facts: Array<[string, Child]> = [
      ['Status', h('span', { class: `badge ${e.status === 'accepted' ? 'ok' : 'bad'}` }, statusLabel(e.status, e.httpStatus))],
      ['Channel', e.channel ?? 'none'],
      ['Kind', e.kind],
      ['Direction', e.direction ?? 'unknown'],
      ['From', e.sender ?? 'unknown'],
      ['To', e.recipient ?? 'unknown'],
      ['Event time', h('time', { datetime: isoTime(e.eventTime) }, localTime(e.eventTime))],
      [e.status === 'accepted' ? 'Received' : 'Refused', h('time', { datetime: isoTime(e.at) }, localTime(e.at))],
    ];
    const parts: Child[] = [];
    if (e.item.type === 'accepted') {
      const { item } = e.item;
      facts.push(['Inbox ID', item.id], ['Message ID', item.mid ?? 'none']);
      if (e.summary) facts.push(['Text', e.summary]);
      parts.push(this.block('Event as received', 'event-json', pretty(item.event), 'Copy JSON'));
    } else {
      const { refusal } = e.item;
      facts.push(['Request', `${refusal.method} ${refusal.path}`], ['Content type', refusal.contentType ?? 'none'], ['Request ID', refusal.error.requestId]);
      if (refusal.handshake) {
        // The server never keeps the verify token: only whether one was sent.
        facts.push(['Mode', refusal.handshake.mode ?? 'none sent'], ['Verify token', refusal.handshake.verifyTokenSent ? 'sent (never kept or shown)' : 'none sent']);
      }
      parts.push(
        h(
          'section',
          { class: 'block reason-block', 'aria-labelledby': 'reason-title' },
          h('h3', { id: 'reason-title' }, 'Why it was refused'),
          h('p', {}, refusal.error.resultMsg),
          refusal.error.errors.length > 0 &&
            h('ul', { class: 'paths' }, ...refusal.error.errors.map((x) => h('li', {}, h('code', {}, x.path), ` ${x.message}`))),
        ),
        this.block('Error body the sender got', 'error-json', pretty(refusal.error), 'Copy error body'),
      );
      if (refusal.body === null) parts.push(h('p', { class: 'note' }, 'The request had no body.'));
      else {
        const shown = prettyBody(refusal.body, refusal.bodyTruncated);
        const note = [refusal.bodyTruncated ? 'Cut at 64 KiB.' : '', shown.pretty ? 'Pretty-printed here; Copy copies the exact text received.' : '']
          .filter(Boolean)
          .join(' ');
        const block = this.block('Body as received', 'body-json', shown.text, 'Copy body', note || undefined);
        // The copy button must copy the received text, not the pretty-printed one.
        const copy = block.querySelector('button');
        copy?.replaceWith(this.copyButton('Copy body', () => refusal.body ?? '', 'Body as received: copied.'));
        parts.push(block);
      }
    }
    if (e.attachments.length) {
      parts.splice(
        0,
        0,
        h(
          'section',
          { class: 'block', 'aria-labelledby': 'attachments-title' },
          h('h3', { id: 'attachments-title' }, 'Attachments'),
          h(
            'ul',
            { class: 'attachments' },
            ...e.attachments.map((a, i) => {
              const url = webUrl(a.url);
              return h(
                'li',
                {},
                h('span', { class: 'chip att' }, a.type),
                h('code', { class: 'url' }, a.url ?? 'no URL'),
                // A link, not an <img>: the CSP blocks remote images, and the console must not reach
                // Meta's CDN unless the person asks.
                url && h('a', { class: 'action', href: url, target: '_blank', rel: 'noopener noreferrer' }, 'Load preview', h('span', { class: 'visually-hidden' }, ` of attachment ${i + 1} (${a.type}, opens in a new tab)`)),
              );
            }),
          ),
        ),
      );
    }
    this.pane.replaceChildren();
    append(this.pane, [
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('div', { class: 'actions' }, this.copyButton('Copy as curl', () => curlFor(e, location.origin), 'curl command copied (the signature is a placeholder).')),
      // The relay's forwarding of an accepted event, filled (and kept current) by relay-view.ts.
      e.item.type === 'accepted' && h('div', { id: 'forwarding' }),
      ...parts,
    ]);
  }
}
