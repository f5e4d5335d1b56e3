// Drives the example page (examples/page) in Debian's Chromium as a person would: load the
// emulator's config and key with the file pickers, connect, create a bucket, upload a generated
// file, check the listing, take a screenshot, download the object and compare the bytes.
// Run by tests/page.sh, which builds the page and starts the emulator and a static server:
//
//   PAGE_URL=http://127.0.0.1:P/ EMULATOR_URL=http://127.0.0.1:E EMULATOR_STATE=DIR \
//   SCREENSHOT=target/ci-artifacts/wasm-example-page.png node transport-wasm/tests/page.test.mjs
//
// Optional: CHROMIUM (default /usr/bin/chromium), WORK_DIR (for the generated file; default a
// temporary directory). Exits non-zero, saying which step failed, on any failure.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

// playwright-core lives in page-driver/ (npm ci there), pinned by its package-lock.json.
const require = createRequire(new URL("./page-driver/package.json", import.meta.url));
const { chromium } = require("playwright-core");

function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}
const pageUrl = env("PAGE_URL");
const emulatorUrl = env("EMULATOR_URL");
const state = env("EMULATOR_STATE");
const screenshot = env("SCREENSHOT");
const executablePath = env("CHROMIUM", "/usr/bin/chromium");
const work = env("WORK_DIR", "") || mkdtempSync(join(tmpdir(), "ocisdk-page-"));
const STEP_TIMEOUT = 30_000;

const log = (msg) => console.log(`[page-test] ${msg}`);

// A small file with known, non-ASCII content, so a mangled upload or download shows.
const fileName = "hello-from-chromium.txt";
const filePath = join(work, fileName);
const lines = ["ocisdk-wasm example page test", "UTF-8: héllo wörld ✓ 日本語"];
for (let i = 0; i < 64; i++) lines.push(`line ${i}: ${"0123456789abcdef".repeat(2)}`);
const content = Buffer.from(lines.join("\n") + "\n", "utf8");
writeFileSync(filePath, content);
const md5 = createHash("md5").update(content).digest("base64");
const bucketName = "page-test";

let browser;
let page;
const pageErrors = [];
let current = "start";
async function step(name, f) {
  current = name;
  const t0 = Date.now();
  await f();
  log(`ok   ${name} (${Date.now() - t0} ms)`);
}
async function statusText() {
  return (await page.locator("#status").textContent())?.trim() ?? "";
}
// Waits for the page's status line to match; fails at once if it shows an error.
async function waitForStatus(pattern) {
  const status = page.locator("#status");
  const deadline = Date.now() + STEP_TIMEOUT;
  for (;;) {
    const text = (await status.textContent())?.trim() ?? "";
    if (await status.evaluate((el) => el.classList.contains("error"))) {
      throw new Error(`the page shows an error: ${text}`);
    }
    if (pattern.test(text)) return text;
    if (pageErrors.length > 0) throw new Error(`uncaught error in the page: ${pageErrors[0]}`);
    if (Date.now() > deadline) throw new Error(`status is ${JSON.stringify(text)}, expected ${pattern}`);
    await page.waitForTimeout(50);
  }
}

