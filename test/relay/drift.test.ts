// Configuration drift between relay instances: which destinations differ, and how the log says it.
import { describe, expect, it } from 'vitest';
import { compareDestinations, describeDrift, urlFingerprint } from '../../server/relay/drift.js';

const d = (id: string, url = 'https://a.example/hook') => ({ id, urlHash: urlFingerprint(url) });

describe('configuration drift between instances', () => {
  it('finds none alone, or when every live instance has the same destinations at the same URLs', () => {
    expect(compareDestinations([d('x')], [])).toBeNull();
    expect(compareDestinations([d('x'), d('y')], [{ instance: 'b', destinations: [d('y'), d('x')] }])).toBeNull();
  });

  it('names the IDs this instance lacks, has extra, and those whose URL differs, each with the instances concerned', () => {
    const drift = compareDestinations([d('x'), d('y', 'https://new.example/?token=s3cret')], [
      { instance: 'b', destinations: [d('y'), d('z')] },
      { instance: 'c', destinations: [d('x'), d('y'), d('z')] },
    ]);
    expect(drift).toEqual({ lacking: [{ id: 'z', instances: ['b', 'c'] }], extra: [{ id: 'x', instances: ['b'] }], urlDiffers: [{ id: 'y', instances: ['b', 'c'] }] });
    const text = describeDrift(drift!);
    expect(text).toBe(
      'relay: CONFIGURATION DRIFT between instances sharing this database: this instance lacks destinations other instances forward: z (b, c); this instance has destinations other instances lack: x (b); these destinations have another URL on other instances: y (b, c). Each instance forwards only the destinations it configures (the ones shared keep being forwarded); deploy one configuration to every instance.',
    );
    expect(text).not.toMatch(/s3cret|example/);
  });

  it('fingerprints a URL without keeping it', () => {
    expect(urlFingerprint('https://a.example/hook?token=1')).toMatch(/^[0-9a-f]{16}$/);
    expect(urlFingerprint('https://a.example/hook?token=1')).not.toBe(urlFingerprint('https://a.example/hook?token=2'));
  });
});
