'use strict';
// What every browser test script shares, installed beside playwright-core
// as the module "vishnu-browsertest" (see install.go): the app's address,
// how Chromium is launched, and how a check fails.

// base is the address of the app under test.
const base = process.env.VISHNU_BASE_URL;

// launchOptions start the Chromium the Go test found, headless, quiet, and
// with nothing of its own on the network.
const launchOptions = {
  executablePath: process.env.VISHNU_CHROMIUM,
  headless: true,
  timeout: 60000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

// check throws message unless ok: the script then fails with it.
function check(ok, message) {
  if (!ok) throw new Error(message);
}

// main runs the script's checks, printing what they return as one JSON
// line; it exits non-zero with the reason when one fails.
function main(checks) {
  checks().then(
    (seen) => console.log(JSON.stringify(seen)),
    (err) => {
      console.error(err.stack || String(err));
      process.exit(1);
    },
  );
}

module.exports = { base, launchOptions, check, main };
