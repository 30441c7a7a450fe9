/* The service worker of the offline web app (rendered by cases.sync.views.service_worker).
   Workbox comes from /static/vendor/workbox/ (vendored from npm, pinned: docs/offline.md); with
   modulePathPrefix set, workbox-sw never loads anything from a CDN.
   - precache: the offline app's page and its files, by revision; old caches are removed;
   - pages (navigations): always from the network, never kept (they hold personal data);
     without network, the offline app answers, and shows the page asked for from its own data;
   - nothing else is cached: the API is never answered from a cache. */
importScripts({{ workbox_sw|safe }});
workbox.setConfig({ debug: false, modulePathPrefix: {{ workbox_prefix|safe }} });
workbox.core.setCacheNameDetails({ prefix: "welfare" });
workbox.core.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute({{ precache|safe }});

var APP_URL = {{ app_url|safe }};

workbox.routing.registerRoute(
  function (options) { return options.request.mode === "navigate"; },
  function (options) {
    return fetch(options.request).catch(function () {
      return workbox.precaching.matchPrecache(APP_URL).then(function (page) {
        return page || Response.error();
      });
    });
  }
);
