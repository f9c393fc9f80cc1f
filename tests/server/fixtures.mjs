// The data the mock serves: plausible prices, one user with two wallets, and the transactions
// and updates of incoming payments. Every object carries all the scalar fields of its type and
// a `__typename`, so any selection works and abstract types resolve.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

// Blink's precision offsets: prices of one sat in 10^-12 minor units, of one US cent in 10^-6.
export const SAT_PRICE_OFFSET = 12;
export const USD_CENT_PRICE_OFFSET = 6;

const SATS_PER_BTC = 100_000_000;

// Minor units per US dollar, and how the currency is presented.
const CURRENCIES = {
  USD: { perUsd: 1, fractionDigits: 2, name: 'US Dollar', symbol: '$', flag: '🇺🇸' },
  EUR: { perUsd: 0.92, fractionDigits: 2, name: 'Euro', symbol: '€', flag: '🇪🇺' },
  GBP: { perUsd: 0.79, fractionDigits: 2, name: 'Pound Sterling', symbol: '£', flag: '🇬🇧' },
  CHF: { perUsd: 0.88, fractionDigits: 2, name: 'Swiss Franc', symbol: 'CHF', flag: '🇨🇭' },
  JPY: { perUsd: 151, fractionDigits: 0, name: 'Yen', symbol: '¥', flag: '🇯🇵' },
  SVC: { perUsd: 8.75, fractionDigits: 2, name: 'Salvadoran Colón', symbol: '₡', flag: '🇸🇻' },
  USDT: { perUsd: 1, fractionDigits: 6, name: 'Tether', symbol: '₮', flag: '' },
};

export const WALLET_IDS = {
  BTC: '2f1d6c3e-5b7a-4e39-9d0c-0a6b1e2f3c4d',
  USD: '8a9b0c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d',
};
const ACCOUNT_ID = 'c4f5e6d7-1a2b-4c3d-9e8f-7a6b5c4d3e2f';
const USER_ID = '5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');

// The BTC price in US dollars at tick `tick`: a small deterministic wobble around 97,000.
export function btcUsdPrice(tick) {
  return 97_000 + 25 * (((tick * 7) % 11) - 5);
}

const usdCentsPerSat = (tick) => (btcUsdPrice(tick) * 100) / SATS_PER_BTC;

export function applicationError(message, code = null) {
  return { __typename: 'GraphQLApplicationError', message, code, path: null };
}

// The `price` subscription payload for `amount` sats in US cents.
export function pricePayload(amount, tick) {
  const cents = amount * usdCentsPerSat(tick);
  return {
    errors: [],
    price: {
      __typename: 'Price',
      base: Math.round(cents * 10 ** SAT_PRICE_OFFSET),
      offset: SAT_PRICE_OFFSET,
      currencyUnit: 'USDCENT',
      formattedAmount: String(cents),
    },
  };
}

export function isKnownCurrency(code) {
  return Object.hasOwn(CURRENCIES, code);
}

// One RealtimePrice object for a currency code that isKnownCurrency() accepts.
export function realtimePrice(code, tick) {
  const currency = CURRENCIES[code];
  const minorPerUsdCent = (currency.perUsd / 100) * 10 ** currency.fractionDigits;
  const minorPerSat = usdCentsPerSat(tick) * minorPerUsdCent;
  return {
    __typename: 'RealtimePrice',
    id: randomUUID(),
    timestamp: nowSeconds(),
    denominatorCurrency: code,
    denominatorCurrencyDetails: {
      __typename: 'Currency',
      id: code,
      name: currency.name,
      symbol: currency.symbol,
      flag: currency.flag,
      fractionDigits: currency.fractionDigits,
    },
    btcSatPrice: {
      __typename: 'PriceOfOneSatInMinorUnit',
      base: Math.round(minorPerSat * 10 ** SAT_PRICE_OFFSET),
      offset: SAT_PRICE_OFFSET,
      currencyUnit: 'MINOR',
    },
    usdCentPrice: {
      __typename: 'PriceOfOneUsdCentInMinorUnit',
      base: Math.round(minorPerUsdCent * 10 ** USD_CENT_PRICE_OFFSET),
      offset: USD_CENT_PRICE_OFFSET,
      currencyUnit: 'MINOR',
    },
  };
}