const started = Date.now();
try {
  await step("launch Chromium", async () => {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      chromiumSandbox: false, // root: --no-sandbox
      // Playwright adds --headless, --no-sandbox, --disable-background-networking,
      // --disable-component-update, --disable-sync, --no-first-run and a fresh
      // --user-data-dir; these say it again or add what this closed network needs.
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      timeout: STEP_TIMEOUT,
    });
    log(`Chromium ${browser.version()}`);
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") log(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on("requestfailed", (req) => log(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  });

  await step("load the page and its wasm", async () => {
    const response = await page.goto(pageUrl);
    if (!response || !response.ok()) throw new Error(`GET ${pageUrl}: ${response?.status()}`);
    await waitForStatus(/^Ready:/);
  });

  await step("load config and key.pem with the file pickers", async () => {
    await page.locator("#endpoint").fill(emulatorUrl);
    const config = readFileSync(join(state, "config"), "utf8");
    const key = readFileSync(join(state, "key.pem"), "utf8");
    await page.locator("#config-file").setInputFiles(join(state, "config"));
    await page.locator("#key-file").setInputFiles(join(state, "key.pem"));
    await page.waitForFunction(
      ([c, k]) => document.getElementById("config").value === c && document.getElementById("key").value === k,
      [config, key],
    );
  });

  await step("connect", async () => {
    await page.locator("#connect").click();
    const text = await waitForStatus(/^Connected: \d+ bucket\(s\)\./);
    const ns = (await page.locator("#namespace").textContent())?.trim();
    if (!/^in namespace \S+$/.test(ns ?? "")) throw new Error(`no namespace shown: ${JSON.stringify(ns)}`);
    log(`${text} ${ns}`);
  });

  await step(`create bucket ${bucketName}`, async () => {
    await page.locator("#new-bucket").fill(bucketName);
    await page.locator("#create-bucket").click();
    await waitForStatus(new RegExp(`^0 object\\(s\\) in ${bucketName}\\.$`));
    const selected = (await page.locator("#buckets li.selected").textContent())?.trim();
    if (selected !== bucketName) throw new Error(`selected bucket is ${JSON.stringify(selected)}`);
  });

  await step(`upload ${fileName} (${content.length} bytes)`, async () => {
    await page.locator("#upload-file").setInputFiles(filePath);
    await page.locator("#upload").click();
    const text = await waitForStatus(/^Uploaded /);
    const expected = `Uploaded ${fileName} (${content.length} bytes, MD5 ${md5}).`;
    if (text !== expected) throw new Error(`status ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`);
  });

  await step("the upload is listed with its size and MD5", async () => {
    const rows = page.locator("#objects tr");
    if ((await rows.count()) !== 1) throw new Error(`${await rows.count()} rows listed, expected 1`);
    const cells = (await rows.first().locator("td").allTextContents()).map((s) => s.trim());
    const [name, size, listedMd5, modified] = cells;
    if (name !== fileName || size !== String(content.length) || listedMd5 !== md5 || !modified) {
      throw new Error(`listed row ${JSON.stringify(cells)}, expected ${fileName}, ${content.length}, ${md5}`);
    }
  });

  await step(`full-page screenshot to ${screenshot}`, async () => {
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  });

  await step("download it and compare the bytes", async () => {
    const row = page.locator("#objects tr", { hasText: fileName });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      row.getByRole("button", { name: "Download" }).click(),
    ]);
    if (download.suggestedFilename() !== fileName) {
      throw new Error(`download named ${JSON.stringify(download.suggestedFilename())}`);
    }
    const failure = await download.failure();
    if (failure) throw new Error(`download failed: ${failure}`);
    const saved = join(work, `downloaded-${fileName}`);
    await download.saveAs(saved);
    const got = readFileSync(saved);
    if (!got.equals(content)) throw new Error(`downloaded ${got.length} bytes that differ from the ${content.length} uploaded`);
    await waitForStatus(new RegExp(`^Downloaded ${fileName.replace(/\./g, "\\.")} \\(${content.length} bytes\\)\\.$`));
  });

  if (pageErrors.length > 0) throw new Error(`uncaught errors in the page: ${pageErrors.join("; ")}`);
  log(`all steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`[page-test] FAILED at step "${current}": ${err && err.stack ? err.stack : err}`);
  if (page) {
    try {
      console.error(`[page-test] page status: ${JSON.stringify(await statusText())}`);
      const failShot = screenshot.replace(/\.png$/, "") + "-failure.png";
      mkdirSync(dirname(failShot), { recursive: true });
      await page.screenshot({ path: failShot, fullPage: true, timeout: 5000 });
      console.error(`[page-test] screenshot of the failure: ${failShot}`);
    } catch {
      // the browser may be gone
    }
  }
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
}
