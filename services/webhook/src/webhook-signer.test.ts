import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WebhookSigner } from './webhook-signer.js';

describe('WebhookSigner', () => {
  const secret = `whsec_${Buffer.from('a 32-byte secret for the tests!!').toString('base64')}`;
  const body = JSON.stringify({ streamPath: 'live/jt1078-295696659617-1', sim: '295696659617', channel: 1, startTime: '2025-07-13 18:58:15' });

  it('produces signatures the reference implementation verifies', () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = new WebhookSigner(secret).sign('evt_1', now, body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('is rejected by the reference implementation when the body changes', () => {
    const headers = new WebhookSigner(secret).sign('evt_1', Math.floor(Date.now() / 1000), body);
    expect(() => new Webhook(secret).verify(body.replace('18:58', '18:59'), { ...headers })).toThrow();
  });

  it('matches the known value of the spec scheme for a raw secret', () => {
    const headers = new WebhookSigner('plain-secret').sign('msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    // Computed independently: printf '%s' 'msg_….1614265330.{"test": 2432232314}' | openssl dgst -sha256 -hmac plain-secret -binary | base64
    expect(headers['webhook-signature']).toBe('v1,3Iu+JbC8cHey9rJURLZfxQoX30vMfLebm9Kn1ePn6f4=');
  });
});
