// N Lighthouse runs of one page with one preset, optionally signed in first; driven by
// bench/frontend.py. Usage: node lighthouse_run.mjs '<json job>'
//   job = {base, path, preset: "desktop"|"mobile", runs, chrome, login?: {user, password},
//          ignoreStatusCode?: bool}
// Prints one JSON object: {runs: [{score, lcp, tbt, cls, scriptBytes, ...}], detail: {...}}.
//
// Every run starts with a cold HTTP cache (cleared over CDP) but keeps LocalStorage, so a
// signed-in page stays signed in (Lighthouse's own storage reset would drop `paysim_session`).
import lighthouse, {desktopConfig} from 'lighthouse';
import puppeteer from 'puppeteer-core';

const job = JSON.parse(process.argv[2]);
const CHROME_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--no-default-browser-check',
];

async function signIn(page) {
  await page.goto(`${job.base}/login`, {waitUntil: 'networkidle0', timeout: 60000});
  await page.waitForSelector('#login', {visible: true});
  // the page is hydrated once the form posts over the websocket: retry a submit that raced it
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.$eval('#login', (el) => { el.value = ''; });
    await page.$eval('#password', (el) => { el.value = ''; });
    await page.type('#login', job.login.user);
    await page.type('#password', job.login.password);
    await page.click('#sign-in');
    try {
      await page.waitForFunction(
        () => location.pathname !== '/login' && localStorage.getItem('paysim_session'),
        {timeout: 20000});
      return;
    } catch {
      // not signed in yet: the click came before hydration, or the backend was slow
    }
  }
  throw new Error(`sign-in as ${job.login.user} failed (still on ${page.url()})`);
}

function scriptRequests(lhr) {
  const items = lhr.audits['network-requests']?.details?.items ?? [];
  return items.filter((r) => r.resourceType === 'Script');
}

function summarise(lhr) {
  const a = lhr.audits;
  const scripts = scriptRequests(lhr);
  return {
    finalUrl: lhr.finalDisplayedUrl,
    score: Math.round((lhr.categories.performance.score ?? 0) * 100),
    fcp: a['first-contentful-paint'].numericValue,
    lcp: a['largest-contentful-paint'].numericValue,
    tbt: a['total-blocking-time'].numericValue,
    cls: a['cumulative-layout-shift'].numericValue,
    si: a['speed-index'].numericValue,
    scriptBytes: scripts.reduce((s, r) => s + (r.transferSize || 0), 0),
    scriptResourceBytes: scripts.reduce((s, r) => s + (r.resourceSize || 0), 0),
    scriptCount: scripts.length,
    domSize: a['dom-size-insight']?.details?.debugData?.totalElements
      ?? a['dom-size']?.numericValue ?? null,
    runWarnings: lhr.runWarnings,
  };
}

// What explains a miss, taken from the last run: the chunks, what shifted, what blocked.
function detail(lhr) {
  const a = lhr.audits;
  const items = (id) => a[id]?.details?.items ?? [];
  return {
    scripts: scriptRequests(lhr)
      .map((r) => ({url: r.url.replace(job.base, ''), transfer: r.transferSize,
        resource: r.resourceSize}))
      .sort((x, y) => y.transfer - x.transfer),
    lcpElement: items('lcp-breakdown-insight').filter((i) => i.type === 'node')
      .map((i) => i.snippet ?? i.selector),
    lcpPhases: items('lcp-breakdown-insight').flatMap((t) => t.items ?? [])
      .map((i) => ({phase: i.subpart, ms: Math.round(i.duration)})),
    layoutShifts: items('layout-shifts').map((i) => ({
      score: i.score, node: i.node?.snippet ?? i.node?.selector,
      causes: (i.subItems?.items ?? []).map((c) => c.extra?.value ?? c.cause),
    })),
    longTasks: items('long-tasks').slice(0, 8).map((i) => ({
      url: (i.url ?? '').replace(job.base, ''), start: Math.round(i.startTime),
      ms: Math.round(i.duration)})),
    bootup: items('bootup-time').slice(0, 8).map((i) => ({
      url: (i.url ?? '').replace(job.base, ''), total: Math.round(i.total),
      scripting: Math.round(i.scripting)})),
    mainThread: items('mainthread-work-breakdown').map((i) => ({
      group: i.groupLabel ?? i.group, ms: Math.round(i.duration)})),
    unusedJs: items('unused-javascript').map((i) => ({
      url: (i.url ?? '').replace(job.base, ''), wastedBytes: i.wastedBytes,
      totalBytes: i.totalBytes})),
    renderBlocking: items('render-blocking-insight').map((i) => ({
      url: (i.url ?? '').replace(job.base, ''), ms: Math.round(i.wastedMs ?? 0)})),
  };
}

const browser = await puppeteer.launch({
  executablePath: job.chrome, args: CHROME_ARGS, defaultViewport: null,
  protocolTimeout: 240000,
});
try {
  const page = await browser.newPage();
  if (job.login) await signIn(page);
  const cdp = await page.createCDPSession();
  const config = job.preset === 'desktop' ? desktopConfig : undefined;
  const runs = [];
  let last = null;
  for (let i = 0; i < job.runs; i++) {
    await cdp.send('Network.clearBrowserCache');
    const result = await lighthouse(`${job.base}${job.path}`, {
      output: 'json', logLevel: 'error', onlyCategories: ['performance'],
      disableStorageReset: true,
      // the baseline may be the app's 404 page: it renders, but answers 404
      ignoreStatusCode: Boolean(job.ignoreStatusCode),
    }, config, page);
    last = result.lhr;
    const run = summarise(last);
    if (new URL(run.finalUrl).pathname.replace(/\/$/, '') !== job.path.replace(/\/$/, '')) {
      throw new Error(`${job.path} ended on ${run.finalUrl} (redirected: not signed in?)`);
    }
    runs.push(run);
  }
  process.stdout.write(JSON.stringify({runs, detail: detail(last)}));
} finally {
  await browser.close();
}