// The `update` of a myUpdates price tick; Blink sends these with `me: null`.
export function priceUpdate(tick) {
  const { price } = pricePayload(1, tick);
  return { errors: [], me: null, update: price };
}

const pageInfo = { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null };
const emptyConnection = () => ({ edges: [], pageInfo });

function wallet(currency, transactions) {
  const find = (predicate) => transactions.filter(predicate);
  const type = currency === 'BTC' ? 'BTCWallet' : 'UsdWallet';
  return {
    __typename: type,
    id: WALLET_IDS[currency],
    accountId: ACCOUNT_ID,
    walletCurrency: currency,
    balance: currency === 'BTC' ? 250_000 : 12_345,
    pendingIncomingBalance: 0,
    pendingIncomingTransactions: [],
    pendingIncomingTransactionsByAddress: () => [],
    invoices: emptyConnection,
    invoiceByPaymentHash: ({ paymentHash }) => lnInvoice(paymentHash),
    transactions: emptyConnection,
    transactionsByAddress: emptyConnection,
    transactionById: ({ transactionId }) => {
      const found = transactions.find((tx) => tx.id === transactionId);
      if (!found) throw new Error(`Transaction not found: ${transactionId}`);
      return found;
    },
    transactionsByPaymentHash: ({ paymentHash }) =>
      find((tx) => tx.initiationVia.paymentHash === paymentHash),
    transactionsByPaymentRequest: ({ paymentRequest }) =>
      find((tx) => tx.initiationVia.paymentRequest === paymentRequest),
  };
}

function lnInvoice(paymentHash) {
  return {
    __typename: 'LnInvoice',
    createdAt: nowSeconds(),
    externalId: `mock-${paymentHash.slice(0, 8)}`,
    paymentHash,
    paymentRequest: `lnbcrt10u1pmock${paymentHash.slice(0, 16)}`,
    paymentSecret: sha256Hex(`secret:${paymentHash}`),
    paymentStatus: 'PENDING',
    satoshis: 1000,
  };
}

// The user behind every valid key or token. `transactions` are the payments received so far.
export function mockUser(transactions = []) {
  const wallets = [wallet('BTC', transactions), wallet('USD', transactions)];
  const account = {
    __typename: 'ConsumerAccount',
    id: ACCOUNT_ID,
    level: 'ONE',
    displayCurrency: 'USD',
    defaultWalletId: WALLET_IDS.BTC,
    defaultWallet: {
      __typename: 'PublicWallet',
      id: WALLET_IDS.BTC,
      currency: 'BTC',
      walletCurrency: 'BTC',
    },
    wallets,
    walletById: ({ walletId }) => wallets.find((w) => w.id === walletId) ?? wallets[0],
    callbackEndpoints: [],
    callbackPortalUrl: 'https://dashboard.blink.sv/callback',
    csvTransactions: () => '',
    invoices: emptyConnection,
    transactions: emptyConnection,
    pendingIncomingTransactions: () => [],
    limits: { convert: [], internalSend: [], withdrawal: [] },
    notificationSettings: { push: { enabled: true, disabledCategories: [] } },
    quiz: [],
    realtimePrice: () => realtimePrice('USD', 0),
  };
  return {
    __typename: 'User',
    id: USER_ID,
    createdAt: 1_700_000_000,
    language: 'en',
    username: 'satoshi_mock',
    phone: '+50370000000',
    email: { __typename: 'Email', address: 'mock@example.com', verified: true },
    totpEnabled: false,
    defaultAccount: account,
    contacts: [],
    contactByUsername: ({ username }) => ({
      __typename: 'UserContact',
      id: username,
      handle: username,
      username,
      alias: null,
      transactionsCount: 0,
      transactions: emptyConnection,
    }),
    supportChat: [],
  };
}

