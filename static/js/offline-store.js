/* The phone's store of the offline web app (IndexedDB through idb, vendored in static/vendor/idb/).
   Used by the offline app (offline.js) and by every server page of a signed-in user
   (offline-guard.js), which wipes it when another user signs in or the user logs out.
   Stores: meta (owner, last_sync, max_age_days), village ("current": the copy of the village from
   /api/offline/village/), queue (what waits to be sent, keyed by its client_uuid). */
(function () {
  "use strict";
  var DB_NAME = "welfare-offline";
  var DB_VERSION = 1;

  function open() {
    return idb.openDB(DB_NAME, DB_VERSION, {
      upgrade: function (db) {
        db.createObjectStore("meta");
        db.createObjectStore("village");
        db.createObjectStore("queue", { keyPath: "uuid" }).createIndex("seq", "seq");
      },
      // Another page wipes the store (logout, another user): let go of it at once.
      blocking: function (current, blocked, event) { event.target.close(); },
    });
  }

  /* Everything this app keeps on the phone. `all`: also the service worker's caches and the
     worker itself (logout); otherwise only the data (another user: the app's own files stay). */
  async function wipe(all) {
    await idb.deleteDB(DB_NAME);
    if (all) {
      if (window.caches) {
        var keys = await caches.keys();
        await Promise.all(keys.map(function (key) { return caches.delete(key); }));
      }
      if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
        var registrations = await navigator.serviceWorker.getRegistrations();
        await Promise.all(registrations.map(function (r) { return r.unregister(); }));
      }
    }
  }

  async function unsentCount() {
    var db = await open();
    try {
      var items = await db.getAll("queue");
      return items.filter(function (item) { return item.state !== "sent"; }).length;
    } finally {
      db.close();
    }
  }

  window.welfareOffline = { open: open, wipe: wipe, unsentCount: unsentCount, DB_NAME: DB_NAME };
})();
