// A scripted browser for the provider's development interactions. It signs in as "alice" and
// consents, following redirects with cookies, until the provider redirects to the app.
//   node browser.mjs URL            PKCE: ends by GETting the app's callback URL
//   node browser.mjs device ISSUER CODE   device flow: enters CODE at ISSUER/device and confirms
const jar = new Map();

function remember(res) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
}

function cookies() {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

async function go(url, options = {}) {
  const res = await fetch(url, { ...options, redirect: 'manual', headers: { cookie: cookies(), ...(options.headers || {}) } });
  remember(res);
  return res;
}

function field(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1] : undefined;
}

function form(data) {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(data).toString() };
}

// Follows redirects, answering login and consent prompts, until `done(url)` says stop.
async function walk(start, base, done, init) {
  let url = start;
  let res = await go(url, init);
  for (let step = 0; step < 30; step += 1) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).toString();
      if (done(url)) return url;
      res = await go(url);
      continue;
    }
    const html = await res.text();
    const prompt = field(html, 'prompt');
    if (res.status === 200 && prompt === 'login') {
      res = await go(url, form({ prompt: 'login', login: 'alice', password: 'any' }));
    } else if (res.status === 200 && prompt === 'consent') {
      res = await go(url, form({ prompt: 'consent' }));
    } else {
      return { status: res.status, html };
    }
  }
  throw new Error(`too many redirects from ${start}`);
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'device') {
  const [issuer, code] = args;
  const page = await go(`${issuer}/device`);
  const xsrf = field(await page.text(), 'xsrf');
  const confirmPage = await go(`${issuer}/device`, form({ xsrf, user_code: code }));
  const confirmHtml = await confirmPage.text();
  const result = await walk(`${issuer}/device`, issuer, () => false, form({ xsrf: field(confirmHtml, 'xsrf'), user_code: field(confirmHtml, 'user_code'), confirm: 'yes' }));
  if (!result.html || !/Sign-in Success|success/i.test(result.html)) {
    console.error('device approval did not succeed', result.status, (result.html || '').slice(0, 300));
    process.exit(1);
  }
} else {
  const url = mode;
  const appRedirect = process.env.FLYTE_RS_REDIRECT_URI;
  const callback = await walk(url, url, (u) => u.startsWith(appRedirect));
  if (typeof callback !== 'string') {
    console.error('login did not reach the app', callback.status, callback.html.slice(0, 300));
    process.exit(1);
  }
  await fetch(callback);
}
