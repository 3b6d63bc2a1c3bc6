// noVNC in Debian's headless Chromium, driven by playwright-core: the driver of netui's noVNC
// test (display-server/tests/rfb_novnc.rs).
//
//     node novnc.mjs --url ws://127.0.0.1:PORT --password PW [--lossless] [--chromium PATH]
//     node novnc.mjs --url wss://127.0.0.1:PORT --spki PIN --password PW ...
//
// With `--spki`, Chromium trusts the one key whose SPKI pin (base64 of the SHA-256 of its
// SubjectPublicKeyInfo) is PIN, whatever its certificate (a display's is self-signed), and
// no other: `--ignore-certificate-errors-spki-list`, which Chromium honours with a profile
// directory of its own (each run makes a fresh one).
//
// It serves novnc.html and noVNC's own files (node_modules/@novnc/novnc, ES modules) over a
// local HTTP server, opens the page in Chromium (playwright-core never downloads a browser;
// this one is Debian's /usr/bin/chromium), and prints `ready WIDTHxHEIGHT` once noVNC has
// connected (or `error MESSAGE` and exits 1). Then it answers one command per line of stdin:
//
//     shot PATH    writes the canvas's pixels (RGBA, row after row) to PATH; `shot W H`
//     click X Y    clicks the left button at (X, Y) of the remote screen; `ok`
//     type TEXT    types TEXT (the rest of the line) into the canvas; `ok`
//     key NAME     presses a key by playwright's name (Enter, Control+s); `ok`
//     quit         closes the browser and exits
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, extname, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const novncRoot = join(here, 'node_modules', '@novnc', 'novnc');

const { values: options } = parseArgs({
  options: {
    url: { type: 'string' },
    password: { type: 'string', default: '' },
    lossless: { type: 'boolean', default: false },
    spki: { type: 'string' },
    chromium: { type: 'string', default: process.env.NETUI_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
if (!options.url) {
  console.log('error --url ws://HOST:PORT is required');
  process.exit(2);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };

// The page and noVNC's files; nothing outside them.
const server = createServer((request, response) => {
  const path = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
  let file = null;
  if (path === '/' || path === '/novnc.html') {
    file = join(here, 'novnc.html');
  } else if (path.startsWith('/novnc/')) {
    const inside = normalize(join(novncRoot, path.slice('/novnc/'.length)));
    if (inside.startsWith(novncRoot + sep)) file = inside;
  }
  try {
    if (file === null) throw new Error('not served');
    const body = readFileSync(file);
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    response.end(body);
  } catch {
    response.writeHead(404);
    response.end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const profile = mkdtempSync(join(tmpdir(), 'netui-novnc-'));
let context = null;
async function finish(code) {
  try { await context?.close(); } catch { /* already gone */ }
  server.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(code);
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: options.chromium,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run',
      ...(options.spki ? [`--ignore-certificate-errors-spki-list=${options.spki}`] : []),
    ],
    viewport: { width: 1600, height: 1200 },
  });
} catch (e) {
  console.log(`error cannot start ${options.chromium}: ${e.message.split('\n')[0]}`);
  await finish(1);
}
const page = context.pages()[0] ?? await context.newPage();
page.on('console', (m) => process.stderr.write(`page: ${m.text()}\n`));
page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));

const query = new URLSearchParams({
  url: options.url,
  password: options.password,
  lossless: options.lossless ? '1' : '0',
});
await page.goto(`http://127.0.0.1:${server.address().port}/?${query}`);
try {
  await page.waitForFunction(() => window.netui && window.netui.state !== 'connecting', null,
    { timeout: 20000, polling: 50 });
} catch {
  console.log('error noVNC did not connect within 20 s');
  await finish(1);
}
const state = await page.evaluate(() => ({ ...window.netui, rfb: undefined }));
if (state.state !== 'connected') {
  console.log(`error ${state.error}`);
  await finish(1);
}
const size = await page.evaluate(() => {
  const canvas = document.querySelector('#screen canvas');
  return `${canvas.width}x${canvas.height}`;
});
console.log(`ready ${size}`);

// The canvas is shown at 1:1 where noVNC puts it (centred in the page, which is larger than
// the remote screens of the tests): remote coordinates are offsets from its corner.
const corner = () => page.evaluate(() => {
  const box = document.querySelector('#screen canvas').getBoundingClientRect();
  return { x: box.left, y: box.top };
});
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, ...rest] = line.split(' ');
  try {
    const error = await page.evaluate(() => window.netui.error);
    if (error !== null) throw new Error(error);
    if (command === 'shot') {
      const shot = await page.evaluate(() => window.netui.shot());
      writeFileSync(rest.join(' '), Buffer.from(shot.rgba, 'base64'));
      console.log(`shot ${shot.width} ${shot.height}`);
    } else if (command === 'click') {
      const { x, y } = await corner();
      await page.mouse.click(x + Number(rest[0]), y + Number(rest[1]));
      console.log('ok');
    } else if (command === 'type') {
      await page.keyboard.type(rest.join(' '), { delay: 20 });
      console.log('ok');
    } else if (command === 'key') {
      await page.keyboard.press(rest[0]);
      console.log('ok');
    } else if (command === 'quit') {
      break;
    } else {
      console.log(`error unknown command ${command}`);
    }
  } catch (e) {
    console.log(`error ${e.message.split('\n')[0]}`);
    await finish(1);
  }
}
await finish(0);
