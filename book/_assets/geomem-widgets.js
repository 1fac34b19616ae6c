/* Offline support for embedded ipywidgets (loaded on widget pages only, after require.js
 * and before @jupyter-widgets/html-manager's embed-amd.js; see book/_config.yml).
 *
 * 1. html-manager's webpack bundle derives the URL of its fonts from the AMD module URL of
 *    "@jupyter-widgets/html-manager/dist/..."; map that module name to the vendored copy
 *    next to this file, so nothing resolves relative to the page (or to a CDN).
 * 2. html-manager 1.0.x typesets widget labels with the MathJax 2 API
 *    (MathJax.Hub.Queue); the book serves MathJax 3. Give MathJax 3 a tiny Hub.Queue.
 */
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  var base = here ? here.replace(/[^\/]*$/, "") : "_static/";
  if (window.require && window.require.config) {
    window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": base + "html-manager" } });
  }

  function queue(args) {
    var mj = window.MathJax;
    var el = args && args[2];
    if (!el || !mj || !mj.typesetPromise) return;
    var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
    ready.then(function () { return mj.typesetPromise([el]); }).catch(function (err) {
      console.warn("geomem-widgets: MathJax typeset failed", err);
    });
  }

  function patch() {
    var mj = window.MathJax;
    if (mj && mj.version && !mj.Hub) mj.Hub = { Queue: queue };
  }
  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
