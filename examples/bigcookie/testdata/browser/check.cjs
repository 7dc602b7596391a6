'use strict';
// Drives Chromium, through playwright-core, over the pages of
// ../../browser_test.go, served with the chunked cookie store: a 12 KB
// session survives a reload, every cookie stays within Chromium's 4096
// bytes, an altered or missing cookie gives a fresh session, and a logout
// leaves no cookie behind. Returns what it saw (printed as one JSON line).
const { chromium } = require('playwright-core');
const { base, launchOptions, check, main } = require('vishnu-browsertest');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

main(async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vishnu-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, launchOptions);
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30000);
    const state = async () => JSON.parse(await page.textContent('#state'));
    const visit = async (p) => {
      const resp = await page.goto(base + p);
      check(resp.ok(), `GET ${p}: status ${resp.status()}`);
      return state();
    };
    const reload = async () => {
      await page.reload();
      return state();
    };
    const sessionCookies = async () =>
      (await context.cookies(base)).filter((c) => c.name === 'vishnu' || c.name.startsWith('vishnu.'));

    // A 12 KB session, split over several cookies, survives a reload.
    const filled = await visit('/fill');
    check(filled.size >= 12 * 1024, `the session holds ${filled.size} bytes`);
    const seen = await visit('/');
    check(!seen.new && seen.sum === filled.sum, `after /fill, / shows ${JSON.stringify(seen)}`);
    const again = await reload();
    check(!again.new && again.sum === filled.sum, `after a reload: ${JSON.stringify(again)}`);
    const cookies = await sessionCookies();
    const names = cookies.map((c) => c.name).sort();
    check(cookies.length >= 4, `Chromium holds ${cookies.length} session cookies: ${names}`);
    for (let i = 1; i < cookies.length; i++) {
      check(names.includes(`vishnu.${i}`), `Chromium holds ${names}: vishnu.${i} is missing`);
    }
    const sizes = cookies.map((c) => c.name.length + c.value.length);
    check(Math.max(...sizes) <= 4096, `a cookie of ${Math.max(...sizes)} bytes`);

    // An altered cookie: a fresh session.
    const victim = cookies.find((c) => c.name === 'vishnu.2');
    const flipped = victim.value.slice(0, 100) + (victim.value[100] === 'A' ? 'B' : 'A') + victim.value.slice(101);
    await context.addCookies([{ ...victim, value: flipped }]);
    const tampered = await reload();
    check(tampered.new && tampered.size === 0, `with vishnu.2 altered: ${JSON.stringify(tampered)}`);

    // A missing cookie: a fresh session.
    await visit('/fill');
    await context.clearCookies({ name: 'vishnu.1' });
    const missing = await visit('/');
    check(missing.new && missing.size === 0, `without vishnu.1: ${JSON.stringify(missing)}`);

    // A logout leaves no cookie behind, whatever the session had.
    const refilled = await visit('/fill');
    check((await sessionCookies()).length === cookies.length, 'the session was not written whole again');
    await visit('/logout');
    const left = await sessionCookies();
    check(left.length === 0, `after logout Chromium still holds ${left.map((c) => c.name)}`);
    const after = await visit('/');
    check(after.new && after.size === 0 && refilled.sum !== '', `after logout: ${JSON.stringify(after)}`);

    return { cookies: cookies.length, sizes, browser: context.browser()?.version() ?? 'chromium' };
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
});
