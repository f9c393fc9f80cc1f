import assert from 'node:assert/strict';

import { paymentHashOf } from '../server/invoice-book.mjs';
import {
  assertCleanEnd,
  assertSessionStart,
  integrationTest,
  operation,
  runBlinkSub,
  startMock,
} from './harness.mjs';

// Invoices whose request contains "paid" or "expired" reach that status one interval after
// the first subscription (tests/server/README.md).
const FAST = { intervalMs: 20 };

const statusOf = (line) => Object.values(line.data)[0].status;

integrationTest('a paid invoice ends the run with exit 0; the client completes it', async () => {
  const mock = await startMock(FAST);
  const request = 'lnbcrt10u1pmockpaid';
  const run = runBlinkSub(['invoice-status', '--payment-request', request, '-e', mock.url]);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.deepEqual(json.map(statusOf), ['PENDING', 'PAID']);
  const paid = json[1].data.lnInvoicePaymentStatusByPaymentRequest;
  assert.equal(paid.paymentHash, paymentHashOf(request));
  assert.match(paid.paymentPreimage, /^[0-9a-f]{64}$/);
  await assertSessionStart(mock);
  const { field, args } = await operation(mock);
  assert.equal(field, 'lnInvoicePaymentStatusByPaymentRequest');
  assert.equal(args.input.paymentRequest, request);
  await assertCleanEnd(mock);
});

integrationTest('an expired invoice exits 5 after completing the subscription', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'invoice-status', '--payment-request', 'lnbcrt10u1pmockexpired', '-e', mock.url,
  ]);

  const { code, json } = await run.result();
  assert.equal(code, 5);
  assert.deepEqual(json.map(statusOf), ['PENDING', 'EXPIRED']);
  await assertCleanEnd(mock);
});

integrationTest('an invoice already paid ends at the first update', async () => {
  const mock = await startMock(FAST);
  const request = 'lnbcrt10u1pmockalready';
  mock.settle(request, 'PAID');
  const run = runBlinkSub(['invoice-status', '--payment-request', request, '-e', mock.url]);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.deepEqual(json.map(statusOf), ['PAID']);
  await assertCleanEnd(mock);
});

integrationTest('--payment-hash follows the invoice by its hash', async () => {
  const mock = await startMock(FAST);
  const hash = 'a1'.repeat(32);
  const run = runBlinkSub(['invoice-status', '--payment-hash', hash, '-e', mock.url]);

  assert.equal(statusOf(await run.line(1)), 'PENDING');
  mock.settle(hash, 'PAID');
  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.deepEqual(json.map(statusOf), ['PENDING', 'PAID']);
  const { field, args } = await operation(mock);
  assert.equal(field, 'lnInvoicePaymentStatusByHash');
  assert.equal(args.input.paymentHash, hash);
  await assertCleanEnd(mock);
});

integrationTest('a pending invoice keeps the run going', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'invoice-status', '--payment-request', 'lnbcrt10u1pmockwaiting', '-e', mock.url,
  ]);

  assert.equal(statusOf(await run.line(1)), 'PENDING');
  // Other subscribers' invoices settle meanwhile; this one only when the test says so.
  mock.settle('lnbcrt10u1pmockother', 'PAID');
  mock.settle('lnbcrt10u1pmockwaiting', 'EXPIRED');
  const { code, json } = await run.result();
  assert.equal(code, 5);
  assert.deepEqual(json.map(statusOf), ['PENDING', 'EXPIRED']);
});

integrationTest('a malformed payment request: errors printed, then exit 4', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'invoice-status', '--payment-request', 'not-an-invoice', '-e', mock.url,
  ]);

  const { code, json, stderr } = await run.result();
  assert.equal(code, 4);
  assert.equal(json.length, 1);
  assert.equal(json[0].errors[0].message, 'Invalid value for LnPaymentRequest');
  assert.notEqual(stderr, '');
});
