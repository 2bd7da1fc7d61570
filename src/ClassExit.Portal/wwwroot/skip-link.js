// The skip link moves focus to the page's content. Its handler lives here, not in an onclick attribute: the Content-Security-Policy
// allows no inline script (ADR 0014). Capture phase, so that it runs before Blazor's router, which would treat the bare fragment as a
// navigation to "/" (the base href).
document.addEventListener('click', function (e) {
    var link = e.target instanceof Element ? e.target.closest('a.skip-link') : null;
    if (!link) return;
    e.preventDefault();
    e.stopPropagation();
    var main = document.getElementById('main-content');
    if (main) { main.focus(); main.scrollIntoView(); }
}, true);

// A table that scrolls sideways must be reachable by keyboard (WCAG 2.1.1; axe scrollable-region-focusable): MudBlazor's table
// container gets tabindex=0 whenever its content is wider than it is. Re-checked after each render.
(function () {
    var queued = false;
    function mark() {
        queued = false;
        document.querySelectorAll('.mud-table-container').forEach(function (c) {
            if (c.scrollWidth > c.clientWidth && !c.hasAttribute('tabindex')) c.setAttribute('tabindex', '0');
        });
    }
    function queue() { if (!queued) { queued = true; requestAnimationFrame(mark); } }
    new MutationObserver(queue).observe(document.documentElement, { childList: true, subtree: true });
    window.addEventListener('resize', queue);
    queue();
})();
