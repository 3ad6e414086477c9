/* Lazy grids (app/web/tables.py, lazy_grid): a grid's place is watched until it comes within
   MARGIN of the window, then its LAZY_SEEN store is written, and a clientside callback puts
   the grid in. Building grids nobody has scrolled to cost a FISC reload a quarter of its time.
   A place still waiting is watched again each time it comes near: a page re-rendered under a
   user who stays at the same scroll position gets its grid too. */
(function () {
    "use strict";

    // Built a little before it is in view, so a user scrolling down finds it drawn.
    var MARGIN = "400px 0px 400px 0px";
    var watched = new WeakSet();

    function ask(slot) {
        if (!slot.querySelector(".wb-lazy-waiting") || !window.dash_clientside) {
            return;
        }
        var id = JSON.parse(slot.id);
        id.type = "lazy-grid-seen";
        window.dash_clientside.set_props(id, {data: Date.now()});
    }

    var near = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
            if (entry.isIntersecting) {
                ask(entry.target);
            }
        });
    }, {rootMargin: MARGIN});

    function watchNewPlaces() {
        document.querySelectorAll(".wb-lazy-grid").forEach(function (slot) {
            if (!watched.has(slot)) {
                watched.add(slot);
                near.observe(slot);
            }
        });
    }

    new MutationObserver(watchNewPlaces).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });
})();