const KINDS = {
  ln: { initiation: 'InitiationViaLn', settlement: 'SettlementViaLn' },
  onchain: { initiation: 'InitiationViaOnChain', settlement: 'SettlementViaOnChain' },
  intraledger: { initiation: 'InitiationViaIntraLedger', settlement: 'SettlementViaIntraLedger' },
};

// A received payment of `sats` as a Transaction; `kind` is 'ln', 'onchain' or 'intraledger'.
export function incomingTransaction({ kind = 'ln', sats = 1000, memo = null, tick = 0 }) {
  if (!Object.hasOwn(KINDS, kind)) throw new Error(`unknown payment kind: ${kind}`);
  const preimage = randomBytes(32).toString('hex');
  const paymentHash = sha256Hex(Buffer.from(preimage, 'hex'));
  const txHash = sha256Hex(`tx:${preimage}`);
  const centsPerSat = usdCentsPerSat(tick);
  const initiations = {
    ln: { paymentHash, paymentRequest: `lnbcrt${sats}n1pmock${paymentHash.slice(0, 24)}` },
    onchain: { address: 'bcrt1qmockaddress0000000000000000000000000000' },
    intraledger: { counterPartyUsername: 'alice_mock', counterPartyWalletId: WALLET_IDS.USD },
  };
  const settlements = {
    ln: { preImage: preimage, paymentSecret: sha256Hex(`secret:${preimage}`), successAction: null },
    onchain: { transactionHash: txHash, vout: 0, arrivalInMempoolEstimatedAt: null },
    intraledger: {
      counterPartyUsername: 'alice_mock',
      counterPartyWalletId: WALLET_IDS.USD,
      preImage: null,
    },
  };
  return {
    __typename: 'Transaction',
    id: randomUUID(),
    createdAt: nowSeconds(),
    direction: 'RECEIVE',
    status: 'SUCCESS',
    memo,
    externalId: null,
    settlementAmount: sats,
    settlementFee: 0,
    settlementCurrency: 'BTC',
    settlementDisplayAmount: ((sats * centsPerSat) / 100).toFixed(2),
    settlementDisplayFee: '0.00',
    settlementDisplayCurrency: 'USD',
    settlementPrice: {
      __typename: 'PriceOfOneSettlementMinorUnitInDisplayMinorUnit',
      base: Math.round(centsPerSat * 10 ** SAT_PRICE_OFFSET),
      offset: SAT_PRICE_OFFSET,
      currencyUnit: 'USDCENT',
      formattedAmount: String(centsPerSat),
    },
    initiationVia: { __typename: KINDS[kind].initiation, ...initiations[kind] },
    settlementVia: { __typename: KINDS[kind].settlement, ...settlements[kind] },
  };
}

// The myUpdates `update` that announces `transaction`, of the kind it was made with.
export function paymentUpdate(transaction) {
  const walletId = WALLET_IDS.BTC;
  const amount = transaction.settlementAmount;
  const perSat = transaction.settlementPrice.base / 10 ** (SAT_PRICE_OFFSET + 2);
  switch (transaction.initiationVia.__typename) {
    case 'InitiationViaLn':
      return {
        __typename: 'LnUpdate',
        paymentHash: transaction.initiationVia.paymentHash,
        status: 'PAID',
        walletId,
        transaction,
      };
    case 'InitiationViaOnChain':
      return {
        __typename: 'OnChainUpdate',
        txNotificationType: 'OnchainReceipt',
        txHash: transaction.settlementVia.transactionHash,
        amount,
        displayCurrencyPerSat: perSat,
        usdPerSat: perSat,
        walletId,
        transaction,
      };
    default:
      return {
        __typename: 'IntraLedgerUpdate',
        txNotificationType: 'IntraLedgerReceipt',
        amount,
        displayCurrencyPerSat: perSat,
        usdPerSat: perSat,
        walletId,
        transaction,
      };
  }
}
