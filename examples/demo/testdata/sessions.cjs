'use strict';
// Drives Chromium, through playwright-core, over the demo's "Your sessions"
// (see ../browser_test.go): three browser contexts, the devices of
// DEMO_DEVICES (laptop, phone, tablet, each with its User-Agent), log in as
// one user. The laptop lists the three sessions with their device, address
// and times and marks its own; it ends the phone's, whose next page says it
// was signed out from another device; it signs out everywhere else, and the
// tablet is told the same; the laptop stays logged in, alone in the list.
const { chromium } = require('playwright-core');
const { base, launchOptions, check, main } = require('vishnu-browsertest');

const devices = JSON.parse(process.env.DEMO_DEVICES);
const notice = 'You were signed out from another device.';

main(async () => {
  // The page's times are whole seconds.
  const started = Math.floor(Date.now() / 1000) * 1000;
  const browser = await chromium.launch(launchOptions);
  try {
    const opened = [];
    for (const d of devices) {
      const context = await browser.newContext({ userAgent: d.userAgent });
      const page = await context.newPage();
      page.setDefaultTimeout(30000);
      opened.push({ ...d, page });
    }
    return await story(started, ...opened);
  } finally {
    await browser.close();
  }
});

// home loads the home page in who's browser and returns what it shows.
async function home(who) {
  const resp = await who.page.goto(base + '/');
  check(resp.ok(), `${who.name}: GET / answered ${resp.status()}`);
  return shown(who);
}

// submit clicks button and waits for the page the redirect leads to, the
// one with flash.
async function submit(who, button, flash) {
  await button.click();
  await who.page.locator('#flash', { hasText: flash }).waitFor();
  return shown(who);
}

// shown reads the page now loaded in who's browser.
async function shown(who) {
  const page = who.page;
  return {
    user: (await page.textContent('#user')).trim(),
    notice: (await page.locator('#ended-elsewhere').count()) === 0 ? '' : (await page.textContent('#ended-elsewhere')).trim(),
    sessions: await page.$$eval('#sessions [data-session-id]', (els) => els.map((e) => ({
      id: e.dataset.sessionId,
      current: e.hasAttribute('data-current'),
      marked: e.querySelector('[data-field=current]')?.textContent === '(this browser)',
      device: e.querySelector('[data-field=device]').textContent,
      ip: e.querySelector('[data-field=ip]').textContent,
      created: Date.parse(e.querySelector('[data-field=created]').getAttribute('datetime')),
      lastActive: Date.parse(e.querySelector('[data-field=last-active]').getAttribute('datetime')),
      canEnd: e.querySelector('form[action="/sessions/end"] button') !== null,
    }))),
  };
}

async function story(started, laptop, phone, tablet) {
  for (const who of [laptop, phone, tablet]) {
    await home(who);
    await who.page.fill('input[name=username]', 'alice');
    const p = await submit(who, who.page.getByRole('button', { name: 'Log in' }), 'Welcome, alice');
    check(p.user === 'alice', `${who.name} after login: user ${p.user}`);
  }
  const loggedIn = Date.now();

  // The laptop lists the three sessions and marks its own.
  let p = await home(laptop);
  check(p.notice === '', `the laptop shows the notice: ${p.notice}`);
  check(p.sessions.length === 3, `the laptop lists ${JSON.stringify(p.sessions)}`);
  const byDevice = Object.fromEntries(p.sessions.map((s) => [s.device, s]));
  for (const who of [laptop, phone, tablet]) {
    const s = byDevice[who.device];
    check(s, `no session of ${who.device} in ${JSON.stringify(p.sessions)}`);
    check(s.ip === '127.0.0.1', `${who.device}: IP ${s.ip}`);
    check(started <= s.created && s.created <= s.lastActive && s.lastActive <= loggedIn,
      `${who.device}: created ${s.created}, last active ${s.lastActive}; want within ${started} to ${loggedIn}, in order`);
    const mine = who === laptop;
    check(s.current === mine && s.marked === mine && s.canEnd === !mine,
      `${who.device}: ${JSON.stringify(s)}; want only the laptop's current and marked, the others with End`);
  }
  check(await laptop.page.getByText('(this browser)').isVisible(), '"(this browser)" is not visible');
  const listed = p.sessions;

  // The laptop ends the phone's session: the phone's next page says so,
  // logged out, and the page after no longer does.
  const row = laptop.page.locator(`[data-session-id="${byDevice[phone.device].id}"]`);
  p = await submit(laptop, row.getByRole('button', { name: 'End' }), 'Session ended');
  check(p.sessions.length === 2 && !p.sessions.some((s) => s.device === phone.device),
    `after ending the phone's session the laptop lists ${JSON.stringify(p.sessions)}`);
  p = await home(phone);
  check(p.notice === notice && p.user === 'not logged in' && p.sessions.length === 0,
    `the phone's next page: ${JSON.stringify(p)}`);
  p = await home(phone);
  check(p.notice === '' && p.user === 'not logged in', `the phone's page after: ${JSON.stringify(p)}`);
  p = await home(tablet);
  check(p.notice === '' && p.user === 'alice', `the tablet after the phone's end: ${JSON.stringify(p)}`);

  // Sign out everywhere else: the tablet is told, the laptop stays alone.
  p = await submit(laptop, laptop.page.getByRole('button', { name: 'Sign out everywhere else' }), 'Signed out everywhere else');
  check(p.sessions.length === 1, `after signing out everywhere else the laptop lists ${JSON.stringify(p.sessions)}`);
  p = await home(tablet);
  check(p.notice === notice && p.user === 'not logged in', `the tablet's next page: ${JSON.stringify(p)}`);
  p = await home(laptop);
  check(p.notice === '' && p.user === 'alice' && p.sessions.length === 1 && p.sessions[0].current &&
    p.sessions[0].device === laptop.device, `the laptop at the end: ${JSON.stringify(p)}`);

  return { listed: listed.map((s) => ({ device: s.device, ip: s.ip, current: s.current })), browser: laptop.page.context().browser().version() };
}
