/* PaySim speed test: the LibreSpeed method against the app's own /api/speedtest/ endpoints.
 *
 * ping/jitter  ~20 small GET requests to empty; ping = the fastest, jitter = the mean change
 *              between consecutive pings
 * download     several parallel streams of garbage?ckSize=N (incompressible bytes), counted
 *              as they arrive, for `seconds`; the first part (TCP slow start) is not counted
 * upload       several parallel XHR POSTs of random blobs to empty, counted by upload progress
 *
 * PaySimSpeedtest.run({simId, seconds}) resolves to
 *   {ok: true, id, ping_ms, jitter_ms, download_mbps, upload_mbps}  (stored for the SIM), or
 *   {ok: false, error}.
 * The duration per direction comes from opts.seconds, else the data-seconds attribute of
 * #speedtest, else the page's ?speedtest_seconds= query parameter, else 10 s.
 * Progress goes to #speedtest-live (text) and #speedtest-bar (width), plain DOM nodes that
 * React renders empty and never touches again.
 */
(function () {
  "use strict";
  if (window.PaySimSpeedtest) return;

  var BASE = "/api/speedtest/";
  var PASS = ""; // the short-lived pass the page gave this run (garbage and empty need it)
  function passed() {
    return "t=" + encodeURIComponent(PASS) + "&";
  }
  var STREAMS = 4;
  var PINGS = 20;
  var OVERHEAD = 1.06; // HTTP + TCP + IP overhead, as LibreSpeed counts it
  var BLOB_BYTES = 4 * 1024 * 1024;

  function now() {
    return performance.now();
  }
  function nocache() {
    return "r=" + Math.random().toString(36).slice(2);
  }
  function mbps(bytes, ms) {
    return ms > 0 ? ((bytes * 8 * OVERHEAD) / (ms / 1000)) / 1e6 : 0;
  }
  function round(x, digits) {
    var k = Math.pow(10, digits);
    return Math.round(x * k) / k;
  }
  function seconds(opts) {
    var s = Number(opts && opts.seconds);
    if (!(s > 0)) {
      var el = document.getElementById("speedtest");
      s = Number(el && el.dataset && el.dataset.seconds);
    }
    if (!(s > 0)) {
      s = Number(new URLSearchParams(window.location.search).get("speedtest_seconds"));
    }
    if (!(s > 0)) s = 10;
    return Math.min(Math.max(s, 0.5), 30);
  }

  function progress(text, fraction) {
    var live = document.getElementById("speedtest-live");
    if (live) live.textContent = text;
    var bar = document.getElementById("speedtest-bar");
    if (bar) bar.style.width = Math.round(Math.min(Math.max(fraction, 0), 1) * 100) + "%";
  }

  async function pingJitter(done) {
    var pings = [];
    for (var i = 0; i <= PINGS; i++) {
      var t0 = now();
      var res = await fetch(BASE + "empty?" + passed() + nocache(), { cache: "no-store" });
      await res.arrayBuffer();
      var ms = now() - t0;
      if (i > 0) pings.push(ms); // the first request may open the connection
      done(i / PINGS, pings.length ? Math.min.apply(null, pings) : ms);
    }
    var jitter = 0;
    for (var j = 1; j < pings.length; j++) jitter += Math.abs(pings[j] - pings[j - 1]);
    jitter = pings.length > 1 ? jitter / (pings.length - 1) : 0;
    return { ping: Math.min.apply(null, pings), jitter: jitter };
  }

  async function download(limitMs, done) {
    var grace = Math.min(1500, limitMs * 0.2);
    var counted = 0;
    var start = now();
    var from = null;
    var stop = new AbortController();
    async function stream(delay) {
      await new Promise(function (ok) { setTimeout(ok, delay); });
      while (!stop.signal.aborted) {
        try {
          var res = await fetch(BASE + "garbage?ckSize=100&" + passed() + nocache(), {
            cache: "no-store",
            signal: stop.signal,
          });
          var reader = res.body.getReader();
          for (;;) {
            var part = await reader.read();
            if (part.done) break;
            var t = now();
            if (from === null && t - start >= grace) {
              from = t;
              counted = 0;
            }
            counted += part.value.length;
            var elapsed = from === null ? t - start : t - from;
            done(Math.min((t - start) / limitMs, 1), mbps(counted, elapsed));
          }
        } catch (e) {
          if (!stop.signal.aborted) throw e;
        }
      }
    }
    var timer = setTimeout(function () { stop.abort(); }, limitMs);
    var runs = [];
    for (var i = 0; i < STREAMS; i++) runs.push(stream(i * 100));
    try {
      await Promise.all(runs);
    } finally {
      clearTimeout(timer);
    }
    var end = now();
    return mbps(counted, end - (from === null ? start : from));
  }

  function randomBlob() {
    var bytes = new Uint8Array(BLOB_BYTES);
    for (var i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, bytes.length)));
    }
    return new Blob([bytes], { type: "application/octet-stream" });
  }

  async function upload(limitMs, done) {
    var blob = randomBlob();
    var grace = Math.min(1500, limitMs * 0.2);
    var start = now();
    var from = null;
    var counted = 0;
    var stopped = false;
    var open = [];
    function post() {
      return new Promise(function (ok, fail) {
        var xhr = new XMLHttpRequest();
        var last = 0;
        open.push(xhr);
        xhr.upload.onprogress = function (e) {
          var t = now();
          if (from === null && t - start >= grace) {
            from = t;
            counted = 0;
          }
          counted += e.loaded - last;
          last = e.loaded;
          var elapsed = from === null ? t - start : t - from;
          done(Math.min((t - start) / limitMs, 1), mbps(counted, elapsed));
        };
        xhr.onload = function () {
          counted += blob.size - last; // the part the last progress event did not report
          last = blob.size;
          ok();
        };
        xhr.onabort = function () { ok(); };
        xhr.onerror = function () { stopped ? ok() : fail(new Error("upload failed")); };
        xhr.open("POST", BASE + "empty?" + passed() + nocache());
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.send(blob);
      });
    }
    async function stream(delay) {
      await new Promise(function (ok) { setTimeout(ok, delay); });
      while (!stopped) await post();
    }
    var timer = setTimeout(function () {
      stopped = true;
      open.forEach(function (x) { x.abort(); });
    }, limitMs);
    var runs = [];
    for (var i = 0; i < STREAMS; i++) runs.push(stream(i * 100));
    try {
      await Promise.all(runs);
    } finally {
      clearTimeout(timer);
    }
    var end = now();
    return mbps(counted, end - (from === null ? start : from));
  }

  var running = null;

  async function measure(opts) {
    PASS = String((opts && opts.pass) || "");
    var limitMs = seconds(opts) * 1000;
    var labels = (opts && opts.labels) || {};
    var fig = { ping: 0, jitter: 0, down: 0, up: 0 };
    function show(fraction) {
      progress(
        (labels.ping || "Ping") + " " + round(fig.ping, 0) + " · " +
        (labels.download || "Download") + " " + round(fig.down, 1) + " · " +
        (labels.upload || "Upload") + " " + round(fig.up, 1),
        fraction
      );
    }
    show(0);
    var pj = await pingJitter(function (f, ping) { fig.ping = ping; show(f * 0.1); });
    fig.ping = pj.ping;
    fig.jitter = pj.jitter;
    fig.down = await download(limitMs, function (f, speed) { fig.down = speed; show(0.1 + f * 0.45); });
    fig.up = await upload(limitMs, function (f, speed) { fig.up = speed; show(0.55 + f * 0.45); });
    show(1);
    var result = {
      sim_id: Number(opts.simId),
      ping_ms: round(fig.ping, 1),
      jitter_ms: round(fig.jitter, 1),
      download_mbps: round(fig.down, 2),
      upload_mbps: round(fig.up, 2),
    };
    var res = await fetch(BASE + "result", {
      method: "POST",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        Authorization: "Bearer " + (localStorage.getItem("paysim_session") || ""),
      },
      body: JSON.stringify(result),
    });
    var answer = await res.json().catch(function () { return {}; });
    progress("", 0);
    if (!res.ok) return { ok: false, error: answer.error || "HTTP " + res.status };
    result.ok = true;
    result.id = answer.id;
    return result;
  }

  window.PaySimSpeedtest = {
    run: function (opts) {
      if (running) return running;
      running = measure(opts || {})
        .catch(function (e) { return { ok: false, error: String((e && e.message) || e) }; })
        .finally(function () { running = null; });
      return running;
    },
  };
})();
