import Foundation
import Renderers

/// The dashboard page: one HTML document with its CSS and JS inline (no CDN, nothing fetched
/// but this server's `/api/`). The first state is rendered into the HTML, so the page shows the
/// stack without JS; the JS then follows `/api/events` and marks each row it updated
/// `data-source="live"`.
enum Page {
    static func html(project: String, scenario: String, token: String, svg: String, state: DashboardState, check: CheckOutput?) -> String {
        let stateJSON = (try? APIJSON.line(state)) ?? "null"
        let checkJSON = check.flatMap { try? APIJSON.line($0) } ?? "null"
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="ovudev-token" content="\(e(token))">
        <title>ovudev · \(e(project)) · \(e(scenario))</title>
        <style>\(css)</style></head>
        <body>
        <header><h1>ovudev dashboard</h1><span class="scenario">\(e(project)) · scenario <b id="scenario">\(e(scenario))</b></span><span id="live" class="pill">connecting…</span></header>
        <main>
        <section id="topology"><h2>Topology</h2><div class="svg">\(svg)</div></section>
        <section id="services"><h2>Services</h2>
        <table><thead><tr><th>service</th><th>status</th><th>health</th><th>pid</th><th>port</th><th>uptime</th><th>restarts</th><th></th></tr></thead>
        <tbody id="service-rows">\(serviceRows(state))</tbody></table>
        <details><summary>environment (secrets masked)</summary><div id="envs">\(environments(state))</div></details></section>
        <section id="servers"><h2>Servers</h2>
        <table><thead><tr><th>server</th><th>engine</th><th>port</th><th>status</th><th>uptime</th></tr></thead>
        <tbody id="server-rows">\(serverRows(state))</tbody></table></section>
        <section id="logs"><h2>Logs</h2>
        <div class="bar"><select id="log-name"></select><input id="log-filter" placeholder="filter" autocomplete="off"><label><input type="checkbox" id="log-follow" checked> follow</label></div>
        <pre id="log-lines" class="log"></pre></section>
        <section id="isolation"><h2>Isolation</h2>
        <div class="bar"><button id="rerun-check">re-run check</button><span id="check-summary">\(check.map { e(summary($0)) } ?? "not run yet")</span></div>
        <div id="check-matrix"></div><pre id="check-problems"></pre></section>
        <section id="data"><h2>Data</h2>
        <div class="bar"><button id="reseed">re-seed</button><button id="backup">back up and verify</button></div>
        <h3>Seeds applied</h3><div id="seeds">loading…</div>
        <h3>Backups</h3><div id="backups">loading…</div>
        <h3>Snapshots</h3><div id="snapshots">none</div></section>
        <section id="jobs"><h2>Action output</h2><pre id="job-lines" class="log"></pre></section>
        </main>
        <script id="initial-state" type="application/json">\(scriptSafe(stateJSON))</script>
        <script id="initial-check" type="application/json">\(scriptSafe(checkJSON))</script>
        <script>\(js)</script>
        </body></html>
        """
    }

    static func summary(_ check: CheckOutput) -> String {
        "\(check.findings.count) checks: \(check.leaks) leaks, \(check.failures) failures"
    }

    /// The service rows as the server renders them first (the JS renders the same markup).
    static func serviceRows(_ state: DashboardState) -> String {
        let details = Dictionary(state.details.map { ($0.instance, $0) }, uniquingKeysWith: { a, _ in a })
        return state.status.services.map { s in
            let health = s.running ? (s.health.map { $0 == "200" ? "healthy" : "unhealthy" } ?? "running") : "stopped"
            let d = details[s.instance]
            return "<tr id=\"row-\(e(s.instance))\" data-service=\"\(e(s.instance))\" data-health=\"\(health)\" data-source=\"server\" class=\"\(health)\">"
                + "<td>\(e(s.instance))</td><td>\(s.running ? "running" : "stopped")</td><td class=\"health\">\(e(health))\(s.health.map { " (\(e($0)))" } ?? "")</td>"
                + "<td>\(s.pid.map { String($0) } ?? "-")</td><td>\(s.port.map(String.init) ?? "-")</td>"
                + "<td class=\"uptime\" data-started=\"\(d?.startedAt.map(String.init) ?? "")\">-</td><td>\(d?.restarts ?? 0)</td>"
                + "<td><button class=\"restart\" data-service=\"\(e(s.instance))\">restart</button></td></tr>"
        }.joined(separator: "\n")
    }

    static func serverRows(_ state: DashboardState) -> String {
        state.status.servers.map { s in
            "<tr id=\"server-\(e(s.name))\" class=\"\(s.running ? "healthy" : "stopped")\"><td>\(e(s.name))</td><td>\(e(s.engine.rawValue))</td><td>\(s.port)</td>"
                + "<td>\(s.running ? "running" : "stopped")</td><td class=\"uptime\" data-started=\"\(state.serverStartedAt[s.name].map(String.init) ?? "")\">-</td></tr>"
        }.joined(separator: "\n")
    }

    static func environments(_ state: DashboardState) -> String {
        state.details.map { d in
            "<h4>\(e(d.instance))</h4><pre>" + d.environment.sorted { $0.key < $1.key }.map { "\(e($0.key))=\(e($0.value))" }.joined(separator: "\n") + "</pre>"
        }.joined()
    }

    static func e(_ text: String) -> String { GraphSVG.escape(text) }

    /// JSON inside a <script> element: `<` escaped, so no `</script>` can end it.
    static func scriptSafe(_ json: String) -> String { json.replacingOccurrences(of: "<", with: "\\u003c") }

    static let css = """
    body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:0;background:#f5f6f8;color:#222}
    header{display:flex;gap:16px;align-items:center;padding:10px 20px;background:#263238;color:#fff}
    header h1{font-size:18px;margin:0}.scenario{opacity:.85}
    .pill{margin-left:auto;padding:2px 10px;border-radius:10px;background:#607d8b;font-size:12px}.pill.on{background:#2e7d32}
    main{display:grid;grid-template-columns:1fr 1fr;gap:14px;padding:14px}
    section{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.1);min-width:0}
    #topology,#logs,#jobs{grid-column:1/3}
    h2{font-size:15px;margin:4px 0 8px}h3{font-size:13px;margin:10px 0 4px}h4{margin:6px 0 2px;font-size:12px}
    table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee}
    tr.healthy td.health,#server-rows tr.healthy td:nth-child(4){color:#2e7d32;font-weight:bold}
    tr.unhealthy td.health,tr.stopped td.health,#server-rows tr.stopped td:nth-child(4){color:#c62828;font-weight:bold}
    tr.unhealthy,tr.stopped{background:#ffebee}
    .svg{overflow:auto}.svg svg{max-width:100%;height:auto}
    g.service.unhealthy rect,g.service.stopped rect{fill:#ffcdd2;stroke:#c62828}g.service.healthy rect{fill:#c8e6c9;stroke:#2e7d32}
    pre{font-size:12px;white-space:pre-wrap;word-break:break-all;margin:4px 0}
    pre.log{background:#1e1e1e;color:#ddd;padding:8px;height:260px;overflow:auto}
    .bar{display:flex;gap:8px;align-items:center;margin-bottom:6px}
    button{padding:3px 10px;cursor:pointer}td.LEAK,td.FAIL{background:#c62828;color:#fff;font-weight:bold}td.ok{color:#2e7d32}
    """

    static let js = #"""
    const token = document.querySelector('meta[name="ovudev-token"]').content;
    // ?once=1: apply the first state and log tail, then close the streams (for screenshots and
    // headless browsers, whose virtual time stands still while a stream is open).
    const once = new URLSearchParams(location.search).get('once') === '1';
    history.replaceState(null, '', once ? '/?once=1' : '/');
    const $ = (id) => document.getElementById(id);
    const esc = (s) => String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
    const api = (path, opts) => fetch(path, Object.assign({credentials: 'same-origin'}, opts || {}));
    const post = (path) => api(path, {method: 'POST', headers: {'X-Ovudev-Token': token}});
    function uptime(started) {
      if (!started) return '-';
      let s = Math.max(0, Math.floor(Date.now() / 1000) - started);
      const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60); s = s % 60;
      return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + s + 's';
    }
    function tick() { document.querySelectorAll('td.uptime').forEach(td => td.textContent = uptime(Number(td.dataset.started))); }
    function healthOf(s) { return s.running ? (s.health == null ? 'running' : (s.health === '200' ? 'healthy' : 'unhealthy')) : 'stopped'; }
    function renderState(state) {
      const details = {}; state.details.forEach(d => details[d.instance] = d);
      $('service-rows').innerHTML = state.status.services.map(s => {
        const h = healthOf(s), d = details[s.instance] || {};
        return `<tr id="row-${esc(s.instance)}" data-service="${esc(s.instance)}" data-health="${h}" data-source="live" class="${h}">` +
          `<td>${esc(s.instance)}</td><td>${s.running ? 'running' : 'stopped'}</td><td class="health">${h}${s.health != null ? ' (' + esc(s.health) + ')' : ''}</td>` +
          `<td>${s.pid ?? '-'}</td><td>${s.port ?? '-'}</td><td class="uptime" data-started="${d.startedAt ?? ''}"></td><td>${d.restarts ?? 0}</td>` +
          `<td><button class="restart" data-service="${esc(s.instance)}">restart</button></td></tr>`;
      }).join('');
      $('server-rows').innerHTML = state.status.servers.map(s =>
        `<tr id="server-${esc(s.name)}" class="${s.running ? 'healthy' : 'stopped'}" data-source="live"><td>${esc(s.name)}</td><td>${esc(s.engine)}</td><td>${s.port}</td>` +
        `<td>${s.running ? 'running' : 'stopped'}</td><td class="uptime" data-started="${state.serverStartedAt[s.name] ?? ''}"></td></tr>`).join('');
      $('envs').innerHTML = state.details.map(d => `<h4>${esc(d.instance)}</h4><pre>` +
        Object.keys(d.environment).sort().map(k => esc(k) + '=' + esc(d.environment[k])).join('\n') + '</pre>').join('');
      const byService = {};
      state.status.services.forEach(s => { const base = s.instance; byService[base] = healthOf(s); });
      document.querySelectorAll('g.service').forEach(g => {
        const name = g.dataset.service;
        const states = state.status.services.filter(s => s.instance === name || s.instance.startsWith(name + '-')).map(healthOf);
        g.classList.remove('healthy', 'unhealthy', 'stopped');
        if (states.length) g.classList.add(states.every(x => x === 'healthy' || x === 'running') ? 'healthy' : (states.includes('stopped') ? 'stopped' : 'unhealthy'));
      });
      tick();
    }
    function renderCheck(c) {
      if (!c) return;
      $('check-summary').textContent = `${c.findings.length} checks: ${c.leaks} leaks, ${c.failures} failures`;
      const checks = ['own-data', 'isolation', 'reads', 'public', 'redis', 'redis-acl', 'health'].filter(k => c.findings.some(f => f.check === k));
      const subjects = [], cells = {};
      c.findings.forEach(f => { if (!subjects.includes(f.subject)) subjects.push(f.subject); (cells[f.subject + '\0' + f.check] ||= []).push(f); });
      const cell = (list) => !list ? '' : list.some(f => f.status === 'leak') ? 'LEAK' : list.some(f => f.status === 'fail') ? 'FAIL' : list.every(f => f.status === 'skipped') ? 'skip' : 'ok';
      $('check-matrix').innerHTML = '<table><thead><tr><th>subject</th>' + checks.map(k => `<th>${esc(k)}</th>`).join('') + '</tr></thead><tbody>' +
        subjects.map(s => `<tr><td>${esc(s)}</td>` + checks.map(k => { const v = cell(cells[s + '\0' + k]); return `<td class="${v}">${v}</td>`; }).join('') + '</tr>').join('') + '</tbody></table>';
      $('check-problems').textContent = c.findings.filter(f => f.status === 'leak' || f.status === 'fail')
        .map(f => `${f.status === 'leak' ? 'LEAK' : 'FAIL'} ${f.subject} ${f.check}: ${f.detail}`).join('\n');
    }
    let logSource = null;
    function showLines(lines, append) {
      const filter = $('log-filter').value.toLowerCase(), pre = $('log-lines');
      const shown = lines.filter(l => !filter || l.toLowerCase().includes(filter));
      if (!append) pre.textContent = shown.join('\n'); else if (shown.length) pre.textContent += (pre.textContent ? '\n' : '') + shown.join('\n');
      pre.scrollTop = pre.scrollHeight;
    }
    let allLines = [];
    function openLog() {
      const name = $('log-name').value; if (!name) return;
      if (logSource) logSource.close();
      logSource = new EventSource('/api/logs/' + encodeURIComponent(name) + '/stream');
      logSource.addEventListener('lines', ev => { allLines = JSON.parse(ev.data).lines; showLines(allLines, false); if (once) logSource.close(); });
      logSource.addEventListener('line', ev => { if (!$('log-follow').checked) return; const l = JSON.parse(ev.data); allLines.push(...l); if (allLines.length > 5000) allLines = allLines.slice(-5000); showLines(l, true); });
    }
    async function loadLogs() {
      const list = await (await api('/api/logs')).json();
      const prefer = list.logs.find(n => !n.includes('.') && document.querySelector(`tr[data-service="${n}"]`)) || list.logs[0];
      $('log-name').innerHTML = list.logs.map(n => `<option${n === prefer ? ' selected' : ''}>${esc(n)}</option>`).join('');
      openLog();
    }
    async function loadData() {
      const seeds = await (await api('/api/seeds')).json();
      $('seeds').innerHTML = '<table><thead><tr><th>service</th><th>file</th><th>rows</th><th>loaded</th></tr></thead><tbody>' +
        seeds.instances.map(i => i.applied.length ? i.applied.map(r => `<tr><td>${esc(i.instance)}</td><td>${esc(r.file)}</td><td>${r.rows ?? '-'}</td><td>${esc(r.loadedAt)}</td></tr>`).join('')
          : `<tr><td>${esc(i.instance)}</td><td colspan="3">${esc(i.note || 'none applied')}</td></tr>`).join('') + '</tbody></table>';
      const b = await (await api('/api/backups')).json();
      $('backups').innerHTML = b.files.length ? '<table><thead><tr><th>target</th><th>file</th><th>bytes</th><th>when</th></tr></thead><tbody>' +
        b.files.map(f => `<tr><td>${esc(f.server + '/' + f.target)}</td><td>${esc(f.name)}</td><td>${f.bytes}</td><td>${esc(f.modified)}</td></tr>`).join('') + '</tbody></table>'
        : 'no dumps in ' + esc(b.directory);
      $('snapshots').innerHTML = b.snapshots.length ? '<ul>' + b.snapshots.map(s => `<li>${esc(s)}</li>`).join('') + '</ul>' : 'none';
    }
    function job(label, path) {
      if (!confirm(label + '?')) return;
      $('job-lines').textContent += `> ${label}\n`;
      post(path).then(async r => { if (!r.ok) $('job-lines').textContent += await r.text(); });
    }
    document.addEventListener('click', ev => {
      const t = ev.target;
      if (t.classList.contains('restart')) job('restart ' + t.dataset.service, '/api/actions/restart?service=' + encodeURIComponent(t.dataset.service));
      if (t.id === 'reseed') job('re-seed every service', '/api/actions/seed');
      if (t.id === 'backup') job('back up every target and verify', '/api/actions/backup');
      if (t.id === 'rerun-check') { $('check-summary').textContent = 'checking…';
        post('/api/check').then(r => r.json()).then(renderCheck).catch(e => $('check-summary').textContent = 'check failed: ' + e); }
    });
    $('log-name').addEventListener('change', openLog);
    $('log-filter').addEventListener('input', () => showLines(allLines, false));
    const events = new EventSource('/api/events');
    events.onopen = () => { $('live').textContent = 'live'; $('live').classList.add('on'); };
    events.onerror = () => { $('live').textContent = 'reconnecting…'; $('live').classList.remove('on'); };
    events.addEventListener('state', ev => { renderState(JSON.parse(ev.data)); if (once) { events.close(); $('live').textContent = 'applied once'; } });
    events.addEventListener('check', ev => renderCheck(JSON.parse(ev.data)));
    events.addEventListener('job', ev => { const j = JSON.parse(ev.data); $('job-lines').textContent += `[${j.id}] ${j.line}\n`; $('job-lines').scrollTop = 1e9; });
    events.addEventListener('jobdone', ev => { const j = JSON.parse(ev.data); $('job-lines').textContent += `[${j.id}] ${j.ok ? 'done' : 'FAILED'}\n`; loadData(); });
    tick(); setInterval(tick, 1000);
    renderCheck(JSON.parse($('initial-check').textContent));
    if (!JSON.parse($('initial-check').textContent)) api('/api/check').then(r => r.json()).then(renderCheck);
    loadLogs(); loadData();
    """#
}
