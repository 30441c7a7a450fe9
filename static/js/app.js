/* Light progressive enhancement. Every page works without it; the server checks everything again.
   - identity numbers are checked as they are typed (ISO 7064 MOD 11-2, as welfare/idnumber.py),
     and the child's birth date and sex are filled in from the number;
   - a form is sent once (a second click while it is on its way does nothing);
   - the language choice applies as soon as it is picked. */
(function () {
  "use strict";

  var i18n = (document.getElementById("js-i18n") || {}).dataset || {};
  function msg(key, params) {
    var text = i18n[key] || "";
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(params[name]);
    });
    return text;
  }

  var PROVINCES = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split(" ");
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function normalize(value) {
    return (value || "")
      .replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48); })
      .replace(/[xX\uFF58\uFF38]/g, "X")
      .replace(/\s+/g, "");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Returns {ok: true, birth: "YYYY-MM-DD", sex: "M"|"F"} or {ok: false, message: "..."}. */
  function parseIdNumber(value) {
    var n = normalize(value);
    if (!/^\d{17}[\dX]$/.test(n)) return { ok: false, message: msg("idFormat") };
    if (PROVINCES.indexOf(n.slice(0, 2)) < 0) return { ok: false, message: msg("idProvince", { prefix: n.slice(0, 2) }) };
    var y = +n.slice(6, 10), m = +n.slice(10, 12), d = +n.slice(12, 14);
    var date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
      return { ok: false, message: msg("idDate", { digits: n.slice(6, 14) }) };
    }
    var iso = y + "-" + pad(m) + "-" + pad(d);
    if (date.getTime() > Date.now() || y < 1900) return { ok: false, message: msg("idFuture", { date: iso }) };
    var total = 0;
    for (var i = 0; i < 17; i++) total += (+n.charAt(i)) * WEIGHTS[i];
    if (CHECK.charAt(total % 11) !== n.charAt(17)) return { ok: false, message: msg("idChecksum") };
    return { ok: true, birth: iso, sex: (+n.charAt(16)) % 2 ? "M" : "F" };
  }
  window.welfareParseIdNumber = parseIdNumber;

  function fillFromNumber(input, result) {
    // Only the child's own number fills the child's birth date and sex.
    if (input.name !== "id_number" || !input.form) return;
    var birth = input.form.querySelector("input[name=birth_date]");
    var sex = input.form.querySelector("select[name=sex]");
    if (birth && (!birth.value || birth.dataset.filled === birth.value)) {
      birth.value = result.birth;
      birth.dataset.filled = result.birth;
    }
    if (sex && (!sex.value || sex.dataset.filled === sex.value)) {
      sex.value = result.sex;
      sex.dataset.filled = result.sex;
    }
  }

  function setupIdNumber(input) {
    var note = document.createElement("p");
    note.className = "idcheck";
    note.id = input.id + "_live";
    note.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(note, input.nextSibling);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(note.id);
    input.setAttribute("aria-describedby", described.join(" "));

    function check(final) {
      var n = normalize(input.value);
      note.classList.remove("ok", "bad");
      if (!n) { note.textContent = ""; return; }
      if (n.length < 18 && !final) {
        note.textContent = msg("idCount", { count: n.length });
        return;
      }
      var result = parseIdNumber(n);
      if (result.ok) {
        note.textContent = msg("idOk", { date: result.birth, sex: result.sex === "M" ? msg("male") : msg("female") });
        note.classList.add("ok");
        fillFromNumber(input, result);
      } else {
        note.textContent = result.message;
        note.classList.add("bad");
      }
    }
    input.addEventListener("input", function () { check(false); });
    input.addEventListener("blur", function () {
      var n = normalize(input.value);
      if (n !== input.value) input.value = n;
      check(true);
    });
    if (input.value) check(true);
  }

  function setupOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      form.setAttribute("aria-busy", "true");
      var button = event.submitter;
      if (button && i18n.sending) {
        button.dataset.label = button.textContent;
        // Change the label after the browser has taken the button's name and value.
        setTimeout(function () { button.textContent = i18n.sending; }, 0);
      }
      // A form that answers with a download leaves the page in place: let it be used again.
      setTimeout(function () { release(form); }, 8000);
    });
  }

  function release(form) {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    Array.prototype.forEach.call(form.querySelectorAll("button[data-label]"), function (b) { b.textContent = b.dataset.label; });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-idnumber]"), setupIdNumber);
    Array.prototype.forEach.call(document.querySelectorAll("form[method=post]:not([data-resubmit])"), setupOnce);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit] select"), function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); });
    });
  }

  // Coming back with the Back button shows the page as it was left: let it be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sending]"), release);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
