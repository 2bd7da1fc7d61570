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
