/* On every page of a signed-in user: the phone's offline data belongs to one user. Another user
   signing in on the same browser wipes it first; logging out wipes it (and the server's answer
   to the logout carries Clear-Site-Data as well); a village director's browser gets the service
   worker that makes the offline app work without network (docs/offline.md). */
(function () {
  "use strict";
  var body = document.body;
  var userId = body.dataset.userId;
  var W = window.welfareOffline;
  if (!userId || !W || !window.idb) return;
  var ready = (async function () {
    var db = await W.open();
    var owner = await db.get("meta", "owner");
    db.close();
    if (owner && String(owner.id) !== userId) {
      await W.wipe(false);
      owner = null;
    }
    if (!owner) {
      db = await W.open();
      await db.put("meta", { id: Number(userId) }, "owner");
      db.close();
    }
  })();
  if (body.dataset.userRole === "village_director" && "serviceWorker" in navigator) {
    ready.then(function () { return navigator.serviceWorker.register(body.dataset.swUrl || "/sw.js", { scope: "/" }); }).catch(function () {});
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-logout]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.wiped) return;
      event.preventDefault();
      ready.catch(function () {}).then(function () { return W.unsentCount(); }).then(function (count) {
        if (count && !window.confirm(form.dataset.unsentWarning || "")) {
          delete form.dataset.sending;
          form.removeAttribute("aria-busy");
          return;
        }
        return W.wipe(true).catch(function () {}).then(function () {
          form.dataset.wiped = "1";
          form.submit();
        });
      });
    });
  });
})();
