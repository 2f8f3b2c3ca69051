// docmock's console: the operations (Swagger UI, one tag at a time), the state, the request log and the report.
// Data from the server is only ever put into the page as text (textContent), never as HTML.
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("docmock-config").textContent);
  const ADMIN = "/__docmock/";
  const $ = (id) => document.getElementById(id);
  const SESSION_KEY = "docmock.session";

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  // The admin endpoints of a mock started with --admin-token or --credential answer 401 without a credential:
  // ask for it once (one question however many calls are waiting), keep it for this tab, and send it with
  // every admin call. Cancelled, the calls fail with the 401's detail and nothing asks again.
  const ADMIN_CREDENTIAL = "docmock.admin";
  let askingForCredential = null;
  let credentialRefused = false;

  function askForCredential() {
    if (!askingForCredential) {
      askingForCredential = Promise.resolve().then(() => {
        const given = (window.prompt("This mock's admin endpoints need a credential: its --admin-token, or one "
          + "of its --credential values (such as Basic dXNlcjpwYXNz).") || "").trim();
        if (!given) { credentialRefused = true; return false; }
        sessionStorage.setItem(ADMIN_CREDENTIAL, /\s/.test(given) ? given : "Bearer " + given);
        return true;
      }).finally(() => { askingForCredential = null; });
    }
    return askingForCredential;
  }

  function withCredential(url, options) {
    const credential = sessionStorage.getItem(ADMIN_CREDENTIAL);
    if (!url.startsWith(ADMIN) || !credential) return options;
    return { ...(options || {}), headers: { ...((options || {}).headers || {}), Authorization: credential } };
  }

  async function getJson(url, options) {
    const sent = sessionStorage.getItem(ADMIN_CREDENTIAL);
    let response = await fetch(url, withCredential(url, options));
    if (response.status === 401 && url.startsWith(ADMIN) && !credentialRefused) {
      // Unless another call has been given a new one meanwhile, the credential sent is wrong (or the mock
      // restarted with another token): ask.
      let retry = sessionStorage.getItem(ADMIN_CREDENTIAL) !== sent;
      if (!retry) {
        sessionStorage.removeItem(ADMIN_CREDENTIAL);
        retry = await askForCredential();
      }
      if (retry) response = await fetch(url, withCredential(url, options));
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not problem+json */ }
      throw new Error(`${response.status} ${detail}`);
    }
    return response.status === 204 ? null : response.json();
  }

  // -- the session the console works in ---------------------------------------------------------------------
  const sessionInput = $("dm-session");
  const MAX_SESSION = 200;  // what the server keeps of an X-Mock-Session header
  sessionInput.value = localStorage.getItem(SESSION_KEY) || "";
  let accepted = sessionInput.value.trim();
  const session = () => accepted;
  sessionInput.addEventListener("change", () => {
    const wanted = sessionInput.value.trim();
    // A header carries Latin-1 only, and the server keeps 200 characters: refuse what could not work as typed.
    const problem = /[^\x20-\x7e\xa0-\xff]/.test(wanted) ? "a session name travels in a header: Latin-1 letters only"
      : wanted.length > MAX_SESSION ? `a session name has at most ${MAX_SESSION} characters` : "";
    sessionInput.setCustomValidity(problem);
    sessionInput.title = problem || "Sent as X-Mock-Session by Try it out; the State and Requests tabs show this session";
    if (problem) { sessionInput.reportValidity(); return; }
    accepted = wanted;
    localStorage.setItem(SESSION_KEY, accepted);
    if (active === "state") loadState(session());
    if (active === "requests") { $("dm-log-session").value = session(); restartLog(); }
  });

  // -- tabs -----------------------------------------------------------------------------------------------
  let active = "operations";
  const tabs = document.querySelectorAll(".dm-tabs [role=tab]");
  function selectPanel(name) {
    active = name;
    for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.panel === name));
    for (const panel of document.querySelectorAll(".dm-panel")) panel.hidden = panel.id !== "dm-" + name;
  }
  function showPanel(name) {
    selectPanel(name);
    const hash = name !== "operations" ? "#" + name : shownTag ? "#tag=" + encodeURIComponent(shownTag) : "";
    if (hash && location.hash !== hash) history.pushState(null, "", hash);
    if (name === "operations" && !ui && index.tags.length) showTag(index.tags[0].name);
    if (name === "state") loadState(session());
    if (name === "requests") {
      if (!logStarted) $("dm-log-session").value = session();
      restartLog();
    }
    if (name === "report") loadReport();
  }
  for (const tab of tabs) tab.addEventListener("click", () => showPanel(tab.dataset.panel));

  // -- operations: tags, search, Swagger UI ---------------------------------------------------------------
  let index = { tags: [], operations: [] };
  let ui = null;
  let shownTag = null;

  function methodBadge(method) {
    return el("span", { class: "dm-method dm-" + method.toLowerCase() }, method);
  }

  function renderTags() {
    const list = $("dm-tags");
    list.replaceChildren(...index.tags.map((tag) => el("li", {},
      el("button", { type: "button", class: tag.name === shownTag ? "dm-current" : "", title: tag.description,
                     dataset: { tag: tag.name }, onclick: () => showTag(tag.name) },
         el("span", {}, tag.name), el("span", { class: "dm-muted" }, tag.count)))));
  }

  function search(text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const results = $("dm-results");
    const tagList = $("dm-tags");
    if (!words.length) {
      results.hidden = true; tagList.hidden = false;
      $("dm-count").textContent = `${index.operations.length} operations in ${index.tags.length} tags`;
      return;
    }
    const found = index.operations.filter((op) => {
      const haystack = `${op.method} ${op.path} ${op.operationId} ${op.summary}`.toLowerCase();
      return words.every((w) => haystack.includes(w));
    });
    const shown = found.slice(0, 200);
    results.replaceChildren(...shown.map((op) => el("li", {},
      el("button", { type: "button", dataset: { operation: op.operationId },
                     onclick: () => showTag(op.tag, op.operationId) },
         methodBadge(op.method), el("code", {}, op.path),
         el("span", { class: "dm-muted dm-summary" }, `${op.operationId} · ${op.summary}`)))));
    results.hidden = false; tagList.hidden = true;
    $("dm-count").textContent = found.length > shown.length
      ? `${found.length} operations match; the first ${shown.length} are shown` : `${found.length} operations match`;
  }
  $("dm-search").addEventListener("input", (event) => search(event.target.value));

  function authorize() {
    // Without --credential the mock takes any credential of a documented kind: fill one in for every scheme, so
    // Try it out works at once whichever scheme an operation asks for. With --credential the user enters theirs
    // with the Authorize button.
    if (!config.anyCredential || !ui) return;
    const schemes = ui.specSelectors.specJson().getIn(["components", "securitySchemes"]);
    if (!schemes) return;
    for (const [name, scheme] of schemes.entrySeq().toArray()) {
      const type = scheme.get("type");
      if (type === "http" && String(scheme.get("scheme")).toLowerCase() === "basic") {
        ui.preauthorizeBasic(name, "docmock", "docmock");
      } else if (type === "oauth2" || type === "openIdConnect") {
        ui.authActions.authorizeOauth2({ auth: { name, schema: scheme },
                                         token: { access_token: "docmock", token_type: "Bearer" } });
      } else {
        ui.preauthorizeApiKey(name, "docmock");
      }
    }
  }

  function openOperation(tag, operationId) {
    ui.layoutActions.show(["operations", tag, operationId], true);
    // Swagger UI's id for the block: spaces as "_", then CSS-escaped (escapeDeepLinkPath).
    const idOf = (text) => CSS.escape(text.replace(/\s/g, "_"));
    const id = `operations-${idOf(tag)}-${idOf(operationId)}`;
    const tryScroll = (attempt) => {
      const block = document.getElementById(id);
      if (block) block.scrollIntoView({ block: "start" });
      else if (attempt < 20) setTimeout(() => tryScroll(attempt + 1), 50);
    };
    tryScroll(0);
  }

  function showTag(tag, operationId) {
    if (active !== "operations") selectPanel("operations");
    const hash = "#" + (operationId ? "op=" + encodeURIComponent(operationId) : "tag=" + encodeURIComponent(tag));
    // A new history entry per choice (back and forward walk them), but none for the page's own first choice.
    if (location.hash !== hash) history[location.hash ? "pushState" : "replaceState"](null, "", hash);
    if (tag === shownTag && ui) {
      if (operationId) openOperation(tag, operationId);
      return;
    }
    shownTag = tag;
    renderTags();
    $("dm-swagger").replaceChildren(el("p", { class: "dm-muted" }, `Loading ${tag}…`));
    ui = SwaggerUIBundle({
      url: config.prefix + "spec.json?tag=" + encodeURIComponent(tag),
      dom_id: "#dm-swagger",
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: false,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      displayOperationId: true,
      displayRequestDuration: true,
      tryItOutEnabled: true,
      requestSnippetsEnabled: true,
      showExtensions: true,
      validatorUrl: null,
      requestInterceptor: (request) => {
        const name = session();
        if (name) request.headers["X-Mock-Session"] = name;
        return request;
      },
      onComplete: () => {
        authorize();
        if (operationId) openOperation(tag, operationId);
      },
    });
  }

  function fromHash() {
    let hash = "";
    try { hash = decodeURIComponent(location.hash.slice(1)); } catch (e) { /* not a hash this page wrote */ }
    if (hash.startsWith("op=")) {
      const op = index.operations.find((o) => o.operationId === hash.slice(3));
      if (op) return showTag(op.tag, op.operationId);
    }
    if (hash.startsWith("tag=") && index.tags.some((t) => t.name === hash.slice(4))) return showTag(hash.slice(4));
    if (["state", "requests", "report"].includes(hash)) return showPanel(hash);
    if (index.tags.length) showTag(index.tags[0].name);
  }

  // Without a hash the first tag is known from the page: its spec loads while the index is on its way.
  const early = !location.hash.slice(1) && config.firstTag;
  if (early) showTag(config.firstTag);
  getJson(config.prefix + "index.json").then((data) => {
    index = data;
    search($("dm-search").value);
    renderTags();
    window.addEventListener("hashchange", fromHash);  // links to #op=..., #tag=..., #state; back and forward
    if (!early) fromHash();
  }).catch((error) => {
    $("dm-swagger").replaceChildren(el("p", { class: "dm-alert" }, `Could not load the operations: ${error.message}`));
  });

  // -- state ----------------------------------------------------------------------------------------------
  let stateGeneration = 0;
  async function loadState(wanted) {
    const status = $("dm-state-status");
    const body = $("dm-state-body");
    const generation = ++stateGeneration;
    status.textContent = "Loading…";
    try {
      const sessions = await getJson(ADMIN + "sessions");
      const select = $("dm-state-session");
      const names = sessions.sessions.map((s) => s.session);
      const current = wanted || "default";
      if (!names.includes(current)) names.unshift(current);
      select.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
      select.value = current;
      const data = await getJson(ADMIN + "state?session=" + encodeURIComponent(current === "default" ? "" : current));
      if (generation !== stateGeneration) return;  // another session was asked for meanwhile
      const entities = (data.sessions || {})[current] || {};
      const parts = [el("p", { class: "dm-muted" },
        `Store: ${data.store} · entities: ${data.entities.join(", ") || "none"} · ids of created records start at ${data.created_id_start}`)];
      const names2 = Object.keys(entities);
      if (!names2.length) parts.push(el("p", {}, `Session ${current} has no records: nothing was written to it yet.`));
      for (const name of names2) {
        const entity = entities[name];
        const records = Object.entries(entity.records || {});
        const deleted = entity.deleted || [];
        parts.push(el("h3", {}, name));
        parts.push(el("p", { class: "dm-muted" },
          `${records.length} record(s) · deleted: ${deleted.length ? deleted.join(", ") : "none"}` +
          (entity.next_id !== null && entity.next_id !== undefined ? ` · next id ${entity.next_id}` : "")));
        for (const [key, record] of records) {
          parts.push(el("details", { class: "dm-record" }, el("summary", {}, `${name} ${key}`),
            el("pre", {}, JSON.stringify(record, null, 2))));
        }
      }
      body.replaceChildren(...parts);
      status.textContent = `${names.length} session(s)`;
    } catch (error) {
      status.textContent = error.message;
    }
  }
  $("dm-state-refresh").addEventListener("click", () => loadState($("dm-state-session").value));
  $("dm-state-session").addEventListener("change", (event) => loadState(event.target.value));
  $("dm-reset-session").addEventListener("click", async () => {
    const name = $("dm-state-session").value;
    if (!confirm(`Forget every record of session ${name}?`)) return;
    await getJson(ADMIN + "reset?session=" + encodeURIComponent(name === "default" ? "" : name), { method: "POST" });
    await loadState(name);
    $("dm-state-status").textContent = `Session ${name} was reset`;
  });
  $("dm-reset-all").addEventListener("click", async () => {
    if (!confirm("Forget the records of every session?")) return;
    await getJson(ADMIN + "reset", { method: "POST" });
    await loadState($("dm-state-session").value);
    $("dm-state-status").textContent = "Every session was reset";
  });

  // -- the request log ------------------------------------------------------------------------------------
  let logStarted = false;
  let lastId = 0;
  let logTimer = null;
  let logGeneration = 0;
  const LOG_ROWS = 500;

  function logRow(entry) {
    const details = el("tr", { class: "dm-details", hidden: "" },
      el("td", { colspan: "8" }, el("pre", {}, JSON.stringify({
        query: entry.query, headers: entry.headers, body: entry.body, violations: entry.violations,
        fault: entry.fault }, null, 2))));
    const statusClass = entry.status === null ? "dm-status-none" : "dm-status-" + String(entry.status)[0];
    const row = el("tr", { class: "dm-entry", dataset: { id: entry.id }, onclick: () => { details.hidden = !details.hidden; } },
      el("td", {}, entry.id), el("td", {}, entry.time.slice(11, 23)), el("td", {}, entry.session),
      el("td", {}, methodBadge(entry.method)), el("td", {}, el("code", {}, entry.path)),
      el("td", {}, entry.operationId), el("td", { class: statusClass }, entry.status === null ? "—" : entry.status),
      el("td", {}, entry.durationMs));
    return [row, details];
  }

  async function pollLog(generation) {
    const params = new URLSearchParams({ since: String(lastId), limit: String(LOG_ROWS) });
    const operation = $("dm-log-operation").value.trim();
    const sessionFilter = $("dm-log-session").value.trim();
    if (operation) params.set("operation", operation);
    if (sessionFilter) params.set("session", sessionFilter);
    let data;
    try {
      data = await getJson(ADMIN + "requests?" + params);
    } catch (error) {
      if (generation === logGeneration) $("dm-log-status").textContent = error.message;
      return !error.message.startsWith("404");  // 404: the journal is off (--journal-size 0), stop asking
    }
    if (generation !== logGeneration) return false;
    const body = $("dm-log").tBodies[0];
    for (const entry of data.requests) {
      if (entry.id <= lastId) continue;  // already shown
      body.prepend(...logRow(entry));
      lastId = entry.id;
    }
    while (body.rows.length > 2 * LOG_ROWS) body.deleteRow(-1);
    lastId = Math.max(lastId, data.lastId);
    $("dm-log-status").textContent = `${body.rows.length / 2} shown · the journal keeps the last ${data.capacity}`;
    return true;
  }

  function restartLog() {
    logStarted = true;
    logGeneration += 1;
    lastId = 0;
    $("dm-log").tBodies[0].replaceChildren();
    clearTimeout(logTimer);
    const generation = logGeneration;
    // One poll at a time: the next is asked for a second after the last one answered.
    const poll = async () => {
      const live = active !== "requests" || !$("dm-log-live").checked || await pollLog(generation);
      if (live && generation === logGeneration) logTimer = setTimeout(poll, 1000);
    };
    pollLog(generation).then((go) => { if (go && generation === logGeneration) logTimer = setTimeout(poll, 1000); });
  }
  for (const id of ["dm-log-operation", "dm-log-session"]) $(id).addEventListener("change", restartLog);
  $("dm-log-operation").addEventListener("focus", () => {  // the suggestions, once the index is there
    const list = $("dm-operation-ids");
    if (!list.children.length) list.replaceChildren(...index.operations.map((op) => el("option", { value: op.operationId })));
  });
  $("dm-log-clear").addEventListener("click", async () => {
    const sessionFilter = $("dm-log-session").value.trim();
    if (!confirm(sessionFilter ? `Forget the journal of session ${sessionFilter} (every operation)?`
                               : "Forget the journal of every session?")) return;
    await getJson(ADMIN + "requests" + (sessionFilter ? "?session=" + encodeURIComponent(sessionFilter) : ""),
                  { method: "DELETE" });
    restartLog();
  });

  // -- the start-up report --------------------------------------------------------------------------------
  async function loadReport() {
    const panel = $("dm-report");
    try {
      const report = await getJson(ADMIN + "report");
      const section = (title, lines, empty) => [el("h3", {}, `${title} (${lines.length})`),
        lines.length ? el("ul", {}, ...lines.map((line) => el("li", {}, line))) : el("p", { class: "dm-muted" }, empty)];
      panel.replaceChildren(
        el("h2", {}, report.title), el("p", {}, `${report.operations} operations`),
        ...(report.reloadFailure ? [el("div", { class: "dm-alert", role: "alert" }, el("pre", {}, report.reloadFailure))] : []),
        el("h3", {}, "Entities and state"),
        report.state.length ? el("pre", { class: "dm-report-state" }, report.state.join("\n"))
                            : el("p", { class: "dm-muted" }, "This mock keeps no state."),
        ...section("Route ambiguities", report.ambiguities, "None: every request reaches one operation."),
        ...section("Overlaps resolved by parameter type", report.overlaps, "None."),
        ...section("Schema warnings", report.malformed, "None."),
        ...section("Settings", report.notes, "Defaults."));
    } catch (error) {
      panel.replaceChildren(el("p", { class: "dm-alert" }, error.message));
    }
  }
})();
