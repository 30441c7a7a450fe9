/* The village director's offline web app (page: cases/sync/app/, kept by the service worker).
   Everything it shows comes from the phone's IndexedDB (offline-store.js): the copy of the
   village (/api/offline/village/, refreshed whenever online) and the send queue. A registration,
   a check, a guardian's phone or a report made here is queued with its own client_uuid, shown at
   once as waiting, and sent in order when the network is there, with retries and back-off; the
   server does each one exactly once (the client_uuid). A refused item keeps the server's message
   and can be corrected or discarded; it blocks nothing else. Rules: docs/offline.md. */
(function () {
  "use strict";

  var W = window.welfareOffline;
  var CONFIG = JSON.parse(document.getElementById("offline-config").textContent);
  var T = document.getElementById("offline-i18n").dataset;
  var APP_URL = "/cases/sync/app/";
  var DAY = 24 * 3600 * 1000;
  var MAX_BACKOFF = 5 * 60 * 1000;
  var main = document.getElementById("main");
  var state = { village: null, queue: [], lastSync: null, maxAgeDays: 7, needLogin: false, expired: false, syncing: false };
  var db = null;
  var retryTimer = null;
  var seqCounter = 0;

  function t(key, params) {
    var text = T[key] || key;
    Object.keys(params || {}).forEach(function (name) { text = text.split("%(" + name + ")s").join(params[name]); });
    return text;
  }

  function label(choices, value) {
    var found = (choices || []).filter(function (c) { return c[0] === value; })[0];
    return found ? found[1] : value || "";
  }

  /* Elements are built with textContent only: nothing from the data is ever parsed as HTML. */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key.indexOf("on") === 0) el.addEventListener(key.slice(2), value);
      else if (key === "text") el.textContent = value;
      else el.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var x = Array.prototype.map.call(b, function (n) { return n.toString(16).padStart(2, "0"); }).join("");
    return x.slice(0, 8) + "-" + x.slice(8, 12) + "-" + x.slice(12, 16) + "-" + x.slice(16, 20) + "-" + x.slice(20);
  }

  function maskNumber(n) {
    n = (n || "").trim();
    return n.length > 10 ? n.slice(0, 6) + "********" + n.slice(-4) : n;
  }

  // --- The store ---------------------------------------------------------------------------

  async function load() {
    db = await W.open();
    state.village = (await db.get("village", "current")) || null;
    state.lastSync = (await db.get("meta", "last_sync")) || null;
    state.maxAgeDays = (await db.get("meta", "max_age_days")) || 7;
    state.queue = await db.getAllFromIndex("queue", "seq");
    // No successful sync for too long: the copy of the village goes (what waits to be sent stays).
    if (state.village && state.lastSync && Date.now() - state.lastSync > state.maxAgeDays * DAY) {
      await db.delete("village", "current");
      state.village = null;
      state.expired = true;
    }
  }

  async function put(item) {
    await db.put("queue", item);
    state.queue = await db.getAllFromIndex("queue", "seq");
  }

  async function enqueue(kind, method, url, body, extra) {
    var item = Object.assign(
      {
        uuid: newUuid(),
        seq: Date.now() * 1000 + (seqCounter++ % 1000),
        kind: kind,
        method: method,
        url: url,
        body: body,
        state: "waiting",
        attempts: 0,
        next_try: 0,
        message: "",
        created_at: Date.now(),
      },
      extra || {}
    );
    await put(item);
    return item;
  }

  // --- The network -------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function messageOf(json) {
    if (!json || typeof json !== "object") return "";
    if (json.detail) return String(json.detail);
    var parts = [];
    Object.keys(json).forEach(function (key) {
      var value = json[key];
      if (Array.isArray(value)) parts.push(value.join(" "));
      else if (typeof value === "string" && key !== "code") parts.push(value);
      else if (value && typeof value === "object") parts.push(messageOf(value));
    });
    return parts.filter(Boolean).join(" ");
  }

  async function refresh() {
    var response = await fetch("/api/offline/village/", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401 || response.status === 403) { state.needLogin = response.status === 401; return false; }
    if (!response.ok) return false;
    var data = await response.json();
    var owner = await db.get("meta", "owner");
    if (owner && owner.id !== data.user.id) {
      // Another user signed in on this phone: nothing of the first one's stays.
      db.close();
      await W.wipe(false);
      db = await W.open();
      state.queue = [];
    }
    await db.put("meta", { id: data.user.id, username: data.user.username }, "owner");
    await db.put("village", data, "current");
    await db.put("meta", Date.now(), "last_sync");
    await db.put("meta", data.max_age_days, "max_age_days");
    state.village = data;
    state.lastSync = Date.now();
    state.maxAgeDays = data.max_age_days;
    state.expired = false;
    state.needLogin = false;
    return true;
  }

  function parentOf(item) {
    return item.ref ? state.queue.filter(function (q) { return q.uuid === item.ref; })[0] : null;
  }

  /* Send what waits, oldest first. A refused item is marked and the next one goes; no network
     (or a server error) stops the round and it is tried again later, waiting longer each time. */
  async function sync() {
    if (state.syncing || !navigator.onLine) return;
    state.syncing = true;
    var stopped = false;
    try {
      for (var i = 0; i < state.queue.length && !stopped; i++) {
        var item = state.queue[i];
        if (item.state !== "waiting" && item.state !== "blocked") continue;
        if (item.next_try && item.next_try > Date.now()) {
          clearTimeout(retryTimer);
          retryTimer = setTimeout(sync, item.next_try - Date.now());
          stopped = true;
          break;
        }
        var body = Object.assign({}, item.body, { client_uuid: item.uuid });
        if (item.ref) {
          var parent = parentOf(item);
          if (!parent || parent.state !== "sent" || !parent.result) {
            item.state = "blocked";
            await put(item);
            continue;
          }
          body.child = parent.result.id;
        }
        var response;
        try {
          response = await fetch(item.url, {
            method: item.method,
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(), "X-Client-UUID": item.uuid },
            body: JSON.stringify(body),
          });
        } catch (error) {
          await later(item, t("errNetwork"));
          stopped = true;
          break;
        }
        var json = null;
        try { json = await response.json(); } catch (error) { json = null; }
        if (response.ok) {
          item.state = "sent";
          item.result = json && json.id ? { id: json.id } : {};
          item.body = null; // a full identity number stays on the phone no longer than needed
          item.message = "";
          item.sent_at = Date.now();
        } else if (response.status === 409 && json && json.code === "edit_conflict") {
          item.state = "conflict";
          item.message = messageOf({ detail: json.detail });
          item.body = null;
        } else if (response.status === 401) {
          state.needLogin = true;
          item.message = t("loginAgain");
          await put(item);
          stopped = true;
          break;
        } else if (response.status >= 500 || response.status === 429) {
          await later(item, messageOf(json) || String(response.status));
          stopped = true;
          break;
        } else {
          item.state = "refused";
          item.message = messageOf(json) || String(response.status);
        }
        item.attempts += 1;
        await put(item);
      }
      // Dependants of a refused registration wait for it to be corrected.
      for (var j = 0; j < state.queue.length; j++) {
        var q = state.queue[j];
        if (q.state === "blocked" && parentOf(q) && parentOf(q).state === "sent") { q.state = "waiting"; await put(q); }
      }
      if (!stopped && navigator.onLine) await refresh().catch(function () {});
      await forgetOldSent();
    } finally {
      state.syncing = false;
      render();
    }
    if (!stopped && state.queue.some(function (q) { return q.state === "waiting"; })) setTimeout(sync, 50);
  }

  async function later(item, message) {
    item.attempts += 1;
    item.message = message;
    var wait = Math.min(MAX_BACKOFF, 2000 * Math.pow(2, Math.min(item.attempts - 1, 8)));
    item.next_try = Date.now() + wait;
    await put(item);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(sync, wait);
  }

  async function forgetOldSent() {
    var cutoff = Date.now() - DAY;
    for (var i = 0; i < state.queue.length; i++) {
      var item = state.queue[i];
      var needed = state.queue.some(function (q) { return q.ref === item.uuid && q.state !== "sent"; });
      if (item.state === "sent" && item.sent_at < cutoff && !needed) await db.delete("queue", item.uuid);
    }
    state.queue = await db.getAllFromIndex("queue", "seq");
  }

  // --- Reading the data --------------------------------------------------------------------

  function children() {
    return state.village ? state.village.children : [];
  }

  function childById(id) {
    return children().filter(function (c) { return String(c.id) === String(id); })[0] || null;
  }

  function queuedChildren() {
    return state.queue.filter(function (q) { return q.kind === "child" && q.state !== "sent"; });
  }

  function checksOf(childId) {
    var checks = state.village ? state.village.checks : [];
    return checks.filter(function (k) { return String(k.child) === String(childId); });
  }

  function childName(item) {
    if (item.child_name) return item.child_name;
    var child = childById(item.body && item.body.child);
    return child ? child.name : "";
  }

  // --- Pages -------------------------------------------------------------------------------

  function badge(itemState) {
    return h("span", { class: "badge q-" + itemState, text: t("state" + itemState.charAt(0).toUpperCase() + itemState.slice(1)) });
  }

  function syncBar() {
    var lines = [];
    if (!navigator.onLine) lines.push(h("p", { class: "offline-note", text: t("offline") }));
    if (state.expired) lines.push(h("p", { class: "offline-note", text: t("expired") }));
    if (state.needLogin) lines.push(h("p", { class: "offline-note" }, [h("a", { href: "/login/?next=" + encodeURIComponent(APP_URL), text: t("loginAgain") })]));
    if (state.lastSync) {
      var days = Math.floor((Date.now() - state.lastSync) / DAY);
      lines.push(h("p", { class: "meta", text: t("lastSync", { when: new Date(state.lastSync).toLocaleString() }) }));
      if (days >= Math.max(1, state.maxAgeDays - 2)) lines.push(h("p", { class: "offline-note", text: t("syncStale", { days: days, max: state.maxAgeDays }) }));
    } else {
      lines.push(h("p", { class: "meta", text: t("neverSynced") }));
    }
    lines.push(h("button", { type: "button", class: "secondary", id: "sync-now", onclick: function () { sync(); }, text: t("syncNow") }));
    return h("div", { class: "syncbar" }, lines);
  }

  function queueList(items) {
    if (!items.length) return h("p", { class: "empty", text: t("queueEmpty") });
    return h(
      "ul",
      { class: "cards queue" },
      items.map(function (item) {
        var actions = null;
        if (item.state === "refused") {
          actions = h("div", { class: "actions" }, [
            item.kind !== "guardian" ? h("a", { class: "button secondary", href: "#/correct/" + item.uuid, text: t("correct") }) : null,
            h("button", {
              type: "button",
              class: "danger",
              text: t("discard"),
              onclick: async function () {
                if (!window.confirm(t("discardConfirm"))) return;
                await db.delete("queue", item.uuid);
                state.queue = await db.getAllFromIndex("queue", "seq");
                render();
              },
            }),
          ]);
        }
        return h("li", { class: "queue-item state-" + item.state, "data-uuid": item.uuid, "data-kind": item.kind }, [
          h("span", { class: "title", text: item.label || "" }),
          " ",
          badge(item.state),
          item.message ? h("div", { class: "message", text: item.message }) : null,
          actions,
        ]);
      })
    );
  }

  function pageHome() {
    var tiles = [
      ["#/worklist", t("worklist")],
      ["#/checks", t("myChecks")],
      ["#/children", t("children")],
      ["#/register", t("register")],
      ["#/report", t("report")],
    ];
    var waiting = state.queue.filter(function (q) { return q.state === "waiting" || q.state === "blocked"; }).length;
    return [
      h("h1", { text: state.village ? state.village.village.name : t("home") }),
      syncBar(),
      h("p", { class: "meta", text: t("queue") + ": " + waiting }),
      h("ul", { class: "tiles" }, tiles.map(function (tile) { return h("li", {}, [h("a", { class: "button", href: tile[0], text: tile[1] })]); })),
    ];
  }

  function dueChildren() {
    return children()
      .filter(function (c) { return c.check_state === "overdue" || c.check_state === "due_soon"; })
      .sort(function (a, b) { return (a.next_check_due || "").localeCompare(b.next_check_due || ""); });
  }

  function pageWorklist() {
    var pending = state.queue.filter(function (q) { return q.state !== "sent" || Date.now() - (q.sent_at || 0) < DAY; });
    var conflicts = state.village ? state.village.conflicts.filter(function (c) { return c.status === "open"; }) : [];
    var due = dueChildren();
    return [
      h("h1", { text: t("worklist") }),
      syncBar(),
      h("div", { class: "actions" }, [
        h("a", { class: "button", href: "#/register", text: t("register") }),
        h("a", { class: "button secondary", href: "#/report", text: t("report") }),
      ]),
      h("section", { "aria-labelledby": "queue-h" }, [h("h2", { id: "queue-h", text: t("queue") + " (" + pending.length + ")" }), queueList(pending)]),
      conflicts.length
        ? h("section", { "aria-labelledby": "conflicts-h" }, [
            h("h2", { id: "conflicts-h", text: t("stateConflict") + " (" + conflicts.length + ")" }),
            h("ul", { class: "cards" }, conflicts.map(function (c) {
              var child = childById(c.child);
              return h("li", {}, [h("span", { class: "title", text: (child ? child.name : "") + " · " + c.field }), " ", badge("conflict")]);
            })),
          ])
        : null,
      h("section", { "aria-labelledby": "due-h" }, [
        h("h2", { id: "due-h", text: t("due") + " (" + due.length + ")" }),
        due.length
          ? h("ul", { class: "cards" }, due.map(function (c) {
              return h("li", {}, [
                h("a", { class: "title", href: "#/child/" + c.id, text: c.name }),
                " ",
                h("span", { class: "badge " + c.check_state, text: label(CONFIG.check_states, c.check_state) }),
                h("div", { class: "meta", text: t("nextDue") + ": " + (c.next_check_due || "") }),
              ]);
            }))
          : h("p", { class: "empty", text: t("noDue") }),
      ]),
    ];
  }

  function pageChecks() {
    var tracked = children()
      .filter(function (c) { return c.next_check_due; })
      .sort(function (a, b) { return a.next_check_due.localeCompare(b.next_check_due); });
    var queued = state.queue.filter(function (q) { return q.kind === "check"; });
    return [
      h("h1", { text: t("myChecks") }),
      queued.length ? queueList(queued) : null,
      tracked.length
        ? h("ul", { class: "cards" }, tracked.map(function (c) {
            return h("li", {}, [
              h("a", { class: "title", href: "#/child/" + c.id, text: c.name }),
              " ",
              c.check_state ? h("span", { class: "badge " + c.check_state, text: label(CONFIG.check_states, c.check_state) }) : null,
              h("div", { class: "meta", text: t("nextDue") + ": " + c.next_check_due }),
              h("a", { class: "button secondary", href: "#/check/" + c.id, text: t("recordCheck") }),
            ]);
          }))
        : h("p", { class: "empty", text: t("noDue") }),
    ];
  }

  function pageChildren() {
    var input = h("input", { type: "search", id: "child-search", "aria-label": t("search"), placeholder: t("search") });
    var list = h("ul", { class: "cards", id: "child-list" });
    function fill() {
      var q = input.value.trim();
      list.textContent = "";
      queuedChildren().forEach(function (item) {
        if (q && item.label.indexOf(q) < 0) return;
        list.appendChild(h("li", {}, [h("a", { class: "title", href: "#/child/q:" + item.uuid, text: item.label }), " ", badge(item.state === "blocked" ? "waiting" : item.state)]));
      });
      children().forEach(function (c) {
        if (q && c.name.indexOf(q) < 0) return;
        list.appendChild(
          h("li", {}, [
            h("a", { class: "title", href: "#/child/" + c.id, text: c.name }),
            h("div", { class: "meta", text: [c.id_number || "", c.birth_date].filter(Boolean).join(" · ") }),
          ])
        );
      });
      if (!list.children.length) list.appendChild(h("li", { class: "empty", text: t("noChildren") }));
    }
    input.addEventListener("input", fill);
    fill();
    return [h("h1", { text: t("children") }), input, list, h("p", { class: "meta", text: t("maskedNote") })];
  }

  function pageChild(id) {
    if (id.indexOf("q:") === 0) {
      var item = state.queue.filter(function (q) { return q.uuid === id.slice(2); })[0];
      if (!item || !item.body) return [h("p", { text: t("notFound") })];
      var b = item.body;
      return [
        h("h1", { text: b.name }),
        badge(item.state === "blocked" ? "waiting" : item.state),
        h("p", { class: "meta", text: t("newChild") }),
        h("dl", {}, [
          h("dt", { text: t("idNumber") }), h("dd", { text: maskNumber(b.id_number) }),
          h("dt", { text: t("birthDate") }), h("dd", { text: b.birth_date || "" }),
        ]),
        h("a", { class: "button", href: "#/check/q:" + item.uuid, text: t("recordCheck") }),
      ];
    }
    var c = childById(id);
    if (!c) return [h("p", { text: t("notFound") })];
    var checks = checksOf(c.id);
    var queued = state.queue.filter(function (q) { return q.kind === "check" && q.body && String(q.body.child) === String(c.id); });
    return [
      h("h1", { text: c.name }),
      h("dl", { class: "facts" }, [
        h("dt", { text: t("idNumber") }), h("dd", { class: "id-number", text: c.id_number || "" }),
        h("dt", { text: t("sex") }), h("dd", { text: c.sex === "M" ? t("male") : t("female") }),
        h("dt", { text: t("birthDate") }), h("dd", { text: c.birth_date }),
        h("dt", { text: t("categories") }), h("dd", { text: c.categories.map(function (code) { return label(CONFIG.categories, code); }).join("、") }),
        h("dt", { text: t("nextDue") }), h("dd", { text: c.next_check_due || "" }),
      ]),
      h("div", { class: "actions" }, [
        h("a", { class: "button", href: "#/check/" + c.id, text: t("recordCheck") }),
        h("a", { class: "button secondary", href: "#/report/" + c.id, text: t("report") }),
      ]),
      h("h2", { text: t("guardians") }),
      h("ul", { class: "cards" }, c.guardians.map(function (g) {
        var waiting = state.queue.filter(function (q) { return q.kind === "guardian" && q.guardian === g.id && q.state !== "sent"; })[0];
        return h("li", { "data-guardian": g.id }, [
          h("span", { class: "title", text: g.name }),
          h("span", { class: "meta", text: " " + label(CONFIG.relations, g.relation) }),
          h("div", { class: "meta", text: [g.phone, g.id_number].filter(Boolean).join(" · ") }),
          waiting ? h("div", {}, [badge(waiting.state), waiting.message ? h("div", { class: "message", text: waiting.message }) : null]) : null,
          h("a", { href: "#/guardian/" + c.id + "/" + g.id, text: t("editPhone") }),
        ]);
      })),
      h("h2", { text: t("checks") }),
      queued.length ? queueList(queued) : null,
      checks.length
        ? h("ul", { class: "cards" }, checks.map(function (k) {
            return h("li", { text: k.checked_on + " · " + label(CONFIG.kinds, k.kind) + " · " + label(CONFIG.risk_levels, k.risk_level) });
          }))
        : h("p", { class: "empty", text: t("noChecks") }),
      h("p", {}, [h("a", { href: "/cases/children/" + c.id + "/", text: t("serverPage") })]),
    ];
  }

  // --- Forms -------------------------------------------------------------------------------

  function field(name, labelText, input, help) {
    input.id = input.id || "f-" + name;
    input.name = name;
    return h("div", { class: "field", "data-field": name }, [h("label", { for: input.id, text: labelText }), input, help || null, h("p", { class: "error", id: input.id + "-error", "aria-live": "polite" })]);
  }

  function select(choices, value, withBlank) {
    var options = (withBlank ? [["", t("choose")]] : []).concat(choices);
    return h("select", {}, options.map(function (c) { return h("option", { value: c[0], selected: c[0] === value ? true : null, text: c[1] }); }));
  }

  function showErrors(form, errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".error"), function (p) { p.textContent = ""; });
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var box = form.querySelector('[data-field="' + name + '"] .error') || form.querySelector(".form-error");
      if (box) box.textContent = errors[name];
      var input = form.querySelector('[name="' + name + '"]');
      if (input && !first) first = input;
    });
    if (first) first.focus();
    return Object.keys(errors).length === 0;
  }

  function value(form, name) {
    var el = form.querySelector('[name="' + name + '"]');
    return el ? el.value.trim() : "";
  }

  var PHONE = /^(?:(?:\+86|0086)?1[3-9]\d{9}|0\d{2,3}-?[1-9]\d{6,7}(?:-\d{1,6})?)$/;

  function phoneError(phone) {
    return phone && !PHONE.test(phone.replace(/\s+/g, "")) ? t("errPhone") : "";
  }

  function guardianBlock(index, g) {
    g = g || {};
    var p = "guardians-" + index + "-";
    return h("fieldset", { class: "guardian" }, [
      h("legend", { text: t("guardian") + " " + (index + 1) }),
      field(p + "name", t("name"), h("input", { type: "text", value: g.name || "", autocomplete: "off" })),
      field(p + "relation", t("relation"), select(CONFIG.relations, g.relation || "", true)),
      field(p + "phone", t("phone"), h("input", { type: "tel", value: g.phone || "", inputmode: "tel" })),
      field(p + "is_migrant_worker", t("migrant"), h("input", { type: "checkbox", checked: g.is_migrant_worker ? true : null })),
      field(p + "work_place", t("workPlace"), h("input", { type: "text", value: g.work_place || "" })),
    ]);
  }

  function pageRegister(existing) {
    var b = (existing && existing.body) || { categories: [], guardians: [{}] };
    var guardians = h("div", { id: "guardians" }, (b.guardians.length ? b.guardians : [{}]).map(function (g, i) { return guardianBlock(i, g); }));
    var idInput = h("input", { type: "text", value: b.id_number || "", "data-idnumber": true, autocomplete: "off", inputmode: "text", maxlength: "20" });
    var form = h("form", { novalidate: true, class: "offline-form", id: "register-form" }, [
      h("p", { class: "form-error error", "aria-live": "polite" }),
      field("name", t("name"), h("input", { type: "text", value: b.name || "", autocomplete: "off" })),
      field("id_number", t("idNumber"), idInput),
      field("sex", t("sex"), select([["M", t("male")], ["F", t("female")]], b.sex || "", true)),
      field("birth_date", t("birthDate"), h("input", { type: "date", value: b.birth_date || "" })),
      h("fieldset", { "data-field": "categories" }, [h("legend", { text: t("categories") })].concat(
        CONFIG.categories.map(function (c) {
          return h("label", { class: "check" }, [h("input", { type: "checkbox", name: "categories", value: c[0], checked: b.categories.indexOf(c[0]) >= 0 ? true : null }), " " + c[1]]);
        })
      ).concat([h("p", { class: "error" })])),
      h("h2", { text: t("guardians") }),
      guardians,
      h("button", {
        type: "button",
        class: "secondary",
        text: t("addGuardian"),
        onclick: function () { guardians.appendChild(guardianBlock(guardians.children.length, {})); },
      }),
      h("div", { class: "actions" }, [h("button", { type: "submit", text: t("save") })]),
    ]);
    // The identity number is checked as it is typed (static/js/app.js, as on the server's form).
    idInput.addEventListener("input", function () { live(idInput, form); });
    idInput.addEventListener("blur", function () { live(idInput, form); });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var errors = {};
      var body = {
        name: value(form, "name"),
        id_number: value(form, "id_number").toUpperCase(),
        sex: value(form, "sex") || null,
        birth_date: value(form, "birth_date") || null,
        region: state.village ? state.village.village.code : "",
        categories: Array.prototype.map.call(form.querySelectorAll("input[name=categories]:checked"), function (i) { return i.value; }),
        guardians: [],
      };
      if (!body.name) errors.name = t("errName");
      if (body.id_number) {
        var parsed = window.welfareParseIdNumber(body.id_number);
        if (!parsed.ok) errors.id_number = parsed.message;
      } else {
        body.id_number = null;
        if (!body.sex) errors.sex = t("errSex");
        if (!body.birth_date) errors.birth_date = t("errBirth");
      }
      if (body.birth_date && body.birth_date > today()) errors.birth_date = t("errBirthFuture");
      Array.prototype.forEach.call(guardians.children, function (block, i) {
        var p = "guardians-" + i + "-";
        var g = {
          name: value(form, p + "name"),
          relation: value(form, p + "relation"),
          phone: value(form, p + "phone"),
          is_migrant_worker: form.querySelector('[name="' + p + 'is_migrant_worker"]').checked,
          work_place: value(form, p + "work_place"),
        };
        if (!g.name && !g.relation && !g.phone && i > 0) return;
        if (!g.name) errors[p + "name"] = t("errGuardianName");
        if (!g.relation) errors[p + "relation"] = t("errRelation");
        if (phoneError(g.phone)) errors[p + "phone"] = phoneError(g.phone);
        body.guardians.push(g);
      });
      if (!showErrors(form, errors)) return;
      if (existing) {
        existing.body = body;
        existing.label = body.name;
        existing.state = "waiting";
        existing.message = "";
        existing.next_try = 0;
        await put(existing);
      } else {
        await enqueue("child", "POST", "/api/children/", body, { label: body.name, child_name: body.name });
      }
      done();
    });
    return [h("h1", { text: t("register") }), form];
  }

  function live(input, form) {
    var n = input.value.replace(/\s+/g, "").toUpperCase();
    var box = form.querySelector('[data-field="id_number"] .error');
    if (n.length < 18) { box.textContent = ""; return; }
    var parsed = window.welfareParseIdNumber(n);
    box.textContent = parsed.ok ? "" : parsed.message;
    if (parsed.ok) {
      var birth = form.querySelector("[name=birth_date]");
      var sex = form.querySelector("[name=sex]");
      if (!birth.value) birth.value = parsed.birth;
      if (!sex.value) sex.value = parsed.sex;
    }
  }

  function targetChild(id) {
    if (id && id.indexOf("q:") === 0) {
      var item = state.queue.filter(function (q) { return q.uuid === id.slice(2); })[0];
      return item && item.body ? { name: item.body.name, birth_date: item.body.birth_date, ref: item.uuid } : null;
    }
    var c = childById(id);
    return c ? { id: c.id, name: c.name, birth_date: c.birth_date } : null;
  }

  function pageCheck(childId, existing) {
    var b = (existing && existing.body) || {};
    var child = existing ? (existing.ref ? targetChild("q:" + existing.ref) : targetChild(String(b.child))) : targetChild(childId);
    if (!child) return [h("p", { text: t("notFound") })];
    var form = h("form", { novalidate: true, class: "offline-form", id: "check-form" }, [
      h("p", { class: "form-error error", "aria-live": "polite" }),
      field("checked_on", t("checkedOn"), h("input", { type: "date", value: b.checked_on || today(), max: today() })),
      field("kind", t("kind"), select(CONFIG.kinds, b.kind || "routine")),
      field("risk_level", t("riskLevel"), select(CONFIG.risk_levels, b.risk_level || "low")),
      field("caregiver", t("caregiver"), h("input", { type: "text", value: b.caregiver || "" })),
      field("notes", t("notes"), h("textarea", { rows: "3", text: b.notes || "" })),
      h("div", { class: "actions" }, [h("button", { type: "submit", text: t("save") })]),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var body = {
        child: child.id || null,
        checked_on: value(form, "checked_on"),
        kind: value(form, "kind"),
        risk_level: value(form, "risk_level"),
        caregiver: value(form, "caregiver"),
        notes: value(form, "notes"),
      };
      var errors = {};
      if (!body.checked_on) errors.checked_on = t("errCheckDate");
      else if (body.checked_on > today()) errors.checked_on = t("errCheckFuture");
      else if (child.birth_date && body.checked_on < child.birth_date) errors.checked_on = t("errCheckBirth", { date: child.birth_date });
      if (!showErrors(form, errors)) return;
      var text = child.name + " · " + t("recordCheck") + " " + body.checked_on;
      if (existing) {
        Object.assign(existing, { body: body, label: text, state: "waiting", message: "", next_try: 0 });
        await put(existing);
      } else {
        await enqueue("check", "POST", "/api/checks/", body, { label: text, child_name: child.name, ref: child.ref || null });
      }
      done();
    });
    return [h("h1", { text: t("recordCheck") + " · " + child.name }), form];
  }

  function pageGuardianPhone(childId, guardianId) {
    var c = childById(childId);
    var g = c && c.guardians.filter(function (x) { return String(x.id) === String(guardianId); })[0];
    if (!g) return [h("p", { text: t("notFound") })];
    var form = h("form", { novalidate: true, class: "offline-form", id: "guardian-form" }, [
      field("phone", t("phone"), h("input", { type: "tel", value: g.phone || "", inputmode: "tel" })),
      h("div", { class: "actions" }, [h("button", { type: "submit", text: t("save") })]),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var phone = value(form, "phone");
      if (!showErrors(form, phoneError(phone) ? { phone: phoneError(phone) } : {})) return;
      // The version as read: a change made meanwhile is never overwritten (docs/offline.md).
      await enqueue("guardian", "PATCH", "/api/guardians/" + g.id + "/", { phone: phone, version: g.version }, {
        label: c.name + " · " + g.name + " · " + t("phone"),
        guardian: g.id,
      });
      done();
    });
    return [h("h1", { text: t("editPhone") + " · " + g.name }), form];
  }

  function pageReport(childId, existing) {
    var b = (existing && existing.body) || { child: childId ? Number(childId) : null };
    var childChoices = children().map(function (c) { return [String(c.id), c.name]; });
    var form = h("form", { novalidate: true, class: "offline-form", id: "report-form" }, [
      h("p", { class: "form-error error", "aria-live": "polite" }),
      field("child", t("child"), select(childChoices, b.child ? String(b.child) : "", true)),
      field("source", t("source"), select(CONFIG.sources, b.source || "mandatory_report")),
      field("reporter_type", t("reporterType"), select(CONFIG.reporter_types, b.reporter_type || "village_committee")),
      field("concern", t("concern"), select(CONFIG.concerns, b.concern || "", true)),
      field("urgency", t("urgency"), select(CONFIG.urgencies, b.urgency || "normal")),
      field("description", t("description"), h("textarea", { rows: "4", text: b.description || "" })),
      h("div", { class: "actions" }, [h("button", { type: "submit", text: t("save") })]),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var body = {
        child: value(form, "child") ? Number(value(form, "child")) : null,
        region: state.village ? state.village.village.code : "",
        source: value(form, "source"),
        reporter_type: value(form, "reporter_type"),
        concern: value(form, "concern"),
        urgency: value(form, "urgency"),
        description: value(form, "description"),
      };
      var errors = {};
      if (!body.child) errors.child = t("errChild");
      if (!body.concern) errors.concern = t("errConcern");
      if (!body.description) errors.description = t("errDescription");
      if (!showErrors(form, errors)) return;
      var child = childById(body.child);
      var text = (child ? child.name : "") + " · " + t("report");
      if (existing) {
        Object.assign(existing, { body: body, label: text, state: "waiting", message: "", next_try: 0 });
        await put(existing);
      } else {
        await enqueue("report", "POST", "/api/case-reports/", body, { label: text });
      }
      done();
    });
    return [h("h1", { text: t("report") }), form];
  }

  function pageCorrect(uuid) {
    var item = state.queue.filter(function (q) { return q.uuid === uuid; })[0];
    if (!item || !item.body) return [h("p", { text: t("notFound") })];
    var pages = { child: pageRegister, check: function (x) { return pageCheck(null, x); }, report: function (x) { return pageReport(null, x); } };
    var page = pages[item.kind];
    var out = page ? page(item) : [h("p", { text: t("notFound") })];
    if (item.message) out.splice(1, 0, h("p", { class: "offline-note refused-message", text: item.message }));
    return out;
  }

  function done() {
    location.hash = "#/worklist";
    render();
    sync();
  }

  // --- Routing -----------------------------------------------------------------------------

  /* Without network the service worker answers any page with this app: show the page asked for. */
  var PATHS = [
    [/^\/cases\/worklist\/$/, "/worklist"],
    [/^\/cases\/checks\/$/, "/checks"],
    [/^\/cases\/children\/$/, "/children"],
    [/^\/cases\/children\/new\/$/, "/register"],
    [/^\/cases\/children\/(\d+)\/$/, "/child/$1"],
    [/^\/cases\/checks\/child\/(\d+)\/new\/$/, "/check/$1"],
    [/^\/cases\/protection\/report\/$/, "/report"],
  ];

  function route() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash && location.pathname !== APP_URL) {
      PATHS.some(function (p) {
        var m = location.pathname.match(p[0]);
        if (m) hash = p[1].replace("$1", m[1] || "");
        return !!m;
      });
    }
    return (hash || "/").split("/").filter(Boolean);
  }

  function render() {
    var parts = route();
    var page;
    switch (parts[0]) {
      case "worklist": page = pageWorklist(); break;
      case "checks": page = pageChecks(); break;
      case "children": page = pageChildren(); break;
      case "child": page = pageChild(parts[1] || ""); break;
      case "register": page = pageRegister(null); break;
      case "check": page = pageCheck(parts[1] || "", null); break;
      case "guardian": page = pageGuardianPhone(parts[1], parts[2]); break;
      case "report": page = pageReport(parts[1] || null, null); break;
      case "correct": page = pageCorrect(parts[1] || ""); break;
      default: page = pageHome();
    }
    var focused = document.activeElement && document.activeElement.id;
    var keep = focused && main.contains(document.activeElement) && document.activeElement.form;
    if (keep) return; // never re-render a form being filled in
    main.textContent = "";
    page.forEach(function (el) { if (el) main.appendChild(el); });
    var net = document.getElementById("net");
    net.textContent = navigator.onLine ? t("online") : t("offlineShort");
    net.className = "net " + (navigator.onLine ? "on" : "off");
    document.body.dataset.ready = "1";
  }

  window.addEventListener("hashchange", function () { main.textContent = ""; render(); main.focus(); });
  /* The network is back (or the app was opened again): what waits is tried at once. */
  async function tryNow() {
    for (var i = 0; i < state.queue.length; i++) {
      var item = state.queue[i];
      if (item.state === "waiting" && item.next_try) { item.next_try = 0; await put(item); }
    }
    return sync();
  }

  window.addEventListener("online", function () { render(); tryNow(); });
  window.addEventListener("offline", render);

  load()
    .then(function () {
      render();
      if (navigator.onLine) return (state.queue.length ? tryNow() : refresh().then(render)).catch(function () { render(); });
    })
    .catch(function (error) {
      main.textContent = String(error);
    });
})();
